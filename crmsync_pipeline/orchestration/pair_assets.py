"""The assets of one object pair: both snapshots, links, plan (guarded by a threshold check), writes.
Every asset body is the same few lines: the pause guard, the run context, one step (steps/), the API
calls recorded, the step's metadata returned."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.extract.fields_needed import associated_objects
from crmsync_pipeline.state.run_context import RunContext

from .context import held_for_the_step, pause_guard, run_context
from .health import rewrite_after_erasures
from .resources import CrmsyncResource
from .run_log import record_calls
from .steps.links import links_step
from .steps.plan import plan_step, within_threshold
from .steps.snapshots import hubspot_snapshot_step, salesforce_snapshot_step
from .steps.writes import SIDES, write_keys, writes_step

__all__ = ["associated_objects", "pair_assets"]  # associated_objects: bench/ imports it from here


def pair_assets(mapping: Mapping, pair_name: str) -> list[Any]:
    hubspot_snapshot = _hubspot_snapshot(mapping, pair_name)
    salesforce_snapshot = _salesforce_snapshot(mapping, pair_name)
    links = _links(mapping, pair_name, [hubspot_snapshot, salesforce_snapshot])
    plan = _plan(mapping, pair_name, links)
    return [
        hubspot_snapshot,
        salesforce_snapshot,
        links,
        plan,
        _plan_within_threshold(mapping, pair_name, plan),
        _writes(mapping, pair_name, plan),
    ]


def _materialized(
    context: dg.AssetExecutionContext,
    crmsync: CrmsyncResource,
    mapping: Mapping,
    pair_name: str,
    step: Callable[[RunContext], dict[str, Any]],
) -> dg.MaterializeResult:
    """The body of every one-output pair asset: the pause guard, the run context, one step, the API
    calls recorded, the step's metadata."""
    with held_for_the_step(crmsync):
        if paused := pause_guard(crmsync, pair_name):
            return paused[0]
        ctx = run_context(context, crmsync, mapping, pair_name)
        try:
            metadata = step(ctx)
        finally:  # a failed step's calls were made too: counted, and the usage they reached carried on
            record_calls(ctx.state_path, ctx.run_id, ctx.meter)
    return dg.MaterializeResult(metadata=metadata)


def _hubspot_snapshot(mapping: Mapping, pair_name: str) -> dg.AssetsDefinition:
    pair = mapping.pair(pair_name)

    @dg.asset(
        name=f"hubspot_{pair_name}_snapshot",
        group_name="extract",
        kinds={"hubspot", "duckdb"},
        description=f"HubSpot {pair.hubspot}, mirrored incrementally into table hubspot_{pair_name}_snapshot "
        "(first load lists every record; later loads search what changed since the cursor).",
    )
    def hubspot_snapshot(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        return _materialized(context, crmsync, mapping, pair_name, hubspot_snapshot_step)

    return hubspot_snapshot


def _salesforce_snapshot(mapping: Mapping, pair_name: str) -> dg.AssetsDefinition:
    pair = mapping.pair(pair_name)

    @dg.asset(
        name=f"salesforce_{pair_name}_snapshot",
        group_name="extract",
        kinds={"salesforce", "duckdb"},
        description=f"Salesforce {', '.join(pair.salesforce)}, mirrored incrementally into table "
        f"salesforce_{pair_name}_snapshot (queryAll on SystemModstamp: deletes and merges included).",
    )
    def salesforce_snapshot(
        context: dg.AssetExecutionContext, crmsync: CrmsyncResource
    ) -> dg.MaterializeResult:
        return _materialized(context, crmsync, mapping, pair_name, salesforce_snapshot_step)

    return salesforce_snapshot


def _links(mapping: Mapping, pair_name: str, snapshots: list[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    # the pairs this one depends on (its lookups point at their records) are written first
    upstream = [dg.AssetKey(key) for dep in mapping.pair(pair_name).depends_on for key in write_keys(dep)]

    @dg.asset(
        name=f"{pair_name}_links",
        group_name="match",
        kinds={"duckdb"},
        deps=[*snapshots, *upstream],
        description="Which HubSpot record is which Salesforce record (table links), matched by cross-reference "
        "ids, then the mapping's keys; ambiguity and duplicate Leads go to review_items.",
    )
    def links(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        return _materialized(context, crmsync, mapping, pair_name, links_step)

    return links


def _plan(mapping: Mapping, pair_name: str, links: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"{pair_name}_plan",
        group_name="plan",
        kinds={"duckdb"},
        deps=[links, dg.AssetKey("crm_owners")],
        description="What the next apply will write (table plan_rows, one row per record x field x target, with "
        "old and new values and the deciding rule); conflicts in table conflicts.",
    )
    def plan(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        return _materialized(context, crmsync, mapping, pair_name, plan_step)

    return plan


def _plan_within_threshold(
    mapping: Mapping, pair_name: str, plan: dg.AssetsDefinition
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=plan,
        blocking=True,
        name="plan_within_threshold",
        description="Holds the run before writing when it would change existing values on, or delete (deletes: "
        "policy), more than the configured share of linked records, first syncs included (creates and filling "
        "empty fields are exempt); `crmsync approve RUN_ID` releases exactly that plan.",
    )
    def plan_within_threshold(
        context: dg.AssetCheckExecutionContext, crmsync: CrmsyncResource
    ) -> dg.AssetCheckResult:
        verdict = within_threshold(run_context(context, crmsync, mapping, pair_name), context.run.job_name)
        return dg.AssetCheckResult(
            passed=verdict.passed, description=verdict.description, metadata=verdict.metadata
        )

    return plan_within_threshold


def _writes(mapping: Mapping, pair_name: str, plan: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{pair_name}_writes",
        group_name="write",
        specs=[dg.AssetSpec(f"{side}_{pair_name}_writes", deps=[plan], kinds={side}) for side in SIDES],
        description="Applies the plan to both CRMs at once, then the cross-references each side's creates "
        "made necessary on the other. Results in write_results, failures in sync_errors.",
    )
    def writes(context: dg.AssetExecutionContext, crmsync: CrmsyncResource):  # type: ignore[no-untyped-def]
        with held_for_the_step(crmsync):
            paused = pause_guard(crmsync, pair_name, write_keys(pair_name))
            if not paused:
                ctx = run_context(context, crmsync, mapping, pair_name)
                try:
                    metadata = writes_step(ctx)
                finally:  # a failed step's calls were made too: counted, and the usage they reached carried on
                    record_calls(ctx.state_path, ctx.run_id, ctx.meter)
        if paused:
            yield from paused
            return
        if rewrite_after_erasures(ctx.state_path, ctx.run_id):  # no connection holds the file now
            context.log.info("state file rewritten after an erasure: no byte of the erased is left")
        for key, values in metadata.items():
            yield dg.MaterializeResult(asset_key=key, metadata=values)

    return writes
