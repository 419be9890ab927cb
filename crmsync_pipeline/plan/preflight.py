"""Preflight: check every planned write against the target's schema (Salesforce describe, HubSpot
property definitions) before any call. What would fail is recorded with the code the CRM would answer
and is never sent, so it costs no API call; a value too long for a field marked `truncate` is cut and
reported as a data-quality warning instead."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import ObjectPair, TransformKind
from crmsync_pipeline.plan.lookups import LOOKUP_FIELD
from crmsync_pipeline.state.audit_log import WriteOutcome, record_outcomes

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_TYPES = {
    "string",
    "textarea",
    "email",
    "phone",
    "url",
    "picklist",
    "multipicklist",
    "combobox",
    "encryptedstring",
}
Schema = Mapping[str, Mapping[str, Any]]
# crmsync's own code: Salesforce would store the value (an unrestricted picklist), but nobody chose it
UNLISTED_PICKLIST_VALUE = "UNLISTED_PICKLIST_VALUE"


def preflight(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    target: str,
    schemas: Mapping[str, Schema],
) -> Counter[str]:
    """Mark plan rows that would fail; `schemas` maps each target object to its fields. Returns codes."""
    rows = con.execute(
        """SELECT rowid, action, record_ref, salesforce_object, field, target_field, new_value FROM plan_rows
           WHERE run_id = ? AND pair = ? AND target = ? AND preflight_error IS NULL""",
        [run_id, pair_name, target],
    ).fetchall()
    truncate = {f.name for f in pair.fields if f.truncate}
    # values a value map or stage map chose: one the picklist lacks is a mapping mistake, even where
    # Salesforce would take it (an unrestricted picklist stores any text), so it is refused, not written
    mapped = {
        f.name for f in pair.fields if f.transform.kind in (TransformKind.PICKLIST, TransformKind.STAGE)
    }
    failures: dict[str, tuple[str, str]] = {}
    cut: list[tuple[str, int]] = []
    for rowid, action, ref, sobject, field, target_field, value in rows:
        if target == "hubspot" and field.startswith(LOOKUP_FIELD):
            continue  # an association, not a property
        if field == "@record":
            continue  # a whole record deleted, archived or erased (plan/deletes.py), no field written
        schema = schemas.get(sobject if target == "salesforce" else pair.hubspot, {})
        meta = schema.get(target_field)
        problem = (_salesforce_problem if target == "salesforce" else _hubspot_problem)(
            meta, action, target_field, value
        )
        if problem is None and target == "salesforce" and field in mapped:
            problem = _unlisted_picklist_value(meta, target_field, value)
        if problem and problem[0] == "STRING_TOO_LONG" and field in truncate:
            cut.append((value[: int(meta["length"])], rowid))  # type: ignore[index]
        elif problem and ref not in failures:
            failures[ref] = problem
    if target == "salesforce":
        for ref, problem in _missing_required(con, run_id, pair_name, schemas).items():
            failures.setdefault(ref, problem)
    if cut:
        con.executemany(
            "UPDATE plan_rows SET new_value = ?, reason = reason || ':truncated' WHERE rowid = ?", cut
        )
    if failures:
        _refuse(con, run_id, pair_name, target, failures)
    return Counter(code for code, _ in failures.values()) + Counter({"TRUNCATED": len(cut)} if cut else {})


def _missing_required(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, schemas: Mapping[str, Schema]
) -> dict[str, tuple[str, str]]:
    """Salesforce creates that leave out a field their object requires: record -> (code, message)."""
    found = {}
    for ref, sobject, fields in _creates(con, run_id, pair_name):
        missing = [
            n for n, m in schemas.get(sobject, {}).items() if required_on_create(m) and n not in fields
        ]
        if missing:
            found[ref] = ("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]")
    return found


def _refuse(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    failures: dict[str, tuple[str, str]],
) -> None:
    """Mark the records' plan rows with the code the CRM would answer, and record them as failed."""
    con.executemany(
        "UPDATE plan_rows SET preflight_error = ? WHERE run_id = ? AND pair = ? AND target = ? "
        "AND record_ref = ?",
        [(code, run_id, pair_name, target, ref) for ref, (code, _) in failures.items()],
    )
    outcomes = [
        WriteOutcome.refused(ref, code, f"preflight: {message}") for ref, (code, message) in failures.items()
    ]
    record_outcomes(con, run_id, pair_name, target, outcomes, datetime.now(UTC))


def _creates(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> list[tuple[str, str, set[str]]]:
    rows = con.execute(
        """SELECT record_ref, any_value(salesforce_object), list(target_field) FILTER (WHERE new_value IS NOT NULL
                  AND new_value <> '') FROM plan_rows
           WHERE run_id = ? AND pair = ? AND target = 'salesforce' AND action = 'create' GROUP BY record_ref""",
        [run_id, pair_name],
    ).fetchall()
    return [(ref, sobject, set(fields or [])) for ref, sobject, fields in rows]


def required_on_create(meta: Mapping[str, Any]) -> bool:
    """Salesforce's rule: createable, not nillable, not defaulted (booleans always have a default)."""
    return (
        bool(meta.get("createable"))
        and not meta.get("nillable", True)
        and not meta.get("defaultedOnCreate", False)
        and meta.get("type") not in ("boolean", "id")
    )


def _salesforce_problem(
    meta: Mapping[str, Any] | None, action: str, name: str, value: str | None
) -> tuple[str, str] | None:
    if meta is None:
        return "INVALID_FIELD", f"No such column '{name}'"
    if not meta.get("createable" if action == "create" else "updateable"):
        return "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {name}"
    if value is None or value == "":
        if action == "update" and not meta.get("nillable", True) and meta.get("type") != "boolean":
            return "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]"
        return None
    kind = meta.get("type")
    if kind in TEXT_TYPES and meta.get("length") and len(value) > int(meta["length"]):
        return "STRING_TOO_LONG", f"{name}: data value too large (max length={meta['length']})"
    if kind == "email" and not EMAIL.match(value):
        return "INVALID_EMAIL_ADDRESS", f"{name}: invalid email address: {value}"
    if kind == "picklist" and meta.get("restrictedPicklist"):
        allowed = {p["value"] for p in meta.get("picklistValues", []) if p.get("active", True)}
        if value not in allowed:
            return (
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{name}: bad value for restricted picklist: {value}",
            )
    return None


def _unlisted_picklist_value(
    meta: Mapping[str, Any] | None, name: str, value: str | None
) -> tuple[str, str] | None:
    """A mapped value an unrestricted Salesforce picklist does not list (among its active values)."""
    if not value or meta is None or meta.get("type") != "picklist" or not meta.get("picklistValues"):
        return None
    allowed = [p["value"] for p in meta["picklistValues"] if p.get("active", True)]
    if value in allowed:
        return None
    return (
        UNLISTED_PICKLIST_VALUE,
        f"{name}: '{value}' is not an active value of the picklist (the mapping's value map names it; "
        "`crmsync check` lists the values it could use)",
    )


def _hubspot_problem(
    meta: Mapping[str, Any] | None, action: str, name: str, value: str | None
) -> tuple[str, str] | None:
    if meta is None:
        return "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
    modification = meta.get("modification_metadata") or {}
    if modification.get("read_only_value"):
        return "READ_ONLY_VALUE", f'Property "{name}" is read-only'
    if value and meta.get("type") == "enumeration" and meta.get("options"):
        allowed = {o["value"] for o in meta["options"]}
        values = value.split(";") if meta.get("field_type") == "checkbox" else [value]
        if any(v not in allowed for v in values):
            return "INVALID_OPTION", f"{value} was not one of the allowed options for {name}"
    return None


def field_problem(
    target: str, meta: Mapping[str, Any] | None, name: str, value: str | None
) -> tuple[str, str] | None:
    """What `target` would answer (code, message) to an update setting `name` to `value`, or None: the
    same checks as a sync's preflight, for callers outside a plan (undo's restores)."""
    check = _salesforce_problem if target == "salesforce" else _hubspot_problem
    return check(meta, "update", name, value)
