"""Consistency of the DuckDB state after the soak, as audits: each query returns the offending rows."""

from __future__ import annotations

import time
from typing import Any

import duckdb

from .model import World

AUDITS = {
    "link ids missing from the mirrors": """
        SELECT l.pair, l.hubspot_id, l.salesforce_id FROM links l
        WHERE (l.pair = 'contacts' AND (l.hubspot_id NOT IN (SELECT id FROM hubspot_contacts_snapshot)
                                     OR l.salesforce_id NOT IN (SELECT id FROM salesforce_contacts_snapshot)))
           OR (l.pair = 'companies' AND (l.hubspot_id NOT IN (SELECT id FROM hubspot_companies_snapshot)
                                      OR l.salesforce_id NOT IN (SELECT id FROM salesforce_companies_snapshot)))""",
    "links not one-to-one": """
        SELECT pair, salesforce_id, count(*) FROM links GROUP BY ALL HAVING count(*) > 1
        UNION ALL SELECT pair, hubspot_id, count(*) FROM links GROUP BY ALL HAVING count(*) > 1""",
    "audit intents neither confirmed nor marked": """
        SELECT run_id, pair, target, record_id, field FROM audit_log WHERE outcome = 'intended'""",
    "bulk jobs left submitted": """
        SELECT job_id, run_id, sobject, state FROM bulk_jobs WHERE state IN ('preparing', 'submitted')""",
    "plan rows of the last run without a write result": """
        SELECT p.pair, p.target, p.record_ref, p.field FROM plan_rows p
        WHERE p.run_id = (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)
          AND p.preflight_error IS NULL
          AND NOT EXISTS (SELECT 1 FROM write_results w WHERE w.run_id = p.run_id AND w.pair = p.pair
                          AND w.target = p.target AND w.record_ref = p.record_ref)""",
}


def connect(state_db: str) -> duckdb.DuckDBPyConnection:
    for _ in range(60):
        try:
            return duckdb.connect(state_db, read_only=True)
        except duckdb.IOException:
            time.sleep(0.5)
    return duckdb.connect(state_db, read_only=True)


def audits(state_db: str, world: World) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    with connect(state_db) as con:
        for name, sql in AUDITS.items():
            try:
                out[name] = [list(map(str, r)) for r in con.execute(sql).fetchall()[:20]]
            except duckdb.Error as exc:
                out[name] = [f"query failed: {exc}"]
        links = {
            (p, h, s)
            for p, h, s in con.execute("SELECT pair, hubspot_id, salesforce_id FROM links").fetchall()
        }
    wanted = {(e.pair, e.hs_id, e.sf_id) for pair in world.entities for e in world.linked(pair)}
    out["model links missing from the links table"] = [list(x) for x in sorted(wanted - links)][:20]
    return out


def conflicts(state_db: str) -> list[dict[str, Any]]:
    names = ("hubspot_id", "salesforce_id", "field", "winner", "losing_value", "rule", "hubspot_value",
             "salesforce_value", "hubspot_changed_at", "salesforce_changed_at", "run_id")  # fmt: skip
    with connect(state_db) as con:
        rows = con.execute(
            """SELECT hubspot_id, salesforce_id, field, winner,
                      CASE WHEN winner = 'hubspot' THEN salesforce_value ELSE hubspot_value END,
                      rule, hubspot_value, salesforce_value, hubspot_changed_at::VARCHAR,
                      salesforce_changed_at::VARCHAR, run_id
               FROM conflicts"""
        ).fetchall()
    return [dict(zip(names, r, strict=True)) for r in rows]


def last_run_writes(state_db: str) -> int:
    with connect(state_db) as con:
        return con.execute(
            "SELECT count(*) FROM write_results WHERE run_id = (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)"
        ).fetchall()[0][0]
