"""HubSpot workflows: automation rules enrolled by a save and run after it, as their own write.

Every record write (`Records.create` / `Records.update`: single, batch create/update/upsert, merge, the
sandbox UI) enrols the workflows whose trigger it meets; each enrolment runs `workflow_delay_s` later
(HubSpot runs workflows asynchronously: the API answer never shows a workflow's change) and, if it changes
the value, writes it as a new modification (a later `lastmodifieddate` / `hs_lastmodifieddate` and
`updatedAt`) whose property history names `workflow_source_type` ("AUTOMATION_PLATFORM") and a `sourceId`
of the enrolment ("enrollmentId:N;actionExecutionIndex:0", setting `workflow_source_id`; "workflow" names the
workflow instead). A workflow acts on the record's values when it runs, not those of the triggering save. A
workflow's write enrols no further workflows (one level, so two rules cannot loop inside the portal).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..automation import AutomationRule, Deferred, active_rules, rule_value
from ..emulator import ApiError
from .schema import ObjectType

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


def workflow_id(rule: AutomationRule) -> int:
    """A stable workflow (flow) id for a rule, from its name."""
    return 10_000_000 + zlib.crc32(rule.name.encode()) % 90_000_000


def as_property_value(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Enrollment:
    type_id: str
    record_id: str
    rule: AutomationRule
    enrollment_id: int
    generation: int


class Workflows:
    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self.deferred = Deferred(em)
        self.generation = 0
        self._running = False
        self._cache: tuple[Any, list[AutomationRule]] | None = None

    def rules_for(self, otype: ObjectType) -> list[AutomationRule]:
        settings, registry = self.em.settings, self.em.registry
        if self._cache is None or self._cache[0] is not settings:
            self._cache = (settings, active_rules("hubspot", settings))
        return [
            r for r in self._cache[1]
            if (found := registry.maybe(r.object)) is not None and found.type_id == otype.type_id
        ]  # fmt: skip

    def check(self, settings: Any) -> None:
        """Refuse rules naming an unknown object type or property, or a Salesforce-only `run_as`."""
        for rule in active_rules("hubspot", settings):
            if rule.run_as != "integration_user":
                raise ValueError(f"automation rule {rule.name!r}: run_as is a Salesforce setting")
            otype = self.em.registry.maybe(rule.object)
            if otype is None:
                raise ValueError(f"automation rule {rule.name!r}: no object type {rule.object!r}")
            defined = self.em.registry.properties(otype.type_id)
            for name in (rule.field, rule.from_field, rule.when_changed):
                if name and name not in defined:
                    raise ValueError(f"automation rule {rule.name!r}: no property {name!r} on {otype.name}")

    # ---- enrolment --------------------------------------------------------------------------------
    def saved(self, otype: ObjectType, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        """A record was created (`before` None) or changed: enrol the workflows its change triggers."""
        if self._running:
            return
        rules = self.rules_for(otype)
        if not rules:
            return
        old, new = (before or {}).get("p", {}), after["p"]
        skip = {otype.modified_prop, otype.created_prop}
        if before is None:
            changed = {k.lower() for k, v in new.items() if v is not None and k not in skip}
        else:
            changed = {k.lower() for k in {*old, *new} if old.get(k) != new.get(k) and k not in skip}
        for rule in rules:
            if rule.triggered(before is None, changed):
                enrollment = Enrollment(otype.type_id, after["id"], rule,
                                        self.em.store.next_counter("workflow_enrollment", start=1_000_001),
                                        self.generation)  # fmt: skip
                self.deferred.later(self.em.settings.workflow_delay_s, lambda e=enrollment: self._run(e))

    # ---- the workflow's action --------------------------------------------------------------------
    def source_id(self, enrollment: Enrollment) -> str:
        if self.em.settings.workflow_source_id == "workflow":
            return f"workflowId:{workflow_id(enrollment.rule)}"
        return f"enrollmentId:{enrollment.enrollment_id};actionExecutionIndex:0"

    def _run(self, enrollment: Enrollment) -> None:
        if enrollment.generation != self.generation:
            return
        rule, records = enrollment.rule, self.em.records
        otype = self.em.registry.types.get(enrollment.type_id)
        record = records.table(enrollment.type_id).get(enrollment.record_id) if otype else None
        entry = {"rule": rule.name, "workflow_id": workflow_id(rule), "enrollment_id": enrollment.enrollment_id,
                 "object": enrollment.type_id, "id": enrollment.record_id, "field": rule.field}  # fmt: skip
        if otype is None or record is None or record["a"] is not None:
            self.deferred.record(**entry, skipped="record archived or gone")
            return
        value = as_property_value(rule_value(rule, lambda name: record["p"].get(name)))
        if value == "":
            value = None
        if value == record["p"].get(rule.field):
            self.deferred.record(**entry, changed=False)
            return
        source_id = self.source_id(enrollment)
        self._running = True
        try:
            records.conflicts(otype, {rule.field: value}, record["id"])
            updated = records.update(otype, record, {rule.field: value}, self.em.settings.workflow_source_type,
                                     source_id)  # fmt: skip
        except ApiError as err:
            self.deferred.record(**entry, failed=err.message)
            return
        finally:
            self._running = False
        self.deferred.record(**entry, value=value, source_id=source_id, stamp=updated["u"])
