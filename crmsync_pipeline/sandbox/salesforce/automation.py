"""Org automation that rewrites fields on save: before-save record-triggered flows / before triggers
(`run_as: integration_user`) and automation running as the Automated Process user (`automated_process`).

Every save of the DML engine (`Records`: REST, collections, composite, Bulk 2.0, SOAP merge, the sandbox
UI's edits, merges and lead conversions) passes here, so no write path is kinder than another.

- `integration_user` rules run inside the save, after type checks and before validation, duplicate and
  unique checks (Salesforce's order of execution: before-save flows, then before triggers, then custom
  validation). Their change is part of the same save: one LastModifiedDate/SystemModstamp, LastModifiedById
  the user who saved (the integration user for API writes), and a REST create/update answers only the id:
  the caller sees the rewritten value only by reading the record again.
- `automated_process` rules are enrolled by the save and run after it as a save of their own (an
  asynchronous path / platform-event flow runs as the Automated Process user): new LastModifiedDate and
  SystemModstamp, LastModifiedById the Automated Process user, after `automation_delay_s`. The save runs the
  org's before-save rules and validation again; if it fails, the triggering save stands and the run log says
  why. An automation save enrols no further asynchronous rules (one level, so two rules cannot loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..automation import AutomationRule, Deferred, active_rules, rule_value
from .errors import RecordError, fail
from .org_data import add_user
from .schema import ObjectDef
from .values import coerce

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

STAMPS = {"lastmodifieddate", "lastmodifiedbyid", "systemmodstamp", "createddate", "createdbyid"}
AUTOMATED_PROCESS_USERNAME = "autoproc@sandbox.crmsync.dev"


def changed_fields(row: dict[str, Any], old: dict[str, Any] | None) -> set[str]:
    """Lower-cased names of the fields a save changed (on create: the fields it gave a value)."""
    if old is None:
        return {k.lower() for k, v in row.items() if v is not None and k.lower() not in STAMPS}
    return {k.lower() for k, v in row.items() if old.get(k) != v and k.lower() not in STAMPS}


@dataclass
class AfterSaveJob:
    obj: str
    record_id: str
    rules: list[AutomationRule]
    generation: int
    cancelled: bool = field(default=False)


class SalesforceAutomation:
    def __init__(self, org: SalesforceEmulator):
        self.org = org
        self.deferred = Deferred(org)
        self.generation = 0
        self._running = False
        self._cache: tuple[Any, dict[str, list[AutomationRule]]] | None = None

    # ---- rules ----------------------------------------------------------------------------------
    def rules_for(self, obj: str) -> list[AutomationRule]:
        settings = self.org.settings
        if self._cache is None or self._cache[0] is not settings:
            by_object: dict[str, list[AutomationRule]] = {}
            for rule in active_rules("salesforce", settings):
                by_object.setdefault(rule.object.lower(), []).append(rule)
            self._cache = (settings, by_object)
        return self._cache[1].get(obj.lower(), [])

    def check(self, settings: Any) -> None:
        """Refuse rules naming an object or field the org does not have."""
        schema = self.org.schema
        for rule in active_rules("salesforce", settings):
            obj = schema.get(rule.object)
            if obj is None:
                raise ValueError(f"automation rule {rule.name!r}: no object {rule.object!r}")
            for name in (rule.field, rule.from_field, rule.when_changed):
                if name and obj.field(name, True) is None:
                    raise ValueError(f"automation rule {rule.name!r}: no field {name!r} on {obj.name}")

    # ---- inside a save --------------------------------------------------------------------------
    def before_save(self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None) -> set[str]:
        """Apply the before-save rules to `row` in place; the fields they changed."""
        rules = [r for r in self.rules_for(obj.name) if r.run_as == "integration_user"]
        if not rules:
            return set()
        changed, written = changed_fields(row, old), set()
        for rule in rules:
            if not rule.triggered(old is None, changed):
                continue
            target = obj.field(rule.field, True)
            if target is None:
                continue
            value = self._value(obj, rule, row)
            if value != row.get(target.name):
                row[target.name] = value
                written.add(target.name)
                changed.add(target.name.lower())
            self.deferred.record(rule=rule.name, object=obj.name, id=row["Id"], field=target.name, value=value,
                                 timing="before_save", user=row["LastModifiedById"],
                                 stamp=row["SystemModstamp"])  # fmt: skip
        return written

    def after_save(
        self, obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None
    ) -> AfterSaveJob | None:
        """Enrol the asynchronous rules a save triggers; the job (cancelled if the save is rolled back)."""
        if self._running:
            return None
        rules = [r for r in self.rules_for(obj.name) if r.run_as == "automated_process"]
        if not rules:
            return None
        changed = changed_fields(row, old)
        due = [r for r in rules if r.triggered(old is None, changed)]
        if not due:
            return None
        job = AfterSaveJob(obj.name, row["Id"], due, self.generation)
        self.deferred.later(self.org.settings.automation_delay_s, lambda: self._run(job))
        return job

    def _value(self, obj: ObjectDef, rule: AutomationRule, row: dict[str, Any]) -> Any:
        def get(name: str) -> Any:
            f = obj.field(name, True)
            return row.get(f.name) if f is not None else None

        value = rule_value(rule, get)
        if rule.action not in ("copy", "set"):
            return value
        target = obj.field(rule.field, True)
        assert target is not None
        if target.is_text and value is not None and not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        try:
            return coerce(target, value, csv=False, restricted=False)
        except RecordError as err:
            raise fail("CANNOT_EXECUTE_FLOW_TRIGGER",
                       f"The record couldn't be saved because it failed to trigger a flow. A flow trigger failed "
                       f"to execute the flow with version ID {rule.name}: {err.first.message}", [target.name]) from None  # fmt: skip

    # ---- the asynchronous save ------------------------------------------------------------------
    def _run(self, job: AfterSaveJob) -> None:
        if job.cancelled or job.generation != self.generation:
            return
        records = self.org.records
        old = self.org.store.get(job.obj, job.record_id)
        if old is None or old.get("IsDeleted"):
            self.deferred.record(rule=[r.name for r in job.rules], object=job.obj, id=job.record_id,
                                 timing="after_save", skipped="record deleted")  # fmt: skip
            return
        obj = records.object(job.obj)
        current, changes = dict(old), {}
        for rule in job.rules:
            target = obj.field(rule.field, True)
            if target is None:
                continue
            try:
                value = self._value(obj, rule, current)
            except RecordError as err:
                self.deferred.record(rule=rule.name, object=job.obj, id=job.record_id, timing="after_save",
                                     failed=err.first.message)  # fmt: skip
                continue
            if value != current.get(target.name):
                current[target.name] = changes[target.name] = value
        if not changes:
            self.deferred.record(rule=[r.name for r in job.rules], object=job.obj, id=job.record_id,
                                 timing="after_save", changed=False)  # fmt: skip
            return
        user = self.automated_process_user()
        self._running = True
        try:
            row = records.system_save(job.obj, old, changes, user, validate=True)
        except RecordError as err:
            self.deferred.record(rule=[r.name for r in job.rules], object=job.obj, id=job.record_id,
                                 timing="after_save", failed=err.first.message)  # fmt: skip
            return
        finally:
            self._running = False
        self.deferred.record(rule=[r.name for r in job.rules], object=job.obj, id=job.record_id, fields=changes,
                             timing="after_save", user=user, stamp=row["SystemModstamp"])  # fmt: skip

    def automated_process_user(self) -> str:
        """The org's Automated Process user (UserType AutomatedProcess), added on first use."""
        records = self.org.records
        for uid in records.find("User", "Username", AUTOMATED_PROCESS_USERNAME):
            return uid
        row = add_user(records, None, "Automated Process", AUTOMATED_PROCESS_USERNAME, alias="autoproc")
        records.write_raw("User", {**row, "UserType": "AutomatedProcess"})
        return str(row["Id"])
