"""`crmsync check` against the live schemas: a mapping that would cause INVALID_FIELD, blank stages,
REQUIRED_FIELD_MISSING, or a picklist value the CRM does not have (a value map or stage map entry naming
a value that is not among the live, active picklist values or options) fails here, before any write,
naming the mapping entry and the values it could use."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingType
from typing import Any

from crmsync_pipeline.config import Mapping, Side, TransformKind, Unmapped, ValueMap
from crmsync_pipeline.plan.preflight import required_on_create

Fields = MappingType[str, MappingType[str, Any]]

WARNING = "warning: "  # prefix of findings that do not stop a sync (the values are reported, not synced)


def schema_problems(
    mapping: Mapping,
    hubspot_properties: Callable[[str], Fields],
    salesforce_fields: Callable[[str], Fields],
    hubspot_stages: Callable[[str], dict[str, list[str]]] | None = None,
) -> list[str]:
    """Every finding, each naming the entry (objects.<pair>.fields[<i>]...) and what to do. Findings that
    start with WARNING leave values unsynced and reported (a picklist map with `unmapped: report`)."""
    problems: list[str] = []
    for pair_name in mapping.active_pairs():
        pair = mapping.pair(pair_name)
        hubspot = hubspot_properties(pair.hubspot)
        salesforce = {s: salesforce_fields(s) for s in pair.salesforce}
        for i, mapped in enumerate(pair.fields):
            entry = f"objects.{pair_name}.fields[{i}] ({mapped.hubspot} <-> {mapped.salesforce})"
            if mapped.hubspot not in hubspot:
                problems.append(f"{entry}: HubSpot {pair.hubspot} has no property '{mapped.hubspot}'")
            for sobject, fields in salesforce.items():
                if not mapped.applies_to(sobject):
                    continue
                meta = fields.get(mapped.salesforce)
                if meta is None:
                    problems.append(
                        f"{entry}: Salesforce {sobject} has no field '{mapped.salesforce}' (would be "
                        "INVALID_FIELD; run `crmsync setup` for custom fields)"
                    )
                    continue
                problems += _picklist_problems(entry, mapped, meta, hubspot.get(mapped.hubspot), mapping)
        for sobject, fields in salesforce.items():
            if pair.create.in_salesforce and _creatable_as(pair, sobject):
                written = {f.salesforce for f in pair.fields_for(sobject)} | {
                    a.salesforce_field for a in pair.associations
                }
                for name, meta in fields.items():
                    if required_on_create(meta) and name not in written:
                        problems.append(
                            f"objects.{pair_name}: Salesforce requires {sobject}.{name} on create; map it "
                            "or give the mapped field a default (else REQUIRED_FIELD_MISSING)"
                        )
        if pair.deal_stages is not None and hubspot_stages is not None:
            problems += _stage_problems(pair_name, pair, salesforce, hubspot_stages(pair.hubspot))
    return problems


def _creatable_as(pair: Any, sobject: str) -> bool:
    return sobject in {pair.salesforce_object_to_create(False), pair.salesforce_object_to_create(True)}


def _picklist_problems(
    entry: str, mapped: Any, meta: MappingType[str, Any], hubspot_meta: Any, mapping: Mapping
) -> list[str]:
    if mapped.transform.kind is not TransformKind.PICKLIST:
        return []
    value_map: ValueMap = mapping.value_maps[mapped.transform.value_map or ""]
    if value_map.unmapped is Unmapped.PASS_THROUGH:
        return []  # unlisted values are copied as they are
    name = mapped.transform.value_map
    salesforce_values = [p["value"] for p in meta.get("picklistValues", []) if p.get("active", True)]
    out = unknown_entries(f"{entry}: value map '{name}'", value_map, Side.SALESFORCE, salesforce_values)
    if hubspot_meta and hubspot_meta.get("options"):
        options = [o["value"] for o in hubspot_meta["options"] if not o.get("hidden", False)]
        out += unknown_entries(f"{entry}: value map '{name}'", value_map, Side.HUBSPOT, options)
    missing = value_map.missing(Side.SALESFORCE, salesforce_values)
    if missing:
        out.append(
            f"{WARNING}{entry}: Salesforce values with no HubSpot value in map '{mapped.transform.value_map}': "
            f"{', '.join(missing)} (they will be reported, not synced)"
        )
    if hubspot_meta and hubspot_meta.get("options"):
        hubspot_values = [o["value"] for o in hubspot_meta["options"]]
        missing = value_map.missing(Side.HUBSPOT, hubspot_values)
        if missing:
            out.append(
                f"{WARNING}{entry}: HubSpot options with no Salesforce value in map '{mapped.transform.value_map}': "
                f"{', '.join(missing[:12])}{' ...' if len(missing) > 12 else ''}"
            )
    return out


def map_values(value_map: ValueMap, side: Side) -> set[str]:
    """The values a map names on one side (keys one way, targets the other)."""
    if side is Side.HUBSPOT:
        return set(value_map.hubspot_to_salesforce) | set(value_map.salesforce_to_hubspot.values())
    return set(value_map.salesforce_to_hubspot) | set(value_map.hubspot_to_salesforce.values())


def unknown_entries(where: str, value_map: ValueMap, side: Side, live: list[str]) -> list[str]:
    """An error per value the map names that the side does not have (compared as the map compares:
    case-insensitively), with the values it could use. An empty `live` (no picklist) checks nothing."""
    if not live:
        return []
    known = {v.casefold() for v in live}
    unknown = sorted(v for v in map_values(value_map, side) if v.casefold() not in known)
    if not unknown:
        return []
    crm = "HubSpot" if side is Side.HUBSPOT else "Salesforce"
    shown = ", ".join(live[:40]) + (" ..." if len(live) > 40 else "")
    return [
        f"{where} names {crm} value(s) {', '.join(repr(v) for v in unknown)} that {crm} does not have "
        f"(active values: {shown}); a record carrying one would fail or be refused"
    ]


def _stage_problems(
    pair_name: str, pair: Any, salesforce: dict[str, Fields], stages: dict[str, list[str]]
) -> list[str]:
    out = []
    for pipeline_id, stage_map in pair.deal_stages.pipelines.items():
        if pipeline_id not in stages:
            out.append(
                f"objects.{pair_name}.deal_stages.pipelines.{pipeline_id}: HubSpot has no such pipeline"
            )
            continue
        where = f"objects.{pair_name}.deal_stages.pipelines.{pipeline_id}"
        out += unknown_entries(where, stage_map, Side.HUBSPOT, stages[pipeline_id])
        missing = stage_map.missing(Side.HUBSPOT, stages[pipeline_id])
        if missing:
            out.append(
                f"objects.{pair_name}.deal_stages.pipelines.{pipeline_id}: HubSpot stages with no Salesforce "
                f"stage (deals in them would leave StageName blank): {', '.join(missing)}"
            )
        for fields in salesforce.values():
            meta = next(
                (
                    fields[f.salesforce]
                    for f in pair.fields
                    if f.transform.kind is TransformKind.STAGE and f.salesforce in fields
                ),
                None,
            )
            if meta is not None:
                values = [p["value"] for p in meta.get("picklistValues", []) if p.get("active", True)]
                out += unknown_entries(where, stage_map, Side.SALESFORCE, values)
                missing = stage_map.missing(Side.SALESFORCE, values)
                if missing:
                    out.append(
                        f"objects.{pair_name}.deal_stages.pipelines.{pipeline_id}: Salesforce stages with no "
                        f"HubSpot stage: {', '.join(missing)}"
                    )
    return out
