"""Checking and normalising property values on write, with HubSpot's per-property error codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..clock import iso_z, parse_ts
from . import errors
from .default_properties import LIFECYCLE_STAGES
from .schema import ObjectType

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Invalid(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def epoch_or_iso(text: str) -> datetime:
    if re.fullmatch(r"-?\d{9,}", text):
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return parse_ts(text)


def coerce(definition: dict[str, Any], text: str, owner_ids: set[str]) -> str:
    kind, name = definition["type"], definition["name"]
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise Invalid("INVALID_FLOAT", f"{text} was not a valid number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise Invalid("INVALID_FLOAT", f"{text} was not a valid number.")
        return text.strip()
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise Invalid("INVALID_BOOLEAN", f"{text} was not a valid boolean.")
        return text.lower()
    if kind in ("date", "datetime"):
        try:
            ts = epoch_or_iso(text)
        except ValueError:
            raise Invalid("INVALID_DATE", f"{text} was not a valid date or datetime.") from None
        if kind == "datetime":
            return iso_z(ts)
        ts = ts.astimezone(UTC)
        if (ts.hour, ts.minute, ts.second, ts.microsecond) != (0, 0, 0, 0):
            raise Invalid("INVALID_DATE", f"{text} is at {ts:%H:%M} UTC, not midnight!")
        return ts.strftime("%Y-%m-%d")
    if kind == "enumeration":
        if definition.get("referencedObjectType") == "OWNER":
            if not text.isdigit():
                raise Invalid("INVALID_INTEGER", f"{text} was not a valid integer (for owner ID).")
            if text not in owner_ids:
                raise Invalid(
                    "INVALID_OPTION",
                    f"{text} was not one of the allowed options: [{', '.join(sorted(owner_ids))}]",
                )
            return text
        allowed = [o["value"] for o in definition.get("options", [])]
        if not allowed and definition.get("modificationMetadata", {}).get("readOnlyValue"):
            return text
        values = text.split(";") if definition.get("fieldType") == "checkbox" else [text]
        for value in values:
            if value not in allowed:
                raise Invalid(
                    "INVALID_OPTION", f"{value} was not one of the allowed options: [{', '.join(allowed)}]"
                )
        return text
    if name == "email" or definition.get("fieldType") == "email":
        text = text.strip()
        if not EMAIL_RE.match(text):
            raise Invalid("INVALID_EMAIL", f"Email address {text} is invalid")
    return text


def clean_properties(
    em: HubSpotEmulator,
    otype: ObjectType,
    raw: dict[str, Any] | None,
    current: dict[str, Any] | None,
    *,
    user_edit: bool = False,
) -> dict[str, str | None]:
    """Validated, normalised changes (None = clear). Raises HubSpot's 400 listing every bad property."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise errors.validation("properties must be an object")
    registry, problems, clean = em.registry, [], {}
    owner_ids = set(em.store.table("owners"))
    for name, value in raw.items():
        definition = registry.live_property(otype.type_id, name)
        if definition is None:
            problems.append(
                {
                    "name": name,
                    "error": "PROPERTY_DOESNT_EXIST",
                    "message": f'Property "{name}" does not exist',
                }
            )
            continue
        meta = definition.get("modificationMetadata", {})
        if meta.get("readOnlyValue") or definition.get("calculated"):
            problems.append(
                {
                    "name": name,
                    "error": "READ_ONLY_VALUE",
                    "message": f'"{name}" is a read only property; its value cannot be set.',
                }
            )
            continue
        text = None if value is None else as_text(value)
        if text is None or text == "":
            clean[name] = None
            continue
        if otype.type_id == "0-3" and name in ("pipeline", "dealstage"):
            clean[name] = text  # options are the pipelines and stages, checked below
            continue
        try:
            clean[name] = coerce(definition, text, owner_ids)
        except Invalid as bad:
            problems.append({"name": name, "error": bad.code, "message": bad.message})
    if otype.type_id == "0-3":
        _check_deal_stage(em, clean, current, problems)
    if otype.type_id == "0-1" and not user_edit:
        _apply_lifecycle_rule(em, clean, current, problems)
    if problems:
        raise errors.property_errors(problems, em.settings.portal_id)
    return clean


def _check_deal_stage(em: HubSpotEmulator, clean: dict, current: dict | None, problems: list) -> None:
    if "dealstage" not in clean and "pipeline" not in clean:
        return
    pipelines = em.store.table("pipelines:0-3")
    pipeline_id = clean.get("pipeline") or (current or {}).get("pipeline") or "default"
    pipeline = pipelines.get(pipeline_id)
    if pipeline is None or pipeline.get("archived"):
        problems.append(
            {
                "name": "pipeline",
                "error": "INVALID_OPTION",
                "message": f"{pipeline_id} was not one of the allowed options: [{', '.join(pipelines)}]",
            }
        )
        return
    stage = clean.get("dealstage") if "dealstage" in clean else (current or {}).get("dealstage")
    stage_ids = [s["id"] for s in pipeline["stages"] if not s.get("archived")]
    if stage is not None and stage not in stage_ids:
        problems.append(
            {
                "name": "dealstage",
                "error": "INVALID_OPTION",
                "message": f"{stage} was not one of the allowed options: [{', '.join(stage_ids)}]",
            }
        )


def _apply_lifecycle_rule(em: HubSpotEmulator, clean: dict, current: dict | None, problems: list) -> None:
    """Lifecycle stage only moves forward through its options unless it was cleared first."""
    new, old = clean.get("lifecyclestage"), (current or {}).get("lifecyclestage")
    if new is None or old is None or old not in LIFECYCLE_STAGES or new not in LIFECYCLE_STAGES:
        return
    if LIFECYCLE_STAGES.index(new) >= LIFECYCLE_STAGES.index(old):
        return
    if em.settings.lifecycle_backward == "ignore":
        del clean["lifecyclestage"]
    else:
        problems.append(
            {
                "name": "lifecyclestage",
                "error": "INVALID_LIFECYCLE_STAGE",
                "message": f"lifecyclestage cannot move backward from {old} to {new}; clear it first",
            }
        )
