"""Bookkeeping around every write batch: the intent goes into the audit log before the CRM call; what
the CRM answered goes into results, errors, links and base after it. Base moves only for what the CRM
confirmed, so a crash between the two leaves the next run to re-plan, never to skip a write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one record of a batch. Built with `of` (from the CRM's answer) or `refused` (a
    write never sent, e.g. one preflight knows the CRM would refuse)."""

    record_ref: str  # as in plan_rows: the target id, or the source id for a create
    record_id: str | None  # the id the target holds now (the new id for a create)
    succeeded: bool
    created: bool = False
    error_code: str | None = None
    error_message: str | None = None
    error_fields: tuple[str, ...] = field(default_factory=tuple)
    applied_fields: frozenset[str] = frozenset()  # a failed record's fields the CRM took all the same

    @classmethod
    def of(cls, record_ref: str, result: WriteResult) -> WriteOutcome:
        """The CRM's answer `result` for the plan's record `record_ref`."""
        return cls(
            record_ref,
            result.record_id,
            result.succeeded,
            result.created,
            result.error_code,
            result.error_message,
            result.error_fields,
            result.applied,
        )

    @classmethod
    def refused(cls, record_ref: str, code: str, message: str) -> WriteOutcome:
        return cls(record_ref, None, False, error_code=code, error_message=message)

    def values(self) -> tuple:
        """The row of the temp table `write_outcomes` (sql/write/outcomes_table.sql)."""
        return (
            self.record_ref,
            self.record_id,
            self.succeeded,
            self.created,
            self.error_code,
            self.error_message,
            list(self.error_fields),
            sorted(self.applied_fields),
        )


def record_intent(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    record_refs: Sequence[str],
    now: datetime,
) -> None:
    """The intent of writing these records, before the CRM call."""
    con.execute(
        sql("write/audit_intent.sql"),
        {"run_id": run_id, "pair": pair_name, "target": target, "refs": list(record_refs), "now": now},
    )


def mark_interrupted_intents(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, target: str
) -> None:
    """Intents earlier runs left unsettled (they died between the CRM call and its answer)."""
    con.execute(sql("write/audit_interrupted.sql"), {"run_id": run_id, "pair": pair_name, "target": target})


def mark_unapplied(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    fields: Sequence[tuple[str, str]],
) -> None:
    """(record ref, field) writes the CRM took without applying: outcome `not_applied`."""
    if fields:
        con.executemany(
            "UPDATE audit_log SET outcome = 'not_applied' WHERE run_id = ? AND pair = ? AND target = ? "
            "AND source_id = ? AND field = ? AND outcome = 'confirmed'",
            [(run_id, pair_name, target, ref, name) for ref, name in fields],
        )


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    outcomes: Sequence[WriteOutcome],
    now: datetime,
    agreed_empty: Sequence[str] = (),
) -> None:
    """`agreed_empty`: the pair's mapped fields, which a created record holds empty unless written."""
    con.execute(sql("write/outcomes_table.sql"))
    insert_rows(con, "write_outcomes", [o.values() for o in outcomes])
    params = {
        "run_id": run_id,
        "pair": pair_name,
        "target": target,
        "now": now,
        "agreed_empty": list(agreed_empty),
    }
    con.execute("BEGIN")
    try:
        for statement in _statements(sql("write/apply_outcomes.sql")):
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a script of several statements (none of ours has ';' inside a literal)."""
    body = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]
