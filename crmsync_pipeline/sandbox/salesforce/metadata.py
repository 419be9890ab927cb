"""The org's schema: standard objects plus custom fields/objects added through the Tooling API
(persisted as specs in the store, so a restarted sandbox rebuilds the same schema)."""

from __future__ import annotations

from typing import Any

from .schema import FieldDef, ObjectDef, plural
from .standard_objects import build_standard_objects, new_object, text

# (child object, field) -> relationship name on the parent, as a fresh org names them
STANDARD_CHILD_RELATIONSHIPS = {
    ("Contact", "AccountId"): "Contacts",
    ("Opportunity", "AccountId"): "Opportunities",
    ("Account", "ParentId"): "ChildAccounts",
    ("Task", "WhatId"): "Tasks",
    ("Task", "WhoId"): "Tasks",
    ("OpportunityContactRole", "OpportunityId"): "OpportunityContactRoles",
    ("OpportunityContactRole", "ContactId"): "OpportunityContactRoles",
    ("Opportunity", "ContactId"): "Opportunities",
}

TOOLING_TYPES: dict[str, str] = {
    "text": "string", "textarea": "textarea", "longtextarea": "textarea", "number": "double",
    "checkbox": "boolean", "date": "date", "datetime": "datetime", "picklist": "picklist",
    "multiselectpicklist": "multipicklist", "email": "email", "phone": "phone", "url": "url",
    "currency": "currency", "percent": "percent", "lookup": "reference",
}  # fmt: skip


class Schema:
    """Every sObject type of the org, looked up case-insensitively."""

    def __init__(self, install_xref: bool, custom_objects: list[dict], custom_fields: list[dict]):
        self.objects: dict[str, ObjectDef] = {}
        self._lower: dict[str, ObjectDef] = {}
        from .permissions import permission_objects

        for obj in [*build_standard_objects(install_xref), *permission_objects()]:
            self._register(obj)
        for spec in custom_objects:
            self._register(custom_object(spec))
        for spec in custom_fields:
            self.objects[spec["object"]].add(custom_field(spec))
        self._prefixes = {o.key_prefix: o.name for o in self.objects.values() if o.name != "LeadStatus"}

    def _register(self, obj: ObjectDef) -> None:
        self.objects[obj.name] = obj
        self._lower[obj.name.lower()] = obj

    def get(self, name: str) -> ObjectDef | None:
        return self._lower.get(name.lower())

    def object_for_prefix(self, prefix: str) -> str | None:
        return self._prefixes.get(prefix)

    def add_field(self, spec: dict) -> FieldDef:
        return self.objects[spec["object"]].add(custom_field(spec))

    def add_object(self, spec: dict) -> ObjectDef:
        obj = custom_object(spec)
        self._register(obj)
        self._prefixes[obj.key_prefix] = obj.name
        return obj

    def child_relationships(self, parent: str) -> list[dict[str, Any]]:
        out = []
        for child in self.objects.values():
            for f in child.fields.values():
                if f.type == "reference" and parent in f.reference_to:
                    name = STANDARD_CHILD_RELATIONSHIPS.get((child.name, f.name))
                    if f.custom:
                        name = child.name.removesuffix("__c") + "s__r"
                    out.append({"child": child.name, "field": f.name, "relationship": name})
        return out

    def child_relationship(self, parent: str, name: str) -> tuple[str, str] | None:
        for rel in self.child_relationships(parent):
            if rel["relationship"] and rel["relationship"].lower() == name.lower():
                return rel["child"], rel["field"]
        return None


def custom_field(spec: dict) -> FieldDef:
    kind = spec["type"]
    kw: dict[str, Any] = {}
    if kind in ("string", "textarea", "email", "phone", "url", "picklist", "multipicklist"):
        default_len = {"string": 255, "textarea": 255, "email": 80, "phone": 40, "url": 255}.get(kind, 255)
        kw["length"] = int(spec.get("length") or default_len)
    if kind in ("double", "currency", "percent"):
        kw["precision"] = int(spec.get("precision") or 18)
        kw["scale"] = int(spec.get("scale") or 0)
    if kind == "boolean":
        kw.update(nillable=False, defaulted_on_create=True, default_value=bool(spec.get("default", False)))
    if kind in ("picklist", "multipicklist"):
        kw["picklist"] = list(spec.get("values") or [])
        kw["picklist_default"] = spec.get("default")
        kw["restricted"] = bool(spec.get("restricted", False))
    if kind == "reference":
        kw["reference_to"] = [spec["reference_to"]]
        kw["relationship_name"] = spec["name"].removesuffix("__c") + "__r"
        kw["length"] = 18
    return FieldDef(
        spec["name"], kind, label=spec.get("label") or "", external_id=bool(spec.get("external_id")),
        unique=bool(spec.get("unique")), case_sensitive=bool(spec.get("case_sensitive")),
        id_lookup=bool(spec.get("external_id") or spec.get("unique")), custom=True,
        nillable=not spec.get("required", False) and kind != "boolean", **kw,
    )  # fmt: skip


def custom_object(spec: dict) -> ObjectDef:
    obj = new_object(
        spec["name"], spec.get("label") or spec["name"].removesuffix("__c"), prefix=spec["key_prefix"]
    )
    obj.custom = True
    obj.label_plural = spec.get("label_plural") or plural(obj.label)
    obj.add(text("Name", 80, nillable=False, name_field=True, label=f"{obj.label} Name"))
    return obj
