"""CRM automation both emulators share: rules that rewrite a field after a save (Salesforce before-save flows
and triggers, HubSpot workflows), their actions, the deferred runner for asynchronous automation, and the
`/_sandbox/automation` admin API.

A rule is data (`AutomationRule`): which object, when (`on` create/update/save, optionally only when a field
changed), what (`action` on `field`). Each CRM decides when a rule runs and how its write is stamped; see
`salesforce/automation.py` and `hubspot/automation.py`. Rules live in the emulator's settings
(`automation_rules`, plus named `automation_presets`), so `/_sandbox/settings`, `--set` and
`/_sandbox/automation` all change the same list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from .emulator import Emulator

log = logging.getLogger(__name__)

Trigger = Literal["create", "update", "save"]
Action = Literal["format_phone", "upper_case", "lower_case", "copy", "set"]
RUN_LOG_SIZE = 1000
PREFIX = "/_sandbox/automation"


class AutomationRule(BaseModel):
    """One automation rule.

    `on`: "create", "update" or "save" (either). `when_changed`: run only when this field changed in the save
    (on create: when the save gave it a value). `action`: "format_phone" (10 digits, or 11 starting with 1, become
    "(555) 123-4567"; anything else is left alone), "upper_case", "lower_case" (rewrite `field` in place), "copy"
    (`from_field` into `field`), "set" (`value` into `field`; `null` clears it). `run_as` (Salesforce only):
    "integration_user" runs before the save in the saving user's context (same save, same stamps);
    "automated_process" saves again afterwards as the Automated Process user. HubSpot rules are workflows and
    ignore `run_as` (it must stay at its default).
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    object: str
    on: Trigger = "save"
    when_changed: str | None = None
    action: Action
    field: str
    from_field: str | None = None
    value: Any = None
    run_as: Literal["integration_user", "automated_process"] = "integration_user"
    active: bool = True

    @model_validator(mode="after")
    def _complete(self) -> AutomationRule:
        if self.action == "copy" and not self.from_field:
            raise ValueError(f"automation rule {self.name!r}: action 'copy' needs from_field")
        if self.action != "copy" and self.from_field:
            raise ValueError(f"automation rule {self.name!r}: from_field only goes with action 'copy'")
        if self.action != "set" and self.value is not None:
            raise ValueError(f"automation rule {self.name!r}: value only goes with action 'set'")
        return self

    def triggered(self, created: bool, changed: set[str]) -> bool:
        """Whether a save (a create or an update whose changed fields are `changed`, lower-cased) enrols it."""
        if not self.active or (self.on == "create" and not created) or (self.on == "update" and created):
            return False
        return self.when_changed is None or self.when_changed.lower() in changed


# ---- actions ------------------------------------------------------------------------------------------
_NOT_DIGITS = re.compile(r"\D")


def format_phone(value: Any) -> Any:
    """(555) 123-4567 for a 10-digit number (or 11 digits with a leading 1); any other value is kept."""
    if not isinstance(value, str):
        return value
    digits = _NOT_DIGITS.sub("", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or re.search(r"[A-Za-z]", value):
        return value
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def rule_value(rule: AutomationRule, get: Callable[[str], Any]) -> Any:
    """The value `rule` writes into its field, given a reader of the record's current values."""
    if rule.action == "format_phone":
        return format_phone(get(rule.field))
    if rule.action in ("upper_case", "lower_case"):
        current = get(rule.field)
        if not isinstance(current, str):
            return current
        return current.upper() if rule.action == "upper_case" else current.lower()
    if rule.action == "copy":
        return get(rule.from_field or "")
    return rule.value


# ---- presets ------------------------------------------------------------------------------------------
# The hostile pair: Salesforce upper-cases a contact's last name, HubSpot's workflow lower-cases the same
# mapped field (crmsync.yaml maps contacts.lastname <-> Contact/Lead.LastName two-way), so a sync that copies
# each side's change to the other flips the value forever. "case_flip" runs the Salesforce half in the saving
# user's context (a before-save flow: the change carries the integration user's stamp when the sync saved);
# "case_flip_automated_process" runs it as the Automated Process user (a second save, a different user).
def _case_flip(run_as: str) -> dict[str, list[dict[str, Any]]]:
    salesforce = [
        {"name": f"case_flip_{obj.lower()}_lastname", "object": obj, "on": "save", "when_changed": "LastName",
         "action": "upper_case", "field": "LastName", "run_as": run_as}
        for obj in ("Contact", "Lead")
    ]  # fmt: skip
    hubspot = [{"name": "case_flip_contact_lastname", "object": "contacts", "on": "save",
                "when_changed": "lastname", "action": "lower_case", "field": "lastname"}]  # fmt: skip
    return {"salesforce": salesforce, "hubspot": hubspot}


PRESETS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "case_flip": _case_flip("integration_user"),
    "case_flip_automated_process": _case_flip("automated_process"),
    # the everyday automation of a real org, on both sides: phones formatted, states upper-cased
    "tidy_contacts": {
        "salesforce": [
            {"name": "tidy_contact_phone", "object": "Contact", "when_changed": "Phone", "action": "format_phone",
             "field": "Phone"},
            {"name": "tidy_contact_state", "object": "Contact", "when_changed": "MailingState",
             "action": "upper_case", "field": "MailingState"},
        ],
        "hubspot": [
            {"name": "tidy_contact_phone", "object": "contacts", "when_changed": "phone", "action": "format_phone",
             "field": "phone"},
            {"name": "tidy_contact_state", "object": "contacts", "when_changed": "state", "action": "upper_case",
             "field": "state"},
        ],
    },
}  # fmt: skip


def preset_rules(crm: str, names: list[str]) -> list[AutomationRule]:
    rules = []
    for name in names:
        if name not in PRESETS:
            raise ValueError(f"unknown automation preset {name!r}; known: {', '.join(sorted(PRESETS))}")
        rules += [AutomationRule.model_validate(r) for r in PRESETS[name].get(crm, [])]
    return rules


def active_rules(crm: str, settings: Any) -> list[AutomationRule]:
    """Preset rules first, then the explicit ones; a later rule with a preset rule's name replaces it."""
    by_name: dict[str, AutomationRule] = {}
    for rule in [*preset_rules(crm, list(settings.automation_presets)), *settings.automation_rules]:
        by_name.pop(rule.name, None)
        by_name[rule.name] = rule
    return [r for r in by_name.values() if r.active]


# ---- the deferred runner and the run log --------------------------------------------------------------
class Deferred:
    """Runs asynchronous automation after the request that caused it: on the next loop turn (delay 0, so
    before the server reads the client's next request) or after `delay` seconds. Without a running loop
    (direct calls in tests), it runs at once."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.runs: deque[dict[str, Any]] = deque(maxlen=RUN_LOG_SIZE)
        self.counts: Counter[str] = (
            Counter()
        )  # every run since the last DELETE, by rule (the log keeps the last 1000)
        self.pending = 0

    def later(self, delay: float, job: Callable[[], None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._run(job)
            return
        self.pending += 1

        def run() -> None:
            self.pending -= 1
            self._run(job)

        if delay > 0:
            loop.call_later(delay, run)
        else:
            loop.call_soon(run)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:
            log.exception("sandbox %s: automation job failed", self.emulator.name)
        finally:
            self.emulator.store.commit()

    def record(self, **entry: Any) -> None:
        self.runs.append(entry)
        rule = entry.get("rule")
        name = ", ".join(rule) if isinstance(rule, list) else str(rule)
        self.counts[f"{name} (skipped)" if "skipped" in entry else name] += 1


class AutomationAdmin:
    """`/_sandbox/automation`: GET lists the active rules (presets expanded), POST adds rules (a rule or
    `{"rules": [...]}`; a rule with an existing name replaces it), PUT replaces the list, DELETE clears rules
    and presets; `/presets` lists presets, `POST /presets/{name}` switches one on, `/runs` is the run log."""

    def __init__(self, emulator: Emulator, deferred: Deferred):
        self.emulator, self.deferred = emulator, deferred

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get(PREFIX, self.listing)
        router.add_post(PREFIX, self.add)
        router.add_put(PREFIX, self.replace)
        router.add_delete(PREFIX, self.clear)
        router.add_get(PREFIX + "/presets", self.presets)
        router.add_post(PREFIX + "/presets/{name}", self.use_preset)
        router.add_get(PREFIX + "/runs", self.run_log)
        router.add_delete(PREFIX + "/runs", self.run_log)

    def _answer(self) -> web.Response:
        settings = self.emulator.settings
        return web.json_response({
            "presets": list(settings.automation_presets),  # type: ignore[attr-defined]
            "rules": [r.model_dump(mode="json") for r in active_rules(self.emulator.name, settings)],
            "pending": self.deferred.pending,
        })  # fmt: skip

    @staticmethod
    async def _rules(request: web.Request) -> list[AutomationRule]:
        text = await request.text() if request.can_read_body else ""
        body = json.loads(text) if text.strip() else []
        items = body.get("rules") if isinstance(body, dict) and "rules" in body else body
        items = items if isinstance(items, list) else [items]
        return [AutomationRule.model_validate(item) for item in items if item]

    def _store(self, rules: list[AutomationRule], presets: list[str] | None = None) -> None:
        changes: dict[str, Any] = {"automation_rules": [r.model_dump(mode="json") for r in rules]}
        if presets is not None:
            changes["automation_presets"] = presets
        self.emulator.update_settings(changes)

    async def listing(self, request: web.Request) -> web.Response:
        return self._answer()

    async def add(self, request: web.Request) -> web.Response:
        new = await self._rules(request)
        names = {r.name for r in new}
        kept = [r for r in self.emulator.settings.automation_rules if r.name not in names]  # type: ignore[attr-defined]
        self._store([*kept, *new])
        return self._answer()

    async def replace(self, request: web.Request) -> web.Response:
        self._store(await self._rules(request))
        return self._answer()

    async def clear(self, request: web.Request) -> web.Response:
        self._store([], [])
        return self._answer()

    async def presets(self, request: web.Request) -> web.Response:
        return web.json_response({name: sides.get(self.emulator.name, []) for name, sides in PRESETS.items()})

    async def use_preset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        presets = list(self.emulator.settings.automation_presets)  # type: ignore[attr-defined]
        rules = list(self.emulator.settings.automation_rules)  # type: ignore[attr-defined]
        self._store(rules, presets if name in presets else [*presets, name])
        return self._answer()

    async def run_log(self, request: web.Request) -> web.Response:
        if request.method == "DELETE":
            self.deferred.runs.clear()
            self.deferred.counts.clear()
        return web.json_response({"runs": list(self.deferred.runs), "counts": dict(self.deferred.counts),
                                  "pending": self.deferred.pending})  # fmt: skip
