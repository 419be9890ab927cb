"""Describe payloads: global (`/sobjects`), per object (`/sobjects/{Obj}/describe`) and basic info."""

from __future__ import annotations

from typing import Any

from .metadata import Schema
from .schema import FieldDef, ObjectDef


def object_urls(base: str, obj: ObjectDef) -> dict[str, str]:
    root = f"{base}/sobjects/{obj.name}"
    return {"sobject": root, "describe": f"{root}/describe", "rowTemplate": f"{root}/{{ID}}"}


def object_summary(base: str, obj: ObjectDef, denied: frozenset[str] = frozenset()) -> dict[str, Any]:
    w = obj.writable
    return {
        "activateable": False, "createable": w and "create" not in denied, "custom": obj.custom,
        "customSetting": False, "deepCloneable": False, "deletable": w and "delete" not in denied,
        "deprecatedAndHidden": False, "feedEnabled": w,
        "hasSubtypes": False, "isInterface": False, "isSubtype": False, "keyPrefix": obj.key_prefix,
        "label": obj.label, "labelPlural": obj.label_plural, "layoutable": w, "mergeable": obj.mergeable,
        "mruEnabled": w, "name": obj.name, "queryable": "read" not in denied, "replicateable": True,
        "retrieveable": True,
        "searchable": w, "triggerable": w, "undeletable": w, "updateable": w and "edit" not in denied,
        "urls": object_urls(base, obj),
    }  # fmt: skip


def global_describe(base: str, schema: Schema, access: Any = None) -> dict[str, Any]:
    """`access` (the user's permissions) leaves out objects it may not read and flags what it may not do."""
    objects = sorted(schema.objects.values(), key=lambda o: o.name)
    if access is not None:
        objects = [o for o in objects if access.can(o.name, "read")]
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(base, o, access.denied.get(o.name, frozenset()) if access else frozenset())
                     for o in objects],
    }  # fmt: skip


def describe_object(
    base: str,
    schema: Schema,
    obj: ObjectDef,
    restricted: set[str],
    read_only: frozenset[str] = frozenset(),
    denied: frozenset[str] = frozenset(),
    hidden: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """`read_only` and `hidden` (lowercase names) and `denied` (object permissions) are the user's access:
    a field it cannot see is not described at all."""
    out = object_summary(base, obj, denied)
    out.update({
        "actionOverrides": [], "compactLayoutable": obj.writable, "defaultImplementation": None,
        "extendedBy": None, "extendsInterfaces": None, "implementedBy": None, "implementsInterfaces": None,
        "listviewable": None, "lookupLayoutable": None, "namedLayoutInfos": [], "networkScopeFieldName": None,
        "searchLayoutable": obj.writable, "sobjectDescribeOption": "FULL", "supportedScopes": [],
        "fields": [describe_field(f, f.name.lower() in restricted, f.name.lower() in read_only)
                   for f in obj.fields.values() if f.name.lower() not in hidden],
        "childRelationships": [
            {"cascadeDelete": False, "childSObject": rel["child"], "deprecatedAndHidden": False,
             "field": rel["field"], "junctionIdListNames": [], "junctionReferenceTo": [],
             "relationshipName": rel["relationship"], "restrictedDelete": False}
            for rel in schema.child_relationships(obj.name)
        ],
        "recordTypeInfos": [
            {"active": True, "available": True, "defaultRecordTypeMapping": rt.default or (rt.master and len(obj.record_types) == 1),
             "developerName": rt.developer_name, "master": rt.master, "name": rt.name, "recordTypeId": rt.id,
             "urls": {"layout": f"{base}/sobjects/{obj.name}/describe/layouts/{rt.id}"}}
            for rt in obj.record_types
        ],
    })  # fmt: skip
    out["urls"].update({"compactLayouts": f"{base}/sobjects/{obj.name}/describe/compactLayouts",
                        "layouts": f"{base}/sobjects/{obj.name}/describe/layouts"})  # fmt: skip
    return out


def describe_field(f: FieldDef, restricted: bool, read_only: bool = False) -> dict[str, Any]:
    createable, updateable = f.createable and not read_only, f.updateable and not read_only
    numeric = f.type in ("double", "currency", "percent")
    text_like = f.is_text or f.type in ("id", "reference")
    return {
        "aggregatable": f.type not in ("textarea",), "aiPredictionField": False, "autoNumber": False,
        "byteLength": f.length * 3 if text_like else 0, "calculated": f.calculated, "calculatedFormula": None,
        "cascadeDelete": False, "caseSensitive": f.case_sensitive, "compoundFieldName": None,
        "controllerName": None, "createable": createable, "custom": f.custom,
        "defaultValue": f.picklist_default if f.picklist_default is not None else f.default_value,
        "defaultValueFormula": None, "defaultedOnCreate": f.defaulted_on_create, "dependentPicklist": False,
        "deprecatedAndHidden": False, "digits": f.digits, "displayLocationInDecimal": False, "encrypted": False,
        "externalId": f.external_id, "extraTypeInfo": _extra_type(f), "filterable": f.type != "textarea",
        "filteredLookupInfo": None, "formulaTreatNullNumberAsZero": False, "groupable": f.type not in ("textarea", "double", "currency", "percent", "datetime"),
        "highScaleNumber": False, "htmlFormatted": False, "idLookup": f.id_lookup, "inlineHelpText": None,
        "label": f.label, "length": f.length if text_like else 0, "mask": None, "maskType": None,
        "name": f.name, "nameField": f.name_field, "namePointing": len(f.reference_to) > 1,
        "nillable": f.nillable, "permissionable": f.nillable and f.createable,
        "picklistValues": [
            {"active": True, "defaultValue": v == f.picklist_default, "label": v, "validFor": None, "value": v}
            for v in f.picklist
        ],
        "polymorphicForeignKey": len(f.reference_to) > 1, "precision": f.precision if numeric else 0,
        "queryByDistance": False, "referenceTargetField": None, "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name, "relationshipOrder": None, "restrictedDelete": False,
        "restrictedPicklist": restricted or f.restricted, "scale": f.scale if numeric else 0,
        "searchPrefilterable": f.type == "reference", "soapType": f.soap_type,
        "sortable": f.type != "textarea", "type": f.type, "unique": f.unique, "updateable": updateable,
        "writeRequiresMasterRead": False,
    }  # fmt: skip


def _extra_type(f: FieldDef) -> str | None:
    return "plaintextarea" if f.type == "textarea" else None


def basic_info(base: str, obj: ObjectDef, recent: list[dict[str, Any]]) -> dict[str, Any]:
    return {"objectDescribe": object_summary(base, obj), "recentItems": recent}
