"""Lead assignment rules on API saves.

REST API Developer Guide, "Assignment Rule Header": `Sforce-Auto-Assign` applies when creating or updating
Accounts, Cases or Leads; TRUE runs the active assignment rule, FALSE runs none, an AssignmentRule id runs
that rule; without the header REST defaults to TRUE. Composite and collection requests carry the header of
their request. Bulk API 2.0 runs a rule only when the ingest job names one (`assignmentRuleId`, "Create a
Job"), so a job without it assigns nothing; a job naming one runs that rule, active or not, on each row
(bulk_ingest.py sets `choice` to the id while the job runs).
The rule runs after validation, as step "Executes assignment rules" of the order of execution, and sets
OwnerId; the save stays the saving user's (LastModifiedById)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .schema import ObjectDef

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator
    from .settings import AssignmentRuleSetting

log = logging.getLogger(__name__)
HEADER = "Sforce-Auto-Assign"


def header_choice(value: str | None) -> bool | str:
    """What a request asks for: True (active rule; also without the header), False, or a rule id."""
    if value is None or value.strip().upper() == "TRUE":
        return True
    if value.strip().upper() == "FALSE":
        return False
    return value.strip()


class LeadAssignment:
    """Called by the DML engine before a save is stored; acts only inside an API request that allows it
    (`choice`, set per request by the emulator, None outside requests: bulk jobs, UI edits, automation)."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org
        self.choice: bool | str | None = None
        self.runs = 0  # saves whose owner a rule changed (tests read it through the records)

    def __call__(self, obj: ObjectDef, row: dict[str, Any], insert: bool) -> None:
        if self.choice is None or self.choice is False or "OwnerId" not in obj.fields:
            return
        rule = self._rule(obj.name)
        if rule is None:
            return
        if rule.condition and not self._matches(obj.name, rule.condition, row):
            return
        owner = self._user_id(rule.assign_to)
        if owner is None:
            log.warning("assignment rule %s: no user %r; nothing assigned", rule.name, rule.assign_to)
            return
        if row.get("OwnerId") != owner:
            row["OwnerId"] = owner
            self.runs += 1

    def _rule(self, obj: str) -> AssignmentRuleSetting | None:
        from .permissions import assignment_rule_ids

        rules = self.org.settings.assignment_rules
        if isinstance(self.choice, str):
            from . import ids

            wanted = ids.to18(self.choice) if ids.looks_like_id(self.choice) else self.choice
            index = assignment_rule_ids(self.org).get(wanted)
            if index is None:  # an id of no rule: nothing runs
                return None
            rule = rules[index]
            return rule if rule.object.lower() == obj.lower() else None
        return next((r for r in rules if r.active and r.object.lower() == obj.lower()), None)

    def _matches(self, obj: str, condition: str, row: dict[str, Any]) -> bool:
        predicate = self._compiled(obj, condition)
        return bool(predicate is not None and predicate(row))

    def _compiled(self, obj: str, condition: str) -> Callable[[dict], bool] | None:
        from .soql import SoqlError, SoqlOptions, compile_condition

        try:
            return compile_condition(
                obj, condition, self.org.catalog, options=SoqlOptions(**self.org.settings.soql)
            )
        except SoqlError as exc:
            log.warning("assignment rule condition on %s ignored: %s", obj, exc)
            return None

    def _user_id(self, who: str) -> str | None:
        for row in self.org.store.table("User").values():
            if who in (row["Id"], row["Id"][:15], row.get("Username"), row.get("Alias")):
                return row["Id"]
        return None
