"""Compiling search filters into predicates over stored records, with HubSpot's typing rules:
case-insensitive strings, case-sensitive enumerations, numeric numbers, dates as epoch ms or ISO."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from datetime import UTC
from typing import Any

from ..clock import iso_z
from . import errors
from .validation import epoch_or_iso

Predicate = Callable[[dict[str, Any]], bool]
TOKEN_SPLIT = re.compile(r"[\s@.,;:_\-/()+]+")
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


def comparable(definition: dict[str, Any], value: Any) -> Any:
    """A filter value (or stored value) in the form its property compares in."""
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    kind = definition["type"]
    if kind == "number":
        return float(text)
    if kind == "datetime":
        return iso_z(epoch_or_iso(text))
    if kind == "date":
        return epoch_or_iso(text).astimezone(UTC).strftime("%Y-%m-%d")
    if kind in ("enumeration",) and definition.get("referencedObjectType") != "OWNER":
        return text
    return text.lower()


def compile_filter(
    flt: dict[str, Any], definitions: dict[str, dict[str, Any]], associated: Callable[[str, str], set[str]]
) -> Predicate:
    name, op = flt.get("propertyName"), flt.get("operator", "EQ")
    if op not in OPERATORS:
        raise errors.validation(f"Invalid operator {op}")
    if not isinstance(name, str):
        raise errors.validation("filter is missing propertyName")
    if name.startswith("associations."):
        return _association_filter(name.split(".", 1)[1], op, flt, associated)
    definition = definitions.get(name)
    if definition is None or definition.get("archived"):
        raise errors.validation(f"There was a problem with the request: property {name} does not exist")
    if op == "HAS_PROPERTY":
        return lambda r: r["p"].get(name) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda r: r["p"].get(name) is None
    multi = definition.get("fieldType") == "checkbox"

    kind = definition["type"]
    exact = kind in ("datetime", "date") or (
        kind == "enumeration" and definition.get("referencedObjectType") != "OWNER"
    )

    def stored(record: dict[str, Any]) -> Any:
        # stored dates/datetimes are already normalised, so they compare as strings
        raw = record["p"].get(name)
        if raw is None or exact:
            return raw
        if kind == "number":
            try:
                return float(raw)
            except ValueError:
                return None
        return raw.lower()

    try:
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = str(flt.get("value", "")).lower()
            match = _token_matcher(pattern)
            if op == "CONTAINS_TOKEN":
                return lambda r: r["p"].get(name) is not None and match(r["p"][name].lower())
            return lambda r: r["p"].get(name) is None or not match(r["p"][name].lower())
        if op in ("IN", "NOT_IN"):
            values = flt.get("values") or []
            # HubSpot matches IN on string properties against lowercased stored values, as-is
            wanted = {comparable(definition, v) if definition["type"] != "string" else str(v) for v in values}
            hit = lambda r: _any(stored(r), wanted, multi)  # noqa: E731
            return hit if op == "IN" else (lambda r: not hit(r))
        value = comparable(definition, flt.get("value", ""))
        if op == "EQ":
            return lambda r: _any(stored(r), {value}, multi)
        if op == "NEQ":
            return lambda r: not _any(stored(r), {value}, multi)
        if op == "BETWEEN":
            high = comparable(definition, flt.get("highValue", ""))
            return lambda r: (v := stored(r)) is not None and value <= v <= high
    except (ValueError, TypeError):
        raise errors.validation(f"Invalid value for property {name}: {flt.get('value')}") from None
    compare = {
        "LT": lambda a, b: a < b,
        "LTE": lambda a, b: a <= b,
        "GT": lambda a, b: a > b,
        "GTE": lambda a, b: a >= b,
    }[op]
    return lambda r: (v := stored(r)) is not None and compare(v, value)


def _any(stored: Any, wanted: set[Any], multi: bool) -> bool:
    if stored is None:
        return False
    if multi and isinstance(stored, str):
        return any(part in wanted for part in stored.split(";"))
    return stored in wanted


def _token_matcher(pattern: str) -> Callable[[str], bool]:
    if "*" in pattern:
        return lambda v: (
            fnmatch.fnmatchcase(v, pattern)
            or any(fnmatch.fnmatchcase(t, pattern) for t in TOKEN_SPLIT.split(v))
        )
    return lambda v: v == pattern or pattern in TOKEN_SPLIT.split(v)


def _association_filter(
    to_name: str, op: str, flt: dict[str, Any], associated: Callable[[str, str], set[str]]
) -> Predicate:
    if op in ("IN", "NOT_IN"):
        ids: set[str] = set()
        for value in flt.get("values") or []:
            ids |= associated(to_name, str(value))
    elif op in ("EQ", "NEQ"):
        ids = associated(to_name, str(flt.get("value", "")))
    else:
        raise errors.validation(f"Operator {op} is not supported for association filters")
    if op in ("EQ", "IN"):
        return lambda r: r["id"] in ids
    return lambda r: r["id"] not in ids
