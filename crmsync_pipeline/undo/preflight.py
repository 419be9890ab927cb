"""Undo's preflight: every restore is checked against both CRMs' schemas (Salesforce describe, HubSpot
property definitions; the checks of plan/preflight.py: required, picklist values, length, read-only,
field-level security) before anything is written. A field whose restore either CRM would refuse is left
out on both sides (status `left_out`, with the CRM's code), so the rest of its record is restored and
the two sides and base stay together; the CLI shows it before asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmsync_pipeline.config import Mapping, Side
from crmsync_pipeline.plan.preflight import field_problem
from crmsync_pipeline.undo.plan import FieldUndo, UndoPlan

# (side, object) -> {field name: its describe / property definition}
SchemaOf = Callable[[Side, str], dict[str, dict[str, Any]]]


def preflight_undo(mapping: Mapping, plan: UndoPlan, schema_of: SchemaOf) -> UndoPlan:
    """Mark, in place, every restore a CRM would refuse as `left_out`; returns the plan."""
    for undo in plan.by_status("restore"):
        refusal = _first_refusal(mapping, undo, schema_of)
        if refusal is not None:
            side, name, (code, message) = refusal
            undo.status = "left_out"
            undo.error_code = code
            undo.note = f"{side.value} {name}: {code}: {message}"
    return plan


def _first_refusal(
    mapping: Mapping, undo: FieldUndo, schema_of: SchemaOf
) -> tuple[Side, str, tuple[str, str]] | None:
    for side, (_, name, value, _) in undo.writes.items():
        obj = mapping.pair(undo.write.pair).hubspot if side is Side.HUBSPOT else undo.write.salesforce_object
        meta = schema_of(side, obj).get(name)
        problem = field_problem(side.value, meta, name, None if value is None else str(value))
        if problem is not None:
            return side, name, problem
    return None
