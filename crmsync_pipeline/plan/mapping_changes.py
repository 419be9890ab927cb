"""Mapping changes the merge must know about. Base is kept per link and field in the field's canonical
form, which its transform defines (a value map's Salesforce values, a domain without scheme, a date by
day ...). When a field's form changes (its transform, value map or stage map, the fields it joins, its
defaults), a base kept in the old form no longer compares with values in the new one: an unchanged side
could look changed, and its older value win. So the base of that field is forgotten, on every link,
before the merge: pairs whose values agree in the new form take that as base again with no write, and
pairs that now differ are judged by the field's first-link rules, with fresh values.

A direction change keeps base (the canonical form is the same) and simply takes effect; a field
unmapped keeps its base and its row here, so mapping it again in the same form merges it three-way
against what both sides last agreed on (the extract reads it afresh first: extract/cursors.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import FieldMapping, Mapping, ObjectPair, TransformKind
from crmsync_pipeline.state.db import sql


@dataclass(frozen=True)
class FieldForm:
    """What one mapped field's canonical form depends on, as JSON, and its digest."""

    field: str
    form: str
    digest: str
    direction: str


def field_forms(mapping: Mapping, pair: ObjectPair) -> list[FieldForm]:
    return [_form(mapping, pair, f) for f in pair.fields]


def _form(mapping: Mapping, pair: ObjectPair, mapped: FieldMapping) -> FieldForm:
    spec: dict[str, Any] = {
        "hubspot": mapped.hubspot,
        "salesforce": mapped.salesforce,
        "salesforce_objects": mapped.salesforce_objects,
        "transform": mapped.transform.model_dump(mode="json"),
        "default": mapped.default.model_dump(mode="json"),
    }
    kind = mapped.transform.kind
    if kind is TransformKind.PICKLIST and mapped.transform.value_map in mapping.value_maps:
        spec["value_map"] = mapping.value_maps[mapped.transform.value_map].model_dump(mode="json")
    elif kind is TransformKind.STAGE and pair.deal_stages is not None:
        spec["deal_stages"] = pair.deal_stages.model_dump(mode="json")
    form = json.dumps(spec, sort_keys=True)
    digest = hashlib.sha256(form.encode()).hexdigest()[:16]
    return FieldForm(mapped.name, form, digest, mapped.direction.value)


def rebase_changed_forms(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, pair_name: str, run_id: str, now: datetime
) -> list[str]:
    """Forget the base of each field of the pair whose canonical form changed since the plan last
    merged it, and record every field's current form; returns the fields whose base was forgotten."""
    forms = field_forms(mapping, mapping.pair(pair_name))
    stored = {
        field: (digest, direction)
        for field, digest, direction in con.execute(
            "SELECT field, form_digest, direction FROM mapped_fields WHERE pair = ?", [pair_name]
        ).fetchall()
    }
    changed = sorted(f.field for f in forms if f.field in stored and stored[f.field][0] != f.digest)
    if changed:
        con.execute(
            "DELETE FROM base_values WHERE pair = ? AND list_contains(?, field)", [pair_name, changed]
        )
    # The upsert changes nothing for a field whose form and direction are as stored (every field of
    # most runs): only the others are sent, one statement each.
    for f in forms:
        if stored.get(f.field) == (f.digest, f.direction):
            continue
        con.execute(
            sql("plan/mapped_fields_upsert.sql"),
            {
                "pair": pair_name,
                "field": f.field,
                "digest": f.digest,
                "form": f.form,
                "direction": f.direction,
                "now": now,
                "run_id": run_id,
            },
        )
    return changed
