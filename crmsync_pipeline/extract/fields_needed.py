"""What the extract must fetch for one object pair: every field the mapping writes, matches on,
includes by, or needs as context (cross-references, deal pipeline, lead conversion)."""

from __future__ import annotations

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors.merges import HUBSPOT_MERGEABLE

# Salesforce fields that tell the merge about lead conversion and record merges.
SALESFORCE_SYSTEM_FIELDS = {"Lead": ("IsConverted", "ConvertedContactId", "ConvertedAccountId")}


def hubspot_properties(pair: ObjectPair) -> list[str]:
    wanted = {f.hubspot for f in pair.fields}
    wanted |= {p for key in pair.match for p in key.hubspot}
    if pair.include.hubspot is not None:
        wanted |= pair.include.hubspot.fields()
        if any(c.owner_known is not None for c in pair.include.hubspot.walk()):
            wanted.add("hubspot_owner_id")
    wanted.add(pair.xref.hubspot_property)
    if pair.hubspot in HUBSPOT_MERGEABLE:  # a merge's survivor names its losers (record_merges.py)
        wanted.add("hs_merged_object_ids")
    if pair.deal_stages is not None:
        wanted.add(pair.deal_stages.pipeline_property)
    return sorted(wanted)


def salesforce_fields(pair: ObjectPair) -> dict[str, list[str]]:
    """Per Salesforce object; lookups such as Account.Name are fetched as parent fields."""
    out: dict[str, list[str]] = {}
    for sobject in pair.salesforce:
        wanted = {f.salesforce for f in pair.fields if f.applies_to(sobject)}
        for key in pair.match:
            wanted |= set(key.salesforce_fields(sobject) or [])
        if pair.include.salesforce is not None:
            wanted |= pair.include.salesforce.fields()
        wanted |= {
            a.salesforce_field
            for a in pair.associations
            if a.salesforce_field and (not a.salesforce_objects or sobject in a.salesforce_objects)
        }
        wanted.add(pair.xref.salesforce_field)
        wanted |= set(SALESFORCE_SYSTEM_FIELDS.get(sobject, ()))
        out[sobject] = sorted(wanted)
    return out


def associated_objects(mapping: Mapping, pair_name: str) -> list[str]:
    """HubSpot object types whose associations this pair's records need (lookups and inclusion rules)."""
    pair = mapping.pair(pair_name)
    others = {a.to for a in pair.associations}
    rule = pair.include.hubspot
    if rule is not None:
        others |= {p for c in rule.walk() for p in (c.associated_with_synced or [])}
    return sorted(mapping.pair(o).hubspot for o in others)
