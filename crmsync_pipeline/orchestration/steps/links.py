"""The links asset's step: match the pair's records across the CRMs."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.match.linked_twins import ConnectorReads
from crmsync_pipeline.match.stage import match_stage
from crmsync_pipeline.match.state_guard import REBUILD_TAG
from crmsync_pipeline.state.run_context import RunContext


def links_step(ctx: RunContext) -> dict[str, Any]:
    rebuilding = ctx.tags.get(REBUILD_TAG) == "true"
    # partners of twins a new record matches are read through the run's connectors (opened only then)
    reads = ConnectorReads(ctx.pair.hubspot, lambda: ctx.hubspot, lambda: ctx.salesforce)
    result = match_stage(ctx.state_path, ctx.mapping, ctx.pair_name, ctx.run_id, rebuilding, reads)
    return {
        "linked this run": result.linked,
        "ambiguous": result.ambiguous,
        "duplicate leads": result.duplicates,
        "re-created records relinked": result.recreated,
        "linked records found gone by a targeted read": result.gone_partners,
        "new records held as duplicates of linked ones": result.held_duplicates,
        **{f"linked by {k}": v for k, v in result.linked_by.items()},
    }
