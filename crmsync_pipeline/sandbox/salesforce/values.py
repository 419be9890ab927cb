"""Turning API input (JSON values or Bulk CSV strings) into stored values, per field type, with the
errors Salesforce answers for values that do not fit."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..clock import parse_ts, sf_datetime
from . import ids
from .errors import RecordError, SfError, fail
from .schema import FieldDef

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def coerce(f: FieldDef, value: Any, *, csv: bool, restricted: bool) -> Any:
    """The stored form of `value` for field `f`; raises RecordError when it does not fit."""
    if value is None:
        return f.default_value if f.type == "boolean" else None
    if f.is_text:
        return _text(f, value, restricted)
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _bad_value(f, value, csv)
    if f.type in ("int", "double", "currency", "percent"):
        return _number(f, value, csv)
    if f.type == "date":
        return _date(f, value, csv)
    if f.type == "datetime":
        return _datetime(f, value, csv)
    if f.type in ("reference", "id"):
        normal = ids.normalize(value) if isinstance(value, str) else None
        if normal is None:
            if isinstance(value, str) and not value.strip():
                return None
            raise fail("MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        return normal
    return value


def _text(f: FieldDef, value: Any, restricted: bool) -> str | None:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        raise RecordError(_parser_error(f, value))
    else:
        text = str(value)
    if text == "":
        return None  # Salesforce stores empty text as null
    if f.length and len(text) > f.length:
        raise fail(
            "STRING_TOO_LONG", f"{f.label}: data value too large: {text} (max length={f.length})", [f.name]
        )
    if f.type == "email" and not EMAIL.match(text):
        raise fail("INVALID_EMAIL_ADDRESS", f"{f.label}: invalid email address: {text}", [f.name])
    if restricted and f.type in ("picklist", "multipicklist"):
        chosen = text.split(";") if f.type == "multipicklist" else [text]
        for item in chosen:
            if item not in f.picklist:
                raise fail(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{f.label}: bad value for restricted picklist field: {item}",
                    [f.name],
                )
    return text


def _number(f: FieldDef, value: Any, csv: bool) -> int | float:
    if isinstance(value, bool):
        raise _bad_value(f, value, csv)
    number: float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "")) if csv else float(value)
        except ValueError:
            raise _bad_value(f, value, csv) from None
    else:
        raise _bad_value(f, value, csv)
    if f.type == "int":
        if number != int(number):
            raise _bad_value(f, value, csv)
        return int(number)
    whole_digits = max(f.precision - f.scale, 1)
    if abs(number) >= 10**whole_digits:
        raise fail(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{f.label}: value outside of valid range on numeric field: {value}",
            [f.name],
        )
    return float(round(number, f.scale))


def _date(f: FieldDef, value: Any, csv: bool) -> str:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            return parse_ts(text).date().isoformat()
        except ValueError:
            pass
    raise _bad_value(f, value, csv)


def _datetime(f: FieldDef, value: Any, csv: bool) -> str:
    if isinstance(value, str):
        try:
            return sf_datetime(parse_ts(value))
        except ValueError:
            pass
    raise _bad_value(f, value, csv)


def _bad_value(f: FieldDef, value: Any, csv: bool) -> RecordError:
    if csv:
        # Bulk API: a per-row failure naming the field.
        return fail(
            "INVALID_FIELD",
            f"Failed to deserialize field {f.name}. Due to, '{value}' is not a valid value for the type {f.soap_type}",
            [f.name],
        )
    return RecordError(_parser_error(f, value))


def _parser_error(f: FieldDef, value: Any) -> SfError:
    kind = f.soap_type.split(":")[1]
    token = "VALUE_STRING" if isinstance(value, str) else "VALUE_" + type(value).__name__.upper()
    return SfError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from {token} value {value} or request may be missing a "
        f"required field",
        request_level=True,
    )
