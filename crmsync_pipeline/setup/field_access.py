"""Field-level security for the fields crmsync needs in Salesforce.

A custom field created through the Tooling API (as `crmsync setup` creates the cross-reference fields) is
visible to no profile until field permissions grant it: describe leaves it out and every read or write
naming it answers INVALID_FIELD. `crmsync setup` therefore grants Read and Edit on the fields it needs
through one permission set, "CrmSync Integration", assigned to the integration user; when the org refuses
(the user lacks "Manage Profiles and Permission Sets" / "Assign Permission Sets"), it says exactly what an
admin must grant. `crmsync check` finds a mapped field that exists but is hidden (the Tooling API still
lists it) and names the grant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors.errors import CrmError

from .salesforce_org import OrgCalls, soql_quote

PERMISSION_SET_NAME = "CrmSync_Integration"
PERMISSION_SET_LABEL = "CrmSync Integration"


@dataclass(frozen=True)
class FieldRef:
    sobject: str
    name: str

    @property
    def full(self) -> str:
        return f"{self.sobject}.{self.name}"


@dataclass
class GrantOutcome:
    granted: list[FieldRef] = field(default_factory=list)
    already: list[FieldRef] = field(default_factory=list)
    refused: CrmError | None = None


def mapped_fields(pair: ObjectPair, sobject: str) -> list[str]:
    """Every Salesforce field crmsync reads or writes on one sObject: the cross-reference field, mapped fields
    and association lookups, standard and custom."""
    names = [pair.xref.salesforce_field, *(f.salesforce for f in pair.fields_for(sobject))]
    names += [a.salesforce_field for a in pair.associations if a.salesforce_field]
    return list(dict.fromkeys(n for n in names if n))


def hidden_fields(org: OrgCalls, sobject: str, names: Iterable[str]) -> set[str]:
    """Of these field names (absent from the user's describe), those the Tooling API says exist on the
    object: fields field-level security hides. Custom fields are found as CustomField rows, standard ones
    (a profile may hide Title or Phone as well) as FieldDefinition rows, which list every field whatever
    the reader's field-level security. Empty when the Tooling API refuses (no View Setup)."""
    names = list(names)
    custom = [n for n in names if n.endswith("__c")]
    standard = [n for n in names if not n.endswith("__c")]
    try:
        tables = _entity_ids(org, sobject) if custom or standard else set()
        return _hidden_custom(org, tables, custom) | _hidden_standard(org, tables, standard)
    except CrmError:
        return set()


def _entity_ids(org: OrgCalls, sobject: str) -> set[str]:
    """How the Tooling API names the object: its API name, or for a custom object its id (15 and 18)."""
    tables = {sobject}
    if sobject.endswith("__c"):
        objects = org.tooling_query(
            "SELECT Id FROM CustomObject WHERE DeveloperName = " + soql_quote(sobject.removesuffix("__c"))
        )
        tables |= {str(r["Id"]) for r in objects} | {str(r["Id"])[:15] for r in objects}
    return tables


def _hidden_custom(org: OrgCalls, tables: set[str], names: list[str]) -> set[str]:
    wanted = {n.removesuffix("__c"): n for n in names}
    if not wanted:
        return set()
    developer_names = ", ".join(soql_quote(n) for n in sorted(wanted))
    rows = org.tooling_query(
        f"SELECT DeveloperName, TableEnumOrId FROM CustomField WHERE DeveloperName IN ({developer_names})"
    )
    return {wanted[r["DeveloperName"]] for r in rows if r.get("TableEnumOrId") in tables}


def _hidden_standard(org: OrgCalls, tables: set[str], names: list[str]) -> set[str]:
    if not names:
        return set()
    rows = org.tooling_query(
        "SELECT QualifiedApiName, EntityDefinitionId FROM FieldDefinition "
        f"WHERE EntityDefinitionId IN ({', '.join(soql_quote(t) for t in sorted(tables))}) "
        f"AND QualifiedApiName IN ({', '.join(soql_quote(n) for n in sorted(names))})"
    )
    by_lower = {n.lower(): n for n in names}
    return {
        by_lower[str(r["QualifiedApiName"]).lower()]
        for r in rows
        if str(r["QualifiedApiName"]).lower() in by_lower
    }


def grant_read_edit(org: OrgCalls, fields: list[FieldRef]) -> GrantOutcome:
    """Read and Edit on each field through the permission set, assigned to the integration user."""
    outcome = GrantOutcome()
    if not fields:
        return outcome
    try:
        pset = _permission_set(org)
        existing = {
            str(r["Field"]).lower(): r
            for r in org.query(
                "SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
                f"WHERE ParentId = {soql_quote(pset)}"
            )
        }
        for ref in fields:
            row = existing.get(ref.full.lower())
            if row is not None and row["PermissionsRead"] and row["PermissionsEdit"]:
                outcome.already.append(ref)
                continue
            if row is not None:
                org.update("FieldPermissions", row["Id"], {"PermissionsRead": True, "PermissionsEdit": True})
            else:
                org.create("FieldPermissions", {"ParentId": pset, "SobjectType": ref.sobject, "Field": ref.full,
                                                "PermissionsRead": True, "PermissionsEdit": True})  # fmt: skip
            outcome.granted.append(ref)
        _assign(org, pset)
    except CrmError as err:
        outcome.refused = err
    return outcome


def _permission_set(org: OrgCalls) -> str:
    rows = org.query(f"SELECT Id FROM PermissionSet WHERE Name = {soql_quote(PERMISSION_SET_NAME)}")
    if rows:
        return str(rows[0]["Id"])
    return org.create("PermissionSet", {
        "Name": PERMISSION_SET_NAME, "Label": PERMISSION_SET_LABEL,
        "Description": "Field access crmsync needs: the cross-reference and mapped custom fields.",
    })  # fmt: skip


def _assign(org: OrgCalls, pset: str) -> None:
    user = org.user_id()
    assigned = org.query(
        "SELECT Id FROM PermissionSetAssignment "
        f"WHERE PermissionSetId = {soql_quote(pset)} AND AssigneeId = {soql_quote(user)}"
    )
    if not assigned:
        org.create("PermissionSetAssignment", {"AssigneeId": user, "PermissionSetId": pset})


def admin_grant_text(fields: list[FieldRef], err: CrmError) -> str:
    names = ", ".join(f.full for f in fields)
    return (
        f"Salesforce field-level security: crmsync may not grant itself access ({err.code}): an admin must give "
        f"the integration user Read and Edit on {names} (Setup > Permission Sets > '{PERMISSION_SET_LABEL}' or "
        "any set assigned to the user > Object Settings > the field's Read and Edit boxes), or give the user "
        "'Manage Profiles and Permission Sets' and 'Assign Permission Sets' and run `crmsync setup` again; until "
        "then Salesforce answers INVALID_FIELD for these fields"
    )


class FieldVisibility:
    """Describe fields of each sObject plus the fields crmsync needs (custom or standard) that exist but are
    hidden from the integration user, marked `hidden` (neither createable nor updateable); Tooling queries
    only when a needed field is missing from describe."""

    def __init__(self, mapping: Mapping, salesforce: Any, org: OrgCalls):
        self.mapping, self.salesforce, self.org = mapping, salesforce, org
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}

    def fields(self, sobject: str) -> dict[str, dict[str, Any]]:
        if sobject not in self._fields:
            described = {f["name"]: f for f in self.salesforce.describe(sobject)["fields"]}
            needed = {
                n
                for name in self.mapping.active_pairs()
                if sobject in self.mapping.pair(name).salesforce
                for n in mapped_fields(self.mapping.pair(name), sobject)
            }
            for name in hidden_fields(self.org, sobject, sorted(needed - set(described))):
                described[name] = {"name": name, "type": "string", "hidden": True, "createable": False,
                                   "updateable": False, "nillable": True, "custom": name.endswith("__c")}  # fmt: skip
            self._fields[sobject] = described
        return self._fields[sobject]
