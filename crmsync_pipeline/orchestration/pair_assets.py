"""The assets of one object pair: both snapshots, links, plan (guarded by a threshold check), writes.
Asset bodies are short: each calls one stage function and reports what it did."""

from collections import Counter
from typing import Any

import dagster as dg

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.erasure.detect import detect_vanished
from crmsync_pipeline.erasure.erase import erase_planned
from crmsync_pipeline.extract.fields_needed import hubspot_properties, salesforce_fields
from crmsync_pipeline.extract.hubspot import extract_associations, extract_hubspot, extract_salesforce_pair
from crmsync_pipeline.extract.junctions import extract_junctions, junction_associations
from crmsync_pipeline.extract.lists import extract_list_memberships, list_refs
from crmsync_pipeline.extract.schemas import forget_schemas
from crmsync_pipeline.extract.schemas import hubspot_properties as hubspot_schema
from crmsync_pipeline.extract.schemas import salesforce_fields as salesforce_schema
from crmsync_pipeline.match.stage import match_stage
from crmsync_pipeline.match.state_guard import REBUILD_TAG
from crmsync_pipeline.plan.approvals import use_approval
from crmsync_pipeline.plan.preflight import preflight
from crmsync_pipeline.plan.record_merges import merges_seen
from crmsync_pipeline.plan.stage import plan_stage
from crmsync_pipeline.state import db
from crmsync_pipeline.state.pauses import pause_of
from crmsync_pipeline.write.both_sides import apply_both
from crmsync_pipeline.write.bulk import reconcile_bulk_jobs
from crmsync_pipeline.write.deletes import apply_deletes
from crmsync_pipeline.write.junctions import sync_junctions
from crmsync_pipeline.write.record_merges import apply_record_merges
from crmsync_pipeline.write.writers import HubSpotWriter, SalesforceWriter

from .resources import CrmsyncResource
from .run_log import note_run, record_calls


def associated_objects(mapping: Mapping, pair_name: str) -> list[str]:
    """HubSpot object types whose associations this pair's records need (lookups and inclusion rules)."""
    pair = mapping.pair(pair_name)
    others = {a.to for a in pair.associations}
    rule = pair.include.hubspot
    if rule is not None:
        others |= {p for c in rule.walk() for p in (c.associated_with_synced or [])}
    return sorted(mapping.pair(o).hubspot for o in others)


def pair_assets(mapping: Mapping, pair_name: str) -> list[Any]:
    pair = mapping.pair(pair_name)
    upstream = [
        dg.AssetKey(f"{side}_{dep}_writes") for dep in pair.depends_on for side in ("salesforce", "hubspot")
    ]

    @dg.asset(
        name=f"hubspot_{pair_name}_snapshot",
        group_name="extract",
        kinds={"hubspot", "duckdb"},
        description=f"HubSpot {pair.hubspot}, mirrored incrementally into table hubspot_{pair_name}_snapshot "
        "(first load lists every record; later loads search what changed since the cursor).",
    )
    def hubspot_snapshot(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        if (held := pause_of(crmsync.state_path, pair_name)) is not None:
            return dg.MaterializeResult(metadata={"paused": held.note()})
        meter, run_id = CallMeter(), context.run.run_id
        note_run(crmsync.state_path, run_id)
        hubspot, _ = crmsync.connectors(meter)
        stats, ids = extract_hubspot(
            crmsync.state_path, hubspot, pair_name, pair.hubspot, hubspot_properties(pair), run_id
        )
        associations = sum(
            extract_associations(crmsync.state_path, hubspot, pair.hubspot, other, ids)
            for other in associated_objects(mapping, pair_name)
        )
        if list_refs(pair):  # in_list: inclusion rules read the named lists' members
            listed = extract_list_memberships(crmsync.state_path, hubspot, pair_name, pair)
            context.log.info(f"{listed.members} member(s) of {listed.lists} HubSpot list(s) read")
        record_calls(crmsync.state_path, run_id, meter)
        return dg.MaterializeResult(
            metadata={
                "records read": stats.records,
                "full load": stats.full,
                "associations read": associations,
                "api calls": meter.total(),
            }
        )

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
        if (held := pause_of(crmsync.state_path, pair_name)) is not None:
            return dg.MaterializeResult(metadata={"paused": held.note()})
        meter, run_id = CallMeter(), context.run.run_id
        note_run(crmsync.state_path, run_id)
        _, salesforce = crmsync.connectors(meter)
        # A Bulk write a crashed run left running is settled first, so this read (and the plan made
        # from it) sees what it wrote, and its records are not planned a second time.
        reconcile_bulk_jobs(lambda: db.connect(crmsync.state_path), salesforce, pair_name)
        stats = extract_salesforce_pair(
            crmsync.state_path, salesforce, pair_name, salesforce_fields(pair), run_id
        )
        for association in junction_associations(mapping, pair_name):
            extract_junctions(crmsync.state_path, salesforce, association, run_id)
        missing = stats.missing_fields
        if missing:
            context.log.warning(
                f"fields mapped but missing in Salesforce (run `crmsync setup`): {', '.join(missing)}"
            )
        record_calls(crmsync.state_path, run_id, meter)
        return dg.MaterializeResult(
            metadata={
                "records read": stats.records,
                "missing fields": ", ".join(missing) or "none",
                "api calls": meter.total(),
            }
        )

    @dg.asset(
        name=f"{pair_name}_links",
        group_name="match",
        kinds={"duckdb"},
        deps=[hubspot_snapshot, salesforce_snapshot, *upstream],
        description="Which HubSpot record is which Salesforce record (table links), matched by cross-reference "
        "ids, then the mapping's keys; ambiguity and duplicate Leads go to review_items.",
    )
    def links(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        if (held := pause_of(crmsync.state_path, pair_name)) is not None:
            return dg.MaterializeResult(metadata={"paused": held.note()})
        rebuilding = context.run.tags.get(REBUILD_TAG) == "true"
        result = match_stage(crmsync.state_path, mapping, pair_name, context.run.run_id, rebuilding)
        return dg.MaterializeResult(
            metadata={
                "linked this run": result.linked,
                "ambiguous": result.ambiguous,
                "duplicate leads": result.duplicates,
                **{f"linked by {k}": v for k, v in result.linked_by.items()},
            }
        )

    @dg.asset(
        name=f"{pair_name}_plan",
        group_name="plan",
        kinds={"duckdb"},
        deps=[links, dg.AssetKey("crm_owners")],
        description="What the next apply will write (table plan_rows, one row per record x field x target, with "
        "old and new values and the deciding rule); conflicts in table conflicts.",
    )
    def plan(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        if (held := pause_of(crmsync.state_path, pair_name)) is not None:
            return dg.MaterializeResult(metadata={"paused": held.note()})
        run_id, meter = context.run.run_id, CallMeter()
        hubspot, salesforce = crmsync.connectors(meter)

        def read_schemas() -> dict:
            return {
                "salesforce": {
                    s: salesforce_schema(crmsync.state_path, salesforce, s) for s in pair.salesforce
                },
                "hubspot": {pair.hubspot: hubspot_schema(crmsync.state_path, hubspot, pair.hubspot)},
            }

        vanished = detect_vanished(crmsync.state_path, hubspot, salesforce, mapping, pair_name, run_id)
        schemas = read_schemas()
        if not _mapped_fields_known(
            pair, schemas
        ):  # a cached schema may predate `crmsync setup`: read afresh
            forget_schemas(crmsync.state_path)
            salesforce.forget_describes()
            schemas = read_schemas()
        report = plan_stage(
            crmsync.state_path,
            mapping,
            pair_name,
            run_id,
            cut_lengths(pair, schemas["salesforce"]),
            property_history=lambda ids, props: hubspot.property_times(pair.hubspot, ids, props),
        )
        with db.connect(crmsync.state_path) as con:
            rejected = sum(
                (
                    preflight(con, run_id, pair_name, pair, target, schemas[target])
                    for target in ("salesforce", "hubspot")
                ),
                Counter(),
            )
        record_calls(crmsync.state_path, run_id, meter)
        return dg.MaterializeResult(
            metadata={
                "linked records": report.linked,
                "field updates": dict(report.updates.updates),
                "records to update": dict(report.updates.records),
                "records to create": report.creates,
                "cross-references to write": report.cross_references,
                "conflicts": report.updates.conflicts,
                "held for review": report.updates.held,
                "value issues": report.value_issues,
                "orphaned links (deleted on one side, reported)": report.orphans,
                "deletes (by the pair's deletes: policy)": report.deletes,
                "gone for good (GDPR or hard delete) seen": vanished,
                "rejected by preflight": dict(rejected),
                "record merges seen (by action)": merges_seen(crmsync.state_path, run_id, pair_name),
                "api calls": meter.total(),
                "preview": dg.MetadataValue.md(_plan_preview(crmsync, run_id, pair_name)),
            }
        )

    @dg.asset_check(
        asset=plan,
        blocking=True,
        name="plan_within_threshold",
        description="Stops the run before writing when it would update, or delete (deletes: policy), more than "
        "the configured share of records linked before this run (creates and first links are exempt).",
    )
    def plan_within_threshold(
        context: dg.AssetCheckExecutionContext, crmsync: CrmsyncResource
    ) -> dg.AssetCheckResult:
        with db.connect(crmsync.state_path) as con:
            linked, updated, deleted = con.execute(
                """SELECT (SELECT count(*) FROM links WHERE pair = $pair AND run_id <> $run),
                          (SELECT count(DISTINCT p.target || p.record_ref) FROM plan_rows p
                           JOIN links l ON l.pair = p.pair AND l.hubspot_id = p.hubspot_id AND l.run_id <> $run
                           WHERE p.run_id = $run AND p.pair = $pair AND p.action = 'update' AND p.field <> '@xref'),
                          (SELECT count(DISTINCT p.target || p.record_ref) FROM plan_rows p
                           WHERE p.run_id = $run AND p.pair = $pair AND p.reason LIKE 'deletes:%'
                             AND p.preflight_error IS NULL)""",
                {"pair": pair_name, "run": context.run.run_id},
            ).fetchall()[0]
            # a held plan passes once a person approved this very plan (`crmsync approve RUN_ID`)
            over = pair.thresholds.needs_approval(linked, updated, deleted)
            held = over and not use_approval(con, context.run.run_id, pair_name)
        return dg.AssetCheckResult(
            passed=not held,
            metadata={
                "linked before this run": linked,
                "records to update": updated,
                "records deleted on one side (to delete, restore or erase)": deleted,
                "approval": f"crmsync approve {context.run.run_id}"
                if held
                else ("approved" if over else "not needed"),
            },
        )

    @dg.multi_asset(
        name=f"{pair_name}_writes",
        group_name="write",
        specs=[
            dg.AssetSpec(f"salesforce_{pair_name}_writes", deps=[plan], kinds={"salesforce"}),
            dg.AssetSpec(f"hubspot_{pair_name}_writes", deps=[plan], kinds={"hubspot"}),
        ],
        description="Applies the plan to both CRMs at once, then the cross-references each side's creates "
        "made necessary on the other. Results in write_results, failures in sync_errors.",
    )
    def writes(context: dg.AssetExecutionContext, crmsync: CrmsyncResource):  # type: ignore[no-untyped-def]
        if (held := pause_of(crmsync.state_path, pair_name)) is not None:
            for side in ("salesforce", "hubspot"):
                yield dg.MaterializeResult(
                    asset_key=f"{side}_{pair_name}_writes", metadata={"paused": held.note()}
                )
            return
        meter, run_id = CallMeter(), context.run.run_id
        hubspot, salesforce = crmsync.connectors(meter)

        def connect():  # type: ignore[no-untyped-def]
            return db.connect(crmsync.state_path)

        sf_writer, hs_writer = SalesforceWriter(salesforce, hubspot), HubSpotWriter(hubspot, salesforce)
        deletes = apply_deletes(connect, hubspot, salesforce, mapping, run_id, pair_name)
        if erased := erase_planned(connect, hubspot, salesforce, mapping, run_id, pair_name):
            deletes["erased"] += erased
        mirrored = apply_record_merges(connect, hubspot, salesforce, pair_name, pair, run_id)
        if mirrored.merged or mirrored.failed:
            context.log.info(f"record merges mirrored: {mirrored.merged}, failed: {mirrored.failed}")
        to_salesforce, to_hubspot = apply_both(connect, sf_writer, hs_writer, run_id, pair_name, pair)
        junctions = [
            sync_junctions(crmsync.state_path, hubspot, salesforce, mapping, pair_name, a, run_id)
            for a in junction_associations(mapping, pair_name)
        ]
        record_calls(crmsync.state_path, run_id, meter)
        for key, summary in (
            (f"salesforce_{pair_name}_writes", to_salesforce),
            (f"hubspot_{pair_name}_writes", to_hubspot),
        ):
            associated = sum(
                j.to_salesforce if key.startswith("salesforce") else j.to_hubspot for j in junctions
            )
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "created": summary.created,
                    "updated": summary.updated,
                    "failed": summary.failed,
                    "errors by code": dict(summary.errors),
                    "junction associations added": associated,
                    "deletes": dict(deletes),
                },
            )

    return [hubspot_snapshot, salesforce_snapshot, links, plan, plan_within_threshold, writes]


def _mapped_fields_known(pair, schemas) -> bool:  # type: ignore[no-untyped-def]
    hubspot = schemas["hubspot"][pair.hubspot]
    return all(f.hubspot in hubspot for f in pair.fields) and all(
        f.salesforce in fields for s, fields in schemas["salesforce"].items() for f in pair.fields_for(s)
    )


def cut_lengths(pair, salesforce_schemas) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """For fields marked truncate: the Salesforce length their values are cut to."""
    out = {}
    for mapped in pair.fields:
        for sobject, fields in salesforce_schemas.items():
            length = (fields.get(mapped.salesforce) or {}).get("length") if mapped.truncate else None
            if length and mapped.applies_to(sobject):
                out[mapped.name] = min(int(length), out.get(mapped.name, int(length)))
    return out


def _plan_preview(crmsync: CrmsyncResource, run_id: str, pair_name: str) -> str:
    with db.connect(crmsync.state_path) as con:
        rows = con.execute(
            """SELECT target, action, record_ref, target_field, old_value, new_value, reason FROM plan_rows
               WHERE run_id = ? AND pair = ? ORDER BY target, action, record_ref LIMIT 20""",
            [run_id, pair_name],
        ).fetchall()
    lines = ["| target | action | record | field | old | new | reason |", "|---|---|---|---|---|---|---|"]
    lines += [
        "| " + " | ".join("" if v is None else str(v).replace("|", "/")[:40] for v in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)
