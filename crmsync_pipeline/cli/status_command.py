"""`crmsync status`: the last runs, plans held for approval, links per pair, errors by code, what waits in
review, API calls today."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.table import Table

from crmsync_pipeline.config import MappingError
from crmsync_pipeline.health.queries import health_findings
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.plan.approvals import PlanVerdict, approve_command, open_holds
from crmsync_pipeline.state import db
from crmsync_pipeline.state.pauses import paused_pairs

from .run_report import wide_console


@click.command()
@click.option("--runs", default=5, show_default=True, help="how many recent runs to list")
def status(runs: int) -> None:
    """Show recent runs, links per pair, open errors by code, review items and today's API calls."""
    console = wide_console()
    state = CrmsyncResource(mapping_file=default_mapping_path()).state_path
    if not state.exists():
        console.print(f"no state file yet at {state}: run `crmsync sync` first")
        sys.exit(1)
    with db.connect(state, read_only=True) as con:
        recent = con.execute(
            "SELECT run_id, started_at, finished_at, status FROM runs ORDER BY started_at DESC LIMIT ?",
            [runs],
        ).fetchall()
        holds = open_holds(con)
        links = con.execute(
            "SELECT pair, matched_by, count(*) FROM links GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        errors = con.execute(
            "SELECT target, error_code, count(*), max(attempts) FROM sync_errors GROUP BY ALL ORDER BY 3 DESC"
        ).fetchall()
        review = con.execute(
            "SELECT kind, count(*) FROM review_items WHERE settled_at IS NULL GROUP BY ALL"
        ).fetchall()
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        calls = con.execute(
            """SELECT a.crm, sum(a.calls) FROM api_calls a JOIN runs r USING (run_id)
                               WHERE r.started_at >= ? GROUP BY ALL""",
            [today],
        ).fetchall()
    console.print(_table("Recent runs", ("run", "started", "finished", "status"), recent))
    _print_holds(console, holds)
    console.print(_table("Links", ("pair", "matched by", "records"), links))
    pauses = [
        (p.pair, p.paused_at, p.paused_by, p.reason) for p in paused_pairs(state, read_only=True).values()
    ]
    console.print(_table("Paused pairs (crmsync resume PAIR)", ("pair", "since", "by", "reason"), pauses))
    console.print(
        _table(
            "Records failing to sync (sync_errors)", ("target", "code", "records", "most attempts"), errors
        )
    )
    console.print(_table("Waiting for review (review_items)", ("kind", "items"), review))
    console.print(_table("API calls today (UTC)", ("crm", "calls"), calls))
    console.print(
        _table("Change sensor cost (as Salesforce bills it)", ("sensor", "estimate"), _sensor_rows())
    )
    console.print(
        _table("Sync health", ("check", "status", "offending rows", "figures"), _health_rows(state))
    )


def _print_holds(console: Console, holds: list[PlanVerdict]) -> None:
    """Plans held for approval, and the exact command that writes each."""
    rows = [
        (
            v.run_id,
            v.pair,
            f"{v.weight.overwrites} of {v.weight.linked}",
            v.weight.deletes,
            v.weight.fields_text(),
        )
        for v in holds
    ]
    columns = ("run", "pair", "records to change (of linked)", "to delete", "records by field")
    console.print(_table("Held for approval (nothing written for these pairs)", columns, rows))
    for run_id in dict.fromkeys(v.run_id for v in holds):
        console.print(f"  to write the plan held in run {run_id}: {approve_command(run_id)}", soft_wrap=True)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    if not rows:
        table.add_row(*(["none"] + [""] * (len(columns) - 1)))
    return table


def _sensor_rows() -> list[tuple]:
    """The change sensor's Salesforce share at its tick, recomputed from the mapping (docs/design.md)."""
    from crmsync_pipeline.orchestration.triggers import sensor_share_text

    try:
        mapping = CrmsyncResource(mapping_file=default_mapping_path()).mapping()
    except (MappingError, FileNotFoundError):
        return []
    return [("quiet day", sensor_share_text(mapping))]


def _health_rows(state) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The health checks' figures, as the Dagster checks and the health report show them."""
    try:
        mapping = CrmsyncResource(mapping_file=default_mapping_path()).mapping()
    except (MappingError, FileNotFoundError):
        mapping = None  # drift needs the mapping; the other checks do not
    findings = health_findings(state, mapping, read_only=True)
    return [
        (f.check.title, f.severity, len(f.rows), "; ".join(f"{k}: {v}" for k, v in f.figures.items()))
        for f in findings.values()
    ]
