"""The writes multi-asset's step: deletes and erasures, record merges mirrored, the plan applied to
both CRMs at once, then junction associations; one metadata dict per side."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.erasure.erase import erase_planned
from crmsync_pipeline.extract.junctions import junction_associations
from crmsync_pipeline.orchestration.run_figures import run_figures
from crmsync_pipeline.state.run_context import RunContext
from crmsync_pipeline.write.both_sides import apply_both
from crmsync_pipeline.write.deletes import apply_deletes
from crmsync_pipeline.write.junctions import sync_junctions
from crmsync_pipeline.write.record_merges import apply_record_merges
from crmsync_pipeline.write.writers import HubSpotWriter, SalesforceWriter

SIDES = ("salesforce", "hubspot")


def write_keys(pair_name: str) -> list[str]:
    """The asset keys of the pair's writes, one per CRM."""
    return [f"{side}_{pair_name}_writes" for side in SIDES]


def writes_step(ctx: RunContext) -> dict[str, dict[str, Any]]:
    """Metadata per asset key of write_keys(pair_name)."""
    hubspot, salesforce = ctx.connectors
    pair_name, pair, run_id = ctx.pair_name, ctx.pair, ctx.run_id
    sf_writer, hs_writer = SalesforceWriter(salesforce, hubspot), HubSpotWriter(hubspot, salesforce)
    deletes = apply_deletes(ctx.connect, hubspot, salesforce, ctx.mapping, run_id, pair_name)
    if erased := erase_planned(ctx.connect, hubspot, salesforce, ctx.mapping, run_id, pair_name):
        deletes["erased"] += erased
    mirrored = apply_record_merges(ctx.connect, hubspot, salesforce, pair_name, pair, run_id)
    if mirrored.merged or mirrored.failed:
        ctx.log.info(f"record merges mirrored: {mirrored.merged}, failed: {mirrored.failed}")
    summaries = apply_both(ctx.connect, sf_writer, hs_writer, run_id, pair_name, pair)
    for a in junction_associations(ctx.mapping, pair_name):  # results kept in write_results
        sync_junctions(ctx.state_path, hubspot, salesforce, ctx.mapping, pair_name, a, run_id)
    with ctx.connect() as con:  # what happened, counted as the CLI's summary counts it
        figures = {f.side: f for f in run_figures(con, run_id, [pair_name], SIDES)}
    return {
        key: {
            **figures[side].metadata(),
            "failed": summary.failed,
            "errors by code": dict(summary.errors),
            "deletes": dict(deletes),
        }
        for key, side, summary in zip(write_keys(pair_name), SIDES, summaries, strict=True)
    }
