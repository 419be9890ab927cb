"""`crmsync approve RUN_ID`: release a plan the update threshold held. The approval is bound to that plan
(a digest of its rows); the sync it launches writes only if it plans exactly the same writes."""

from __future__ import annotations

import getpass

import click

from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.plan.approvals import approve_plan, held_pairs
from crmsync_pipeline.state import db

from .run_commands import sync


@click.command()
@click.argument("run_id")
@click.option("--pair", "pairs", multiple=True, help="approve only this pair's plan (repeatable)")
@click.option("--no-sync", is_flag=True, help="record the approval only; the next sync uses it")
@click.pass_context
def approve(ctx: click.Context, run_id: str, pairs: tuple[str, ...], no_sync: bool) -> None:
    """Approve the plan held in run RUN_ID (see `crmsync status` or the plan_within_threshold check), then
    sync. The sync writes an approved pair only if its fresh plan is the very plan approved; if a record
    changed meanwhile it is held again, to be looked at anew."""
    state = CrmsyncResource(mapping_file=default_mapping_path()).state_path
    with db.connect(state, read_only=True) as con:
        known = held_pairs(con, run_id)
    wanted = list(pairs) or known
    if not wanted:
        raise click.ClickException(f"run {run_id} holds no unwritten plan")
    for approval in approve_plan(state, run_id, wanted, by=getpass.getuser()):
        note = " (already approved)" if approval.already else ""
        click.echo(f"{approval.pair}: approved the plan of {approval.records} record update(s){note}")
    if not no_sync:
        ctx.invoke(sync)
