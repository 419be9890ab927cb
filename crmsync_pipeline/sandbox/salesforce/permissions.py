"""What the integration user may see and do, as a real org decides it: its profile (settings) plus the
permission sets assigned to it (PermissionSet, FieldPermissions, ObjectPermissions and
PermissionSetAssignment rows, created through the REST sObject API like any record).

Sources (docs/sandbox.md, "Permissions"): Salesforce Object Reference (PermissionSet, FieldPermissions,
ObjectPermissions, PermissionSetAssignment: fields and `Field` written `Object.Field`); Metadata/Tooling API
Developer Guides (a field deployed without profile field permissions is visible to no profile); REST API
Developer Guide (a field the user cannot see is absent from describe and answers INVALID_FIELD; SOQL on an
object the user cannot read answers INVALID_TYPE). Only API requests of the integration user are limited;
the sandbox's UI user and the org's own saves (automation, merges, conversions) see everything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import fail
from .schema import FieldDef, ObjectDef
from .soql.catalog import FieldMeta
from .standard_objects import boolean, new_object, read_only, ref, text

if TYPE_CHECKING:
    from .catalog import StoreCatalog
    from .emulator import SalesforceEmulator

ADMIN_OBJECTS = ("PermissionSet", "FieldPermissions", "ObjectPermissions", "PermissionSetAssignment")
OBJECT_PERMISSIONS = {"read": "PermissionsRead", "create": "PermissionsCreate", "edit": "PermissionsEdit",
                      "delete": "PermissionsDelete"}  # fmt: skip


def permission_objects() -> list[ObjectDef]:
    """The sObjects an admin (or a user allowed to manage permissions) edits to grant access, and the
    read-only rule objects (AssignmentRule, DuplicateRule) setup checks read."""
    pset = new_object("PermissionSet", "Permission Set", owned=False, prefix="0PS")
    for f in (text("Name", 80, nillable=False, unique=True), text("Label", 80, nillable=False, name_field=True),
              text("Description", 255), read_only(boolean("IsOwnedByProfile"))):  # fmt: skip
        pset.add(f)
    fperm = new_object("FieldPermissions", "Field Permissions", owned=False, prefix="01k")
    for f in (ref("ParentId", ["PermissionSet"], "Parent", nillable=False), text("SobjectType", 40, nillable=False),
              text("Field", 100, nillable=False), boolean("PermissionsRead"), boolean("PermissionsEdit")):  # fmt: skip
        fperm.add(f)
    operm = new_object("ObjectPermissions", "Object Permissions", owned=False, prefix="110")
    operm.add(ref("ParentId", ["PermissionSet"], "Parent", nillable=False))
    operm.add(text("SobjectType", 40, nillable=False))
    for name in OBJECT_PERMISSIONS.values():
        operm.add(boolean(name))
    assignment = new_object("PermissionSetAssignment", "Permission Set Assignment", owned=False, prefix="0Pa")
    assignment.add(ref("AssigneeId", ["User"], "Assignee", nillable=False))
    assignment.add(ref("PermissionSetId", ["PermissionSet"], "PermissionSet", nillable=False))
    rule = new_object("AssignmentRule", "Assignment Rule", owned=False, writable=False, prefix="01Q")
    for f in (text("Name", 120, name_field=True), text("SobjectType", 40), boolean("Active")):
        rule.add(read_only(f))
    duplicate = new_object("DuplicateRule", "Duplicate Rule", owned=False, writable=False, prefix="0Bm")
    for f in (text("DeveloperName", 80), text("MasterLabel", 80, name_field=True), text("SobjectType", 40),
              boolean("IsActive")):  # fmt: skip
        duplicate.add(read_only(f))
    return [pset, fperm, operm, assignment, rule, duplicate]


@dataclass(frozen=True)
class UserAccess:
    """The integration user's access at one moment. Field names are lower case."""

    hidden: dict[str, frozenset[str]] = field(default_factory=dict)
    read_only: dict[str, frozenset[str]] = field(default_factory=dict)
    denied: dict[str, frozenset[str]] = field(default_factory=dict)

    def can(self, obj: str, permission: str) -> bool:
        denied = self.denied.get(obj, frozenset())
        return permission not in denied and "read" not in denied

    def sees(self, obj: str, name: str) -> bool:
        return name.lower() not in self.hidden.get(obj, frozenset())

    def edits(self, obj: str, name: str) -> bool:
        return self.sees(obj, name) and name.lower() not in self.read_only.get(obj, frozenset())


def _live(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if not r.get("IsDeleted")]


def user_access(org: SalesforceEmulator) -> UserAccess:
    """Profile settings, widened by every permission set assigned to the integration user."""
    settings, store = org.settings, org.store
    sets = {r["PermissionSetId"] for r in _live(store.table("PermissionSetAssignment").values())
            if r["AssigneeId"] == org.api_user_id}  # fmt: skip
    reads: set[tuple[str, str]] = set()
    edits: set[tuple[str, str]] = set()
    for r in _live(store.table("FieldPermissions").values()):
        if r["ParentId"] in sets:
            obj, _, name = str(r["Field"]).partition(".")
            key = (obj.lower(), name.lower())
            if r["PermissionsRead"] or r["PermissionsEdit"]:
                reads.add(key)
            if r["PermissionsEdit"]:
                edits.add(key)
    granted: dict[str, set[str]] = {}
    for r in _live(store.table("ObjectPermissions").values()):
        if r["ParentId"] in sets:
            granted.setdefault(str(r["SobjectType"]).lower(), set()).update(
                p for p, column in OBJECT_PERMISSIONS.items() if r[column]
            )
    hidden: dict[str, set[str]] = {}
    read_only: dict[str, set[str]] = {}
    unprotected = [(s["object"], s["name"]) for s in store.meta("custom_fields", []) if not s.get("required")]
    for obj, name in [*(unprotected if settings.new_fields_need_permission else []),
                      *((o, n) for o, names in settings.profile_hidden_fields.items() for n in names)]:  # fmt: skip
        key = (obj.lower(), name.lower())
        if key not in reads:
            hidden.setdefault(obj, set()).add(name.lower())
        elif key not in edits:
            read_only.setdefault(obj, set()).add(name.lower())
    for obj, names in settings.profile_read_only_fields.items():
        read_only.setdefault(obj, set()).update(
            n.lower() for n in names if (obj.lower(), n.lower()) not in edits
        )
    denied: dict[str, set[str]] = {}
    for obj, perms in settings.profile_denied_object_permissions.items():
        denied[obj] = set(perms) - granted.get(obj.lower(), set())
    if not settings.can_manage_permissions:
        for obj in ADMIN_OBJECTS:
            denied.setdefault(obj, set()).update({"create", "edit", "delete"})
    return UserAccess(
        {o: frozenset(n) for o, n in hidden.items()},
        {o: frozenset(n) for o, n in read_only.items()},
        {o: frozenset(p) for o, p in denied.items() if p},
    )


class UserCatalog:
    """The SOQL catalog as the integration user sees it: an object it may not read does not exist
    (INVALID_TYPE), nor does a field it may not see (INVALID_FIELD, and FIELDS(ALL) leaves it out)."""

    def __init__(self, inner: StoreCatalog, access: UserAccess):
        self.inner, self.access = inner, access

    def object_name(self, name: str) -> str | None:
        found = self.inner.object_name(name)
        return found if found is not None and self.access.can(found, "read") else None

    def field(self, sobject: str, name: str) -> FieldMeta | None:
        meta = self.inner.field(sobject, name)
        obj = self.inner.object_name(sobject)
        return meta if meta is not None and obj is not None and self.access.sees(obj, meta.name) else None

    def fields(self, sobject: str) -> list[FieldMeta]:
        obj = self.inner.object_name(sobject) or sobject
        return [m for m in self.inner.fields(sobject) if self.access.sees(obj, m.name)]

    def relationship(self, sobject: str, relationship_name: str) -> tuple[FieldMeta, list[str]] | None:
        found = self.inner.relationship(sobject, relationship_name)
        if found is None or self.field(sobject, found[0].name) is None:
            return None
        return found

    def child_relationship(self, sobject: str, name: str) -> tuple[str, str] | None:
        found = self.inner.child_relationship(sobject, name)
        return found if found is not None and self.access.can(found[0], "read") else None

    def rows(self, sobject: str) -> Iterable[dict[str, Any]]:
        return self.inner.rows(sobject)

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        return self.inner.get_by_id(record_id)


class PermissionRules:
    """What Salesforce refuses when permission rows are saved: a FieldPermissions row must name an existing
    field of its SobjectType that field-level security applies to, Edit needs Read, and one permission set
    holds one row per field (and is assigned to a user once)."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def __call__(self, obj: ObjectDef, row: dict[str, Any], changed: set[str], insert: bool) -> None:
        if obj.name == "FieldPermissions":
            self._field_permission(row)
        elif obj.name == "PermissionSetAssignment" and insert:
            self._unique(
                obj.name, row, ("AssigneeId", "PermissionSetId"), "Duplicate PermissionSetAssignment"
            )
        elif obj.name == "ObjectPermissions" and insert:
            self._unique(
                obj.name, row, ("ParentId", "SobjectType"), "duplicate value found: ObjectPermissions"
            )

    def _field_permission(self, row: dict[str, Any]) -> None:
        sobject, _, name = str(row["Field"]).partition(".")
        target = self.org.schema.get(sobject)
        f: FieldDef | None = target.field(name) if target is not None else None
        if target is None or f is None or target.name.lower() != str(row["SobjectType"]).lower():
            raise fail("INVALID_FIELD_FOR_INSERT_UPDATE" if target else "INVALID_TYPE",
                       f"Field Name: bad value for restricted picklist field: {row['Field']}", ["Field"])  # fmt: skip
        if not f.nillable or f.name in ("Id", "OwnerId") or f.calculated and row["PermissionsEdit"]:
            raise fail("FIELD_INTEGRITY_EXCEPTION",
                       f"Field-level security cannot be set on {target.name}.{f.name}", ["Field"])  # fmt: skip
        if row["PermissionsEdit"] and not row["PermissionsRead"]:
            raise fail("FIELD_INTEGRITY_EXCEPTION",
                       "Permission Edit depends on permission(s): Read", ["PermissionsRead"])  # fmt: skip
        row["Field"], row["SobjectType"] = f"{target.name}.{f.name}", target.name
        self._unique("FieldPermissions", row, ("ParentId", "Field"), "duplicate value found: Field")

    def _unique(self, table: str, row: dict[str, Any], keys: tuple[str, ...], message: str) -> None:
        want = tuple(str(row[k]).lower() for k in keys)
        for other in _live(self.org.store.table(table).values()):
            if other["Id"] != row["Id"] and tuple(str(other[k]).lower() for k in keys) == want:
                raise fail(
                    "DUPLICATE_VALUE", f"{message} duplicates value on record with id: {other['Id']}", []
                )


def rule_rows(org: SalesforceEmulator) -> None:
    """Mirror the settings' assignment and duplicate rules into AssignmentRule and DuplicateRule rows, so
    they are read as in a real org (`SELECT Id, Name FROM AssignmentRule WHERE Active = true`)."""
    from . import ids
    from .org_data import _row

    records, settings = org.records, org.settings
    wanted = {
        "AssignmentRule": [{"Name": r.name, "SobjectType": r.object, "Active": r.active}
                           for r in settings.assignment_rules],
        "DuplicateRule": [{"DeveloperName": d.name or f"Standard_{d.object}_Duplicate_Rule",
                           "MasterLabel": (d.name or f"Standard {d.object} Duplicate Rule").replace("_", " "),
                           "SobjectType": d.object, "IsActive": d.active} for d in settings.duplicate_rules],
    }  # fmt: skip
    for table, rows in wanted.items():
        prefix = org.schema.objects[table].key_prefix
        keep = set()
        for i, values in enumerate(rows, 1):
            rid = ids.make_id(prefix, i)
            keep.add(rid)
            old = org.store.get(table, rid)
            if old is None or any(old.get(k) != v for k, v in values.items()):
                _row(records, table, values, rid)
        for rid in [r for r in org.store.table(table) if r not in keep]:
            org.store.delete(table, rid)


def assignment_rule_ids(org: SalesforceEmulator) -> dict[str, int]:
    """AssignmentRule row id -> index into settings.assignment_rules (ids as rule_rows makes them)."""
    from . import ids

    prefix = org.schema.objects["AssignmentRule"].key_prefix
    return {ids.make_id(prefix, i): i - 1 for i in range(1, len(org.settings.assignment_rules) + 1)}
