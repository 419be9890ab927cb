"""Both sides' fields for one object pair, side by side, as HubSpot connector's field-mapping screen shows
them: what is mapped (and which way), whether the types fit, and unmapped pairs worth mapping, found by
name or label similarity among type-compatible fields. Pure functions over schema dicts (HubSpot
property definitions, Salesforce describe fields)."""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from crmsync_pipeline.config import ObjectPair

Schema = MappingType[str, MappingType[str, Any]]

HUBSPOT_KINDS = {"string": "text", "phone_number": "text", "number": "number", "date": "date",
                 "datetime": "datetime", "enumeration": "picklist", "bool": "bool"}  # fmt: skip
SALESFORCE_KINDS = {"string": "text", "textarea": "text", "email": "text", "phone": "text", "url": "text",
                    "encryptedstring": "text", "combobox": "text", "picklist": "picklist",
                    "multipicklist": "multipicklist", "double": "number", "int": "number", "long": "number",
                    "currency": "number", "percent": "number", "date": "date", "datetime": "datetime",
                    "boolean": "bool", "reference": "reference"}  # fmt: skip
# (HubSpot kind, Salesforce kind) -> the transform that makes them comparable ("" when none is needed)
FITS = {("text", "text"): "", ("number", "number"): "number", ("date", "date"): "date",
        ("datetime", "datetime"): "", ("date", "datetime"): "date", ("datetime", "date"): "date",
        ("bool", "bool"): "bool", ("picklist", "picklist"): "picklist", ("picklist", "text"): "",
        ("text", "picklist"): "picklist", ("picklist", "multipicklist"): "picklist",
        ("picklist", "bool"): "bool"}  # fmt: skip
NEEDS = {"number": "transform: number", "date": "transform: date", "bool": "transform: bool",
         "owner": "transform: owner", "picklist": "values must match or use a value map"}  # fmt: skip
# names that differ between the CRMs for the same idea (normalized, HubSpot -> Salesforce)
SYNONYMS = {"zip": "postalcode", "address": "street", "jobtitle": "title", "domain": "website",
            "hubspotownerid": "ownerid", "dealname": "name", "closedate": "closedate",
            "dealstage": "stagename", "taskbody": "description", "tasksubject": "subject",
            "leadstatus": "status", "emailoptout": "hasoptedoutofemail", "dateofbirth": "birthdate"}  # fmt: skip
THRESHOLD = 0.8


@dataclass(frozen=True)
class FieldRow:
    hubspot: str
    hubspot_type: str
    salesforce: str  # "Object.Field"
    salesforce_type: str
    fits: str  # "yes", "with transform X", "no"
    direction: str  # the mapping's, or the suggested one
    score: float = 1.0


def hubspot_kind(prop: MappingType[str, Any]) -> str:
    if prop.get("type") == "enumeration" and _field_type(prop) == "booleancheckbox":
        return "bool"
    return HUBSPOT_KINDS.get(str(prop.get("type")), str(prop.get("type")))


def salesforce_kind(meta: MappingType[str, Any]) -> str:
    return SALESFORCE_KINDS.get(str(meta.get("type")), str(meta.get("type")))


def fit(prop: MappingType[str, Any], meta: MappingType[str, Any]) -> str | None:
    """None when the types cannot hold each other's values; else "" or the transform they need."""
    kinds = (hubspot_kind(prop), salesforce_kind(meta))
    if kinds[1] == "reference":
        # only owners are matched across (by email); other lookups are associations, not fields
        owner = str(prop.get("name", "")).endswith("owner_id") or _referenced(prop) == "OWNER"
        return "owner" if owner and "User" in (meta.get("referenceTo") or []) else None
    return FITS.get(kinds)


def fit_text(need: str | None) -> str:
    return "no" if need is None else ("yes" if not need else f"yes, {NEEDS[need]}")


def hubspot_type_label(prop: MappingType[str, Any]) -> str:
    return f"{prop.get('type')}/{_field_type(prop)}"


def salesforce_type_label(meta: MappingType[str, Any]) -> str:
    length = f"({meta['length']})" if meta.get("length") and salesforce_kind(meta) == "text" else ""
    return f"{meta.get('type')}{length}"


def mapped_rows(pair: ObjectPair, hubspot: Schema, salesforce: dict[str, Schema]) -> list[FieldRow]:
    rows = []
    for mapped in pair.fields:
        prop = hubspot.get(mapped.hubspot)
        for sobject, fields in salesforce.items():
            if not mapped.applies_to(sobject):
                continue
            meta = fields.get(mapped.salesforce)
            if prop is None or meta is None:
                fits = f"no: {'HubSpot' if prop is None else 'Salesforce'} has no such field"
            else:
                fits = fit_text(fit(prop, meta))
            rows.append(
                FieldRow(
                    mapped.hubspot,
                    hubspot_type_label(prop) if prop else "?",
                    f"{sobject}.{mapped.salesforce}",
                    salesforce_type_label(meta) if meta else "?",
                    fits,
                    mapped.direction.value,
                )
            )
    return rows


def suggestions(pair: ObjectPair, hubspot: Schema, salesforce: dict[str, Schema]) -> list[FieldRow]:
    """Unmapped HubSpot property <-> unmapped Salesforce field pairs with fitting types and similar names,
    best first; each field is suggested at most once per Salesforce object."""
    mapped_hubspot = {f.hubspot for f in pair.fields} | {pair.xref.hubspot_property}
    out = []
    for sobject, fields in salesforce.items():
        mapped_salesforce = {f.salesforce for f in pair.fields_for(sobject)} | {pair.xref.salesforce_field}
        mapped_salesforce |= {a.salesforce_field for a in pair.associations if a.salesforce_field}
        candidates = []
        for name, prop in hubspot.items():
            if name in mapped_hubspot or prop.get("hidden") or prop.get("archived"):
                continue
            for field_name, meta in fields.items():
                if field_name in mapped_salesforce or meta.get("type") == "id" or meta.get("calculated"):
                    continue
                need = fit(prop, meta)
                score = similarity(prop, meta)
                if need is not None and score >= THRESHOLD and suggested_direction(prop, meta):
                    candidates.append((score, name, prop, field_name, meta, need))
        taken: set[str] = set()
        for score, name, prop, field_name, meta, need in sorted(
            candidates, key=lambda c: (-c[0], c[1], c[3])
        ):
            if name in taken or field_name in taken:
                continue
            taken |= {name, field_name}
            direction = suggested_direction(prop, meta) or ""
            out.append(
                FieldRow(
                    name,
                    hubspot_type_label(prop),
                    f"{sobject}.{field_name}",
                    salesforce_type_label(meta),
                    fit_text(need),
                    direction,
                    round(score, 2),
                )
            )
    return sorted(out, key=lambda r: (-r.score, r.hubspot, r.salesforce))


def suggested_direction(prop: MappingType[str, Any], meta: MappingType[str, Any]) -> str | None:
    """two_way, or the only way a read-only side allows; None when neither side can be written."""
    hubspot_writable, salesforce_writable = not _read_only(prop), bool(meta.get("updateable"))
    if hubspot_writable and salesforce_writable:
        return "two_way"
    if hubspot_writable or salesforce_writable:
        return "always_salesforce" if hubspot_writable else "always_hubspot"
    return None


def unmapped(pair: ObjectPair, hubspot: Schema, salesforce: dict[str, Schema]) -> tuple[list, list]:
    """(HubSpot properties, Salesforce "Object.Field"s) that no mapping entry uses, with type labels."""
    used_hubspot = {f.hubspot for f in pair.fields}
    hubspot_rows = [
        (name, hubspot_type_label(p), _note(name == pair.xref.hubspot_property, not _read_only(p)))
        for name, p in sorted(hubspot.items())
        if name not in used_hubspot and not p.get("hidden")
    ]
    carried = {a.salesforce_field: a.to for a in pair.associations if a.salesforce_field}
    salesforce_rows = [
        (
            f"{sobject}.{name}",
            salesforce_type_label(m),
            f"association to {carried[name]}"
            if name in carried
            else _note(name == pair.xref.salesforce_field, bool(m.get("updateable"))),
        )
        for sobject, fields in salesforce.items()
        for name, m in sorted(fields.items())
        if name not in {f.salesforce for f in pair.fields_for(sobject)}
    ]
    return hubspot_rows, salesforce_rows


def _note(cross_reference: bool, writable: bool) -> str:
    if cross_reference:
        return "crmsync cross-reference id"
    return "" if writable else "read-only"


def similarity(prop: MappingType[str, Any], meta: MappingType[str, Any]) -> float:
    hubspot_names = {_normal(prop.get("name")), _normal(prop.get("label"))} - {""}
    salesforce_names = {_normal(meta.get("name")), _normal(meta.get("label"))} - {""}
    salesforce_names |= {n.removeprefix("mailing") for n in salesforce_names}  # Contact.MailingCity ...
    hubspot_names |= {SYNONYMS[n] for n in hubspot_names if n in SYNONYMS}
    return max(
        (SequenceMatcher(None, h, s).ratio() for h in hubspot_names for s in salesforce_names), default=0.0
    )


def _normal(name: Any) -> str:
    text = re.sub(r"__c$", "", str(name or "").lower())
    text = re.sub(r"^hs_", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def _field_type(prop: MappingType[str, Any]) -> str:
    return str(prop.get("field_type") or prop.get("fieldType") or "")


def _referenced(prop: MappingType[str, Any]) -> str:
    return str(prop.get("referenced_object_type") or prop.get("referencedObjectType") or "")


def _read_only(prop: MappingType[str, Any]) -> bool:
    meta = prop.get("modification_metadata") or prop.get("modificationMetadata") or {}
    return bool(meta.get("read_only_value") or meta.get("readOnlyValue") or prop.get("calculated"))
