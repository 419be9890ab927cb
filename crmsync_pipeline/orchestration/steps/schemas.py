"""The CRMs' schemas the plan needs (the pair's Salesforce describes and HubSpot properties): read
through the state file's cache, afresh when a mapped field is missing from a cached one."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.extract.schemas import forget_schemas, hubspot_properties, salesforce_fields
from crmsync_pipeline.state.run_context import RunContext

# {"salesforce": {sObject: {field: describe}}, "hubspot": {object type: {property: definition}}}
Schemas = dict[str, dict[str, dict[str, Any]]]


def read_schemas(ctx: RunContext) -> Schemas:
    pair = ctx.pair
    return {
        "salesforce": {s: salesforce_fields(ctx.state_path, ctx.salesforce, s) for s in pair.salesforce},
        "hubspot": {pair.hubspot: hubspot_properties(ctx.state_path, ctx.hubspot, pair.hubspot)},
    }


def current_schemas(ctx: RunContext) -> Schemas:
    """The pair's schemas; a cached schema may predate `crmsync setup`, so one lacking a mapped field
    is read afresh."""
    schemas = read_schemas(ctx)
    if not mapped_fields_known(ctx.pair, schemas):
        forget_schemas(ctx.state_path)
        ctx.salesforce.forget_describes()
        schemas = read_schemas(ctx)
    return schemas


def mapped_fields_known(pair: ObjectPair, schemas: Schemas) -> bool:
    hubspot = schemas["hubspot"][pair.hubspot]
    return all(f.hubspot in hubspot for f in pair.fields) and all(
        f.salesforce in fields for s, fields in schemas["salesforce"].items() for f in pair.fields_for(s)
    )


def cut_lengths(pair: ObjectPair, salesforce_schemas: dict[str, dict[str, Any]]) -> dict[str, int]:
    """For fields marked truncate: the Salesforce length their values are cut to."""
    out: dict[str, int] = {}
    for mapped in pair.fields:
        for sobject, fields in salesforce_schemas.items():
            length = (fields.get(mapped.salesforce) or {}).get("length") if mapped.truncate else None
            if length and mapped.applies_to(sobject):
                out[mapped.name] = min(int(length), out.get(mapped.name, int(length)))
    return out
