"""The DML engine every write path shares (REST, collections, composite, Bulk 2.0, admin): field
resolution, validation, system fields, unique/external-id indexes, and an undo log for allOrNone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from ..clock import Clock, sf_datetime
from ..store import RecordStore
from . import ids
from .derived import apply_derived
from .errors import RecordError, entity_deleted, fail
from .metadata import Schema
from .schema import FieldDef, ObjectDef
from .settings import SalesforceSettings
from .values import coerce

RuleCheck = Callable[[ObjectDef, dict[str, Any], set[str], bool], None]
Assignment = Callable[[ObjectDef, dict[str, Any], bool], None]


class Access(Protocol):
    """The saving user's object and field permissions (salesforce/permissions.py)."""

    def can(self, obj: str, permission: str) -> bool: ...

    def sees(self, obj: str, name: str) -> bool: ...

    def edits(self, obj: str, name: str) -> bool: ...


class SaveAutomation(Protocol):
    """Org automation around a save (salesforce/automation.py)."""

    def before_save(self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None) -> set[str]: ...

    def after_save(self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None) -> Any: ...


def index_key(f: FieldDef, value: Any) -> Any:
    return value.lower() if isinstance(value, str) and not f.case_sensitive else value


class Records:
    """Reads and writes sObject rows in the store, keeping lookup indexes current."""

    def __init__(self, store: RecordStore, schema: Schema, settings: SalesforceSettings, clock: Clock):
        self.store, self.schema, self.settings, self.clock = store, schema, settings, clock
        self.indexes: dict[tuple[str, str], dict[Any, set[str]]] = {}
        self.rule_check: RuleCheck | None = None
        self.automation: SaveAutomation | None = None
        # the access of the user saving (None: the org's own saves and the UI user see everything); called
        # with None for an API request that names no user (deletes)
        self.access_of: Callable[[str | None], Access | None] = lambda user: None
        self.assignment: Assignment | None = None  # Lead assignment rules (salesforce/assignment.py)
        self._undo: list[tuple[str, str, dict | None]] | None = None
        self._jobs: list[Any] | None = None  # asynchronous automation enrolled inside `atomic`
        self.rebuild_indexes()

    # ---- indexes --------------------------------------------------------------------------------
    def indexed_fields(self, obj: ObjectDef) -> list[FieldDef]:
        wanted = {f.name for f in obj.fields.values() if f.indexed}
        for rule in self.settings.duplicate_rules:
            if rule.object == obj.name and rule.fields:
                wanted.add(rule.fields[0])
        return [obj.fields[n] for n in wanted if n in obj.fields]

    def rebuild_indexes(self) -> None:
        self.indexes = {}
        for obj in self.schema.objects.values():
            fields = self.indexed_fields(obj)
            for f in fields:
                self.indexes[(obj.name, f.name)] = {}
            if fields:
                for rid, row in self.store.table(obj.name).items():
                    self._index(obj.name, rid, None, row)

    def _index(self, obj: str, rid: str, old: dict | None, new: dict | None) -> None:
        for (name, field_name), index in self.indexes.items():
            if name != obj:
                continue
            f = self.schema.objects[obj].fields[field_name]
            if old is not None and not old.get("IsDeleted") and old.get(field_name) is not None:
                bucket = index.get(index_key(f, old[field_name]))
                if bucket:
                    bucket.discard(rid)
            if new is not None and not new.get("IsDeleted") and new.get(field_name) is not None:
                index.setdefault(index_key(f, new[field_name]), set()).add(rid)

    def find(self, obj: str, field_name: str, value: Any) -> list[str]:
        """Live record ids whose field equals value (indexed fields; others scan)."""
        f = self.schema.objects[obj].fields[field_name]
        index = self.indexes.get((obj, field_name))
        if index is not None:
            return sorted(index.get(index_key(f, value), ()))
        key = index_key(f, value)
        table = self.store.table(obj)
        return [
            rid
            for rid, row in table.items()
            if not row["IsDeleted"] and index_key(f, row.get(field_name)) == key
        ]

    # ---- reads ----------------------------------------------------------------------------------
    def locate(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        rid = ids.normalize(record_id) if isinstance(record_id, str) else None
        if rid is None:
            return None
        name = self.schema.object_for_prefix(rid[:3])
        for candidate in (name, "LeadStatus") if rid[:3] == "01J" else (name,):
            row = self.store.get(candidate, rid) if candidate else None
            if row is not None:
                return candidate, row  # type: ignore[return-value]
        return None

    def stamp(self) -> str:
        """A save's CreatedDate/LastModifiedDate/SystemModstamp. Real orgs answer these with `.000`
        milliseconds, so two saves in one second share a stamp (`stamp_precision: second`)."""
        now = self.clock.now()
        if self.settings.stamp_precision == "second":
            now = now.replace(microsecond=0)
        return sf_datetime(now)

    def live(self, obj: str, record_id: str, *, deleted_status: int = 404) -> dict[str, Any]:
        rid = ids.normalize(record_id)
        row = self.store.get(obj, rid) if rid else None
        if row is None:
            raise fail("NOT_FOUND", "The requested resource does not exist", None, 404)
        if row["IsDeleted"]:
            raise entity_deleted(deleted_status)
        return row

    # ---- transactions ---------------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[Callable[[], None]]:
        """Collect an undo log; the yielded callable rolls back every write made inside the block."""
        outer, outer_jobs = self._undo, self._jobs
        self._undo, self._jobs = [], []
        log, jobs = self._undo, self._jobs

        def rollback() -> None:
            self._undo = None
            for obj, rid, old in reversed(log):
                self._write(obj, rid, old)
            log.clear()
            self._undo = log
            for job in jobs:
                job.cancelled = True
            jobs.clear()

        try:
            yield rollback
        finally:
            self._undo, self._jobs = outer, outer_jobs
            if outer is not None:
                outer.extend(log)
            if outer_jobs is not None:
                outer_jobs.extend(jobs)

    def _write(self, obj: str, rid: str, row: dict[str, Any] | None) -> None:
        old = self.store.get(obj, rid)
        if self._undo is not None:
            self._undo.append((obj, rid, old))
        self._index(obj, rid, old, row)
        if row is None:
            self.store.delete(obj, rid)
        else:
            self.store.put(obj, rid, row)

    # ---- writes ---------------------------------------------------------------------------------
    def object(self, name: str) -> ObjectDef:
        obj = self.schema.get(name)
        if obj is None:
            raise fail("NOT_FOUND", "The requested resource does not exist", None, 404)
        return obj

    def insert(
        self,
        obj_name: str,
        body: dict[str, Any],
        user: str,
        *,
        csv: bool = False,
        record_id: str | None = None,
    ) -> str:
        obj = self.object(obj_name)
        self._writable(obj)
        access = self.access_of(user)
        self._permitted(obj, "create", access)
        values = self.resolve(obj, body, insert=True, csv=csv, access=access)
        now = self.stamp()
        row = obj.blank_row()
        for f in obj.fields.values():
            if f.picklist_default is not None:
                row[f.name] = f.picklist_default
            elif f.type == "boolean":
                row[f.name] = f.default_value
        row.update(values)
        rid = record_id or ids.make_id(obj.key_prefix, self.store.next_counter(f"id:{obj.key_prefix}"))
        row.update(Id=rid, IsDeleted=False, CreatedDate=now, CreatedById=user, LastModifiedDate=now,
                   LastModifiedById=user, SystemModstamp=now)  # fmt: skip
        if "OwnerId" in obj.fields and row.get("OwnerId") is None:
            row["OwnerId"] = user
        changed = set(values) | self._before_save(obj, row, None)
        apply_derived(obj, row, None, changed, self)
        self._check(obj, row, changed, insert=True)
        if self.assignment is not None:
            self.assignment(obj, row, True)
        self._write(obj.name, rid, row)
        self._after_save(obj, row, None)
        return rid

    def update(
        self, obj_name: str, record_id: str, body: dict[str, Any], user: str, *, csv: bool = False
    ) -> str:
        obj = self.object(obj_name)
        self._writable(obj)
        access = self.access_of(user)
        self._permitted(obj, "edit", access)
        old = self.live(obj.name, record_id)
        self._editable(obj, old)
        values = self.resolve(obj, body, insert=False, csv=csv, access=access)
        now = self.stamp()
        row = {**old, **values, "LastModifiedDate": now, "LastModifiedById": user, "SystemModstamp": now}
        changed = set(values) | self._before_save(obj, row, old)
        apply_derived(obj, row, old, changed, self)
        self._check(obj, row, changed, insert=False)
        if self.assignment is not None:
            self.assignment(obj, row, False)
        self._write(obj.name, old["Id"], row)
        self._after_save(obj, row, old)
        return old["Id"]

    def system_save(
        self, obj_name: str, old: dict[str, Any], changes: dict[str, Any], user: str, *, validate: bool
    ) -> dict[str, Any]:
        """A save the org makes itself (a merge's master and re-parented children, a lead conversion, an
        automation run): no field-level security or read-only checks, validation only when asked, org
        automation as on any save. `changes` are stored values (already coerced)."""
        obj = self.object(obj_name)
        now = self.stamp()
        row = {**old, **changes, "LastModifiedDate": now, "LastModifiedById": user, "SystemModstamp": now}
        changed = set(changes) | self._before_save(obj, row, old)
        apply_derived(obj, row, old, changed, self)
        if validate:
            self._check(obj, row, changed, insert=False)
        self._write(obj.name, old["Id"], row)
        self._after_save(obj, row, old)
        return row

    def _before_save(self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None) -> set[str]:
        return self.automation.before_save(obj, row, old) if self.automation is not None else set()

    def _after_save(self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None) -> None:
        job = self.automation.after_save(obj, row, old) if self.automation is not None else None
        if job is not None and self._jobs is not None:
            self._jobs.append(job)

    def upsert(
        self,
        obj_name: str,
        field_name: str,
        value: Any,
        body: dict[str, Any],
        user: str,
        *,
        csv: bool = False,
    ) -> tuple[str, bool]:
        obj = self.object(obj_name)
        f = obj.field(field_name)
        assert f is not None
        if f.name == "Id":
            if value in (None, ""):
                return self.insert(obj.name, body, user, csv=csv), True
            return self.update(obj.name, value, body, user, csv=csv), False
        matches = self.find(obj.name, f.name, value)
        if len(matches) > 1:
            raise fail("DUPLICATE_EXTERNAL_ID",
                       f"{f.name}: more than one record found for external id field: [{', '.join(matches)}]",
                       [f.name], 300, matches=matches)  # fmt: skip
        body = {k: v for k, v in body.items() if k.lower() != f.name.lower()}
        if matches:
            return self.update(obj.name, matches[0], body, user, csv=csv), False
        return self.insert(obj.name, {**body, f.name: value}, user, csv=csv), True

    def delete(self, obj_name: str, record_id: str, *, hard: bool = False) -> str:
        obj = self.object(obj_name)
        self._writable(obj)
        self._permitted(obj, "delete", self.access_of(None))
        old = self.live(obj.name, record_id)
        if old["Id"] in self._read_only_ids():
            raise self._no_access()
        if hard:
            self._write(obj.name, old["Id"], None)
        else:
            self.mark_deleted(obj.name, old)
        return old["Id"]

    def mark_deleted(self, obj: str, old: dict[str, Any], master_id: str | None = None) -> None:
        now = self.stamp()
        row = {**old, "IsDeleted": True, "SystemModstamp": now}
        if master_id is not None:
            row["MasterRecordId"] = master_id
        self._write(obj, old["Id"], row)

    def write_raw(self, obj: str, row: dict[str, Any]) -> None:
        """Store a row as given (seed loading, admin changes that skip validation)."""
        self._write(obj, row["Id"], row)

    # ---- validation -----------------------------------------------------------------------------
    def resolve(
        self, obj: ObjectDef, body: dict[str, Any], *, insert: bool, csv: bool, access: Access | None = None
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        read_only = {n.lower() for n in self.settings.read_only_fields.get(obj.name, [])}
        fls = {n.lower() for n in self.settings.profile_read_only_fields.get(obj.name, [])}
        restricted = {n.lower() for n in self.settings.restricted_picklists.get(obj.name, [])}
        for key, raw in body.items():
            if key == "attributes":
                continue
            f = obj.field(key, self.settings.case_insensitive_field_names)
            if f is None or (access is not None and not access.sees(obj.name, f.name)):
                raise fail("INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}", [key])
            fls_read_only = f.name.lower() in fls or (
                access is not None and not access.edits(obj.name, f.name)
            )
            if (insert and not f.createable) or (not insert and not f.updateable) or fls_read_only:
                if f.name == "Id" and not insert:
                    continue
                raise fail("INVALID_FIELD_FOR_INSERT_UPDATE",
                           f"Unable to create/update fields: {f.name}. Please check the security settings of this "
                           "field and verify that it is read/write for your profile or permission set.", [f.name])  # fmt: skip
            if f.name.lower() in read_only:
                raise self._no_access([f.name])
            values[f.name] = coerce(f, raw, csv=csv, restricted=f.restricted or f.name.lower() in restricted)
        return values

    def _check(self, obj: ObjectDef, row: dict[str, Any], changed: set[str], *, insert: bool) -> None:
        missing = [f.name for f in obj.fields.values()
                   if f.createable and not f.nillable and row.get(f.name) is None and (insert or f.name in changed)]  # fmt: skip
        if missing:
            raise fail(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        for name in changed:
            f = obj.fields[name]
            if f.type == "reference" and row.get(name) is not None:
                self._check_reference(f, row[name])
        if self.rule_check is not None:
            self.rule_check(obj, row, changed, insert)
        for f in self.indexed_fields(obj):
            if f.unique and (insert or f.name in changed) and row.get(f.name) is not None:
                others = [r for r in self.find(obj.name, f.name, row[f.name]) if r != row["Id"]]
                if others:
                    raise fail("DUPLICATE_VALUE",
                               f"duplicate value found: {f.name} duplicates value on record with id: {others[0]}", [])  # fmt: skip

    def _check_reference(self, f: FieldDef, rid: str) -> None:
        found = self.locate(rid)
        if found is None or found[1].get("IsDeleted"):
            raise fail(
                "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [] if found is None else [f.name]
            )
        if found[0] not in f.reference_to:
            raise fail("FIELD_INTEGRITY_EXCEPTION", f"{f.label}: id value of incorrect type: {rid}", [f.name])

    def _permitted(self, obj: ObjectDef, permission: str, access: Access | None = None) -> None:
        if access is not None:
            if not access.can(obj.name, permission):
                raise self._no_access()
        elif permission in self.settings.profile_denied_object_permissions.get(obj.name, []):
            raise self._no_access()

    def _writable(self, obj: ObjectDef) -> None:
        if not obj.writable:
            raise fail(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support this operation", []
            )

    def _editable(self, obj: ObjectDef, row: dict[str, Any]) -> None:
        if row["Id"] in self._read_only_ids():
            raise self._no_access()
        if obj.name == "Lead" and row.get("IsConverted") and self.settings.block_converted_lead_updates:
            raise fail("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])

    def _read_only_ids(self) -> set[str]:
        return {ids.to18(i) for i in self.settings.read_only_record_ids if ids.looks_like_id(i)}

    def _no_access(self, fields: list[str] | None = None) -> RecordError:
        return fail("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id", fields or [],
                    self.settings.insufficient_access_status)  # fmt: skip
