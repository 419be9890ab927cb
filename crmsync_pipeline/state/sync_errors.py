"""Results of writes made outside the plan (a deal's contact roles, a mirrored merge): one write_results
row per record or associated pair, and sync_errors kept the way the plan's writes keep it (the CRM's
code, first and last seen, attempts), so `crmsync errors` and the health report show these failures
too; a ref that was written leaves sync_errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql


def keep_results(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    operation: str,
    results: Sequence[tuple[str, WriteResult]],
    now: datetime,
) -> None:
    """`results`: (record ref, what the CRM answered) in the order written."""
    insert_rows(
        con,
        "write_results",
        [
            (
                run_id,
                pair_name,
                target,
                ref,
                operation,
                r.succeeded,
                r.error_code,
                r.error_message,
                list(r.error_fields),
                now,
            )
            for ref, r in results
        ],  # fmt: skip
    )
    failed = list({ref: (ref, r) for ref, r in results if not r.succeeded}.values())
    if failed:
        con.execute(
            sql("state/keep_sync_errors.sql"),
            {
                "pair": pair_name,
                "target": target,
                "refs": [ref for ref, _ in failed],
                "codes": [r.error_code or "UNKNOWN" for _, r in failed],
                "messages": [r.error_message for _, r in failed],
                "now": now,
                "run_id": run_id,
            },
        )
    forget_errors(con, pair_name, target, [ref for ref, r in results if r.succeeded])


def forget_errors(con: duckdb.DuckDBPyConnection, pair_name: str, target: str, refs: Sequence[str]) -> None:
    if refs:
        con.execute(
            "DELETE FROM sync_errors WHERE pair = ? AND target = ? AND record_ref IN (SELECT unnest(?::VARCHAR[]))",
            [pair_name, target, list(refs)],
        )
