"""Bookkeeping around every write batch: the intent goes into the audit log before the CRM call; what
the CRM answered goes into results, errors, links and base after it. Base moves only for what the CRM
confirmed, so a crash between the two leaves the next run to re-plan, never to skip a write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql


@dataclass(frozen=True)
class WriteOutcome:
    record_ref: str  # as in plan_rows: the target id, or the source id for a create
    record_id: str | None  # the id the target holds now (the new id for a create)
    succeeded: bool
    created: bool = False
    error_code: str | None = None
    error_message: str | None = None
    error_fields: tuple[str, ...] = field(default_factory=tuple)


def record_intent(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair: str,
    target: str,
    record_refs: Sequence[str],
    now: datetime,
) -> None:
    con.execute(
        sql("audit_intent.sql"),
        {"run_id": run_id, "pair": pair, "target": target, "refs": list(record_refs), "now": now},
    )


def mark_interrupted_intents(con: duckdb.DuckDBPyConnection, run_id: str, pair: str, target: str) -> None:
    """Intents earlier runs left unsettled (they died between the CRM call and its answer)."""
    con.execute(sql("audit_interrupted.sql"), {"run_id": run_id, "pair": pair, "target": target})


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair: str,
    target: str,
    outcomes: Sequence[WriteOutcome],
    now: datetime,
    agreed_empty: Sequence[str] = (),
) -> None:
    """`agreed_empty`: the pair's mapped fields, which a created record holds empty unless written."""
    con.execute(sql("outcomes_table.sql"))
    insert_rows(
        con,
        "write_outcomes",
        [
            (
                o.record_ref,
                o.record_id,
                o.succeeded,
                o.created,
                o.error_code,
                o.error_message,
                list(o.error_fields),
            )
            for o in outcomes
        ],
    )
    params = {
        "run_id": run_id,
        "pair": pair,
        "target": target,
        "now": now,
        "agreed_empty": list(agreed_empty),
    }
    con.execute("BEGIN")
    try:
        for statement in _statements(sql("apply_outcomes.sql")):
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a script of several statements (none of ours has ';' inside a literal)."""
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]
