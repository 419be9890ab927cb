"""`crmsync errors`: the records failing to sync (table sync_errors), grouped by error code and target,
with sample records and the fix for each code."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.table import Table

from crmsync_pipeline.connectors.errors import TRANSIENT_CODES
from crmsync_pipeline.health.error_fixes import RETRY_NOTE, fix_for
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

from .run_report import wide_console


def error_groups(
    state_path: Any, code: str | None = None, pair_name: str | None = None, samples: int = 3
) -> list[dict[str, Any]]:
    with db.connect(state_path, read_only=True) as con:
        cursor = con.execute(
            sql("cli/error_groups.sql"), {"code": code, "pair": pair_name, "samples": samples}
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        transient = row["error_code"] in TRANSIENT_CODES
        row["fix"] = fix_for(row["error_code"])
        row["retried"] = "every run" if transient else "once the source record changes, else after a back-off"
        row["first_seen"], row["last_seen"] = str(row["first_seen"]), str(row["last_seen"])
    return rows


@click.command()
@click.option("--code", help="only this error code, e.g. REQUIRED_FIELD_MISSING")
@click.option("--pair", "pair_name", help="only this object pair, e.g. contacts")
@click.option("--samples", default=3, show_default=True, help="sample records shown per group")
@click.option("--json", "as_json", is_flag=True, help="print JSON (for scripts)")
def errors(code: str | None, pair_name: str | None, samples: int, as_json: bool) -> None:
    """List records failing to sync, grouped by error code and target CRM, with the fix for each code."""
    state = CrmsyncResource(mapping_file=default_mapping_path()).state_path
    if not state.exists():
        click.echo(f"no state file yet at {state}: run `crmsync sync` first", err=True)
        sys.exit(1)
    groups = error_groups(state, code, pair_name, samples)
    if as_json:
        click.echo(json.dumps(groups, indent=2, default=str))
        return
    console = wide_console()
    if not groups:
        console.print("No records are failing to sync.")
        return
    table = Table(title="Records failing to sync (sync_errors)", show_lines=True)
    table.add_column("code", no_wrap=True)
    for column in ("target", "records", "attempts", "sample records", "fix"):
        table.add_column(column, overflow="fold")
    for g in groups:
        sample_lines = [
            f"{s['pair']} {_ids(s, g['target'])} ({s['attempts']}x): {(s['message'] or '')[:80]}"
            for s in g["samples"]
        ]
        fix = g["fix"] if g["retried"] == "every run" else f"{g['fix']} {RETRY_NOTE}"
        table.add_row(
            g["error_code"],
            g["target"],
            str(g["records"]),
            f"up to {g['most_attempts']}",
            "\n".join(sample_lines),
            fix,
        )
    console.print(table)
    total = sum(g["records"] for g in groups)
    console.print(f"{total} record(s) in {len(groups)} group(s). `crmsync errors --json` for scripts.")


def _ids(sample: dict[str, Any], target: str) -> str:
    if sample["hubspot_id"] and sample["salesforce_id"]:
        return f"HubSpot {sample['hubspot_id']} / Salesforce {sample['salesforce_id']}"
    source = "HubSpot" if target == "salesforce" else "Salesforce"
    return f"{source} {sample['record']} (to create)"
