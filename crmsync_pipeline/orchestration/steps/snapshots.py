"""The snapshot assets' steps: each CRM side of a pair mirrored into its snapshot table."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.extract.stage import extract_hubspot_side, extract_salesforce_side
from crmsync_pipeline.state.run_context import RunContext
from crmsync_pipeline.write.bulk import reconcile_bulk_jobs

from ..run_log import note_run


def hubspot_snapshot_step(ctx: RunContext) -> dict[str, Any]:
    note_run(ctx.state_path, ctx.run_id)
    read = extract_hubspot_side(ctx)
    if read.lists is not None:
        ctx.log.info(f"{read.lists.members} member(s) of {read.lists.lists} HubSpot list(s) read")
    _note_unread(ctx, read.stats.unread_fields)
    return {
        "records read": read.stats.records,
        "full load": read.stats.full,
        "fields read afresh (newly mapped)": ", ".join(read.stats.unread_fields) or "none",
        "associations read": read.associations,
        "api calls": ctx.meter.total(),
    }


def salesforce_snapshot_step(ctx: RunContext) -> dict[str, Any]:
    note_run(ctx.state_path, ctx.run_id)
    # A Bulk write a crashed run left running is settled first, so this read (and the plan made from
    # it) sees what it wrote, and its records are not planned a second time.
    reconcile_bulk_jobs(ctx.connect, ctx.salesforce, ctx.pair_name)
    stats = extract_salesforce_side(ctx)
    missing = stats.missing_fields
    if missing:
        ctx.log.warning(
            f"fields mapped but missing in Salesforce (run `crmsync setup`): {', '.join(missing)}"
        )
    _note_unread(ctx, stats.unread_fields)
    return {
        "records read": stats.records,
        "full load": stats.full,
        "fields read afresh (newly mapped)": ", ".join(stats.unread_fields) or "none",
        "missing fields": ", ".join(missing) or "none",
        "api calls": ctx.meter.total(),
    }


def _note_unread(ctx: RunContext, unread: list[str]) -> None:
    if unread:
        ctx.log.info(
            f"every record read again: {', '.join(unread)} newly mapped (or mapped again), so the "
            "copies kept while it was not read are replaced before the plan uses them"
        )
