"""The links asset's step: match the pair's records across the CRMs."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.match.stage import match_stage
from crmsync_pipeline.match.state_guard import REBUILD_TAG
from crmsync_pipeline.state.run_context import RunContext


def links_step(ctx: RunContext) -> dict[str, Any]:
    rebuilding = ctx.tags.get(REBUILD_TAG) == "true"
    result = match_stage(ctx.state_path, ctx.mapping, ctx.pair_name, ctx.run_id, rebuilding)
    return {
        "linked this run": result.linked,
        "ambiguous": result.ambiguous,
        "duplicate leads": result.duplicates,
        "re-created records relinked": result.recreated,
        **{f"linked by {k}": v for k, v in result.linked_by.items()},
    }
