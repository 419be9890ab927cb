"""`crmsync rebuild-state`: relink a new state file from the cross-reference ids the CRMs carry, after
the old file was lost. It is a plan run (extract, match, plan; nothing written) allowed to link a fresh
state: cross-reference ids link first, fields both sides agree on become base, and the fields that
differ are planned by first-link rules, for a person to review before the next sync writes them."""

from __future__ import annotations

import sys

import click

from crmsync_pipeline.match.state_guard import REBUILD_TAG, is_fresh
from crmsync_pipeline.orchestration.build import PLAN_JOB
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state import db

from .run_commands import execute, failure_messages
from .run_report import plan_table, wide_console


@click.command(name="rebuild-state")
def rebuild_state() -> None:
    """Relink a new (lost or replaced) state file from the cross-reference ids stored in the CRMs."""
    console = wide_console()
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    with db.connect(resource.state_path) as con:
        if not is_fresh(con):
            links = con.execute("SELECT count(*) FROM links").fetchall()[0][0]
            console.print(f"{resource.state_path} already holds {links} links: nothing to rebuild.")
            return
    result = execute(PLAN_JOB, tags={REBUILD_TAG: "true"})
    if not result.success:
        console.print(f"[red]rebuild failed[/red]: {'; '.join(failure_messages(result)[:5])}")
        sys.exit(1)
    with db.connect(resource.state_path, read_only=True) as con:
        relinked = con.execute(
            "SELECT pair, matched_by, count(*) FROM links GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    console.print("Relinked:")
    for pair, matched_by, count in relinked:
        console.print(f"  {pair}: {count} by {matched_by}")
    console.print(
        plan_table(
            resource.state_path, result.run_id, f"What the next sync would write (run {result.run_id})"
        )
    )
    console.print(
        "Fields both sides agree on are in base again. Fields that differ are planned above by first-link "
        "rules (the field's preferred side, else the newer record): review them (table plan_rows) before "
        "running `crmsync sync`."
    )
