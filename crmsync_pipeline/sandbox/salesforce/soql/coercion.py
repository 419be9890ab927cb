"""Literal -> comparable value for one field type, with Salesforce's type-mismatch errors.

Choices (documented in the report): a literal of the wrong kind is INVALID_FIELD "value of filter
criterion for field 'X' must be of type T and should (not) be enclosed in quotes", as Salesforce says
for numbers, booleans and dates; a malformed id is INVALID_QUERY_FILTER_OPERATOR "invalid ID field".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .catalog import category, type_label
from .errors import INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, MALFORMED_QUERY, located, wrong_value_type
from .literals import decode_string, has_fraction, normalize_date, normalize_datetime, normalize_id
from .nodes import Value
from .options import SoqlOptions
from .relative_dates import NotARelativeDate, date_range


@dataclass(frozen=True)
class Range:
    """A relative date literal: [low, high) in the field's stored string form."""

    low: str
    high: str


NULL = None


class Coercer:
    """Turns literals into values comparable with stored values of one field."""

    def __init__(self, text: str, options: SoqlOptions, today: date):
        self.text = text
        self.options = options
        self.today = today

    def _wrong(self, value: Value, field: str, field_type: str) -> Exception:
        quoted = category(field_type) in ("text", "id", "other")
        reason = wrong_value_type(field, type_label(field_type), quoted)
        return located(INVALID_FIELD, self.text, value.pos, reason)

    def coerce(self, value: Value, field: str, field_type: str) -> Any:
        kind = category(field_type)
        if value.kind == "word":
            return self._word(value, field, field_type, kind)
        if value.kind == "string":
            if kind == "text" or kind == "other":
                text = decode_string(value.raw)
                return text.casefold() if text else NULL  # '' is how SOQL spells an empty text field
            if kind == "id":
                text = decode_string(value.raw)
                normal = normalize_id(text)
                if normal is None:
                    reason = f"invalid ID field: {text}"
                    raise located(INVALID_QUERY_FILTER_OPERATOR, self.text, value.pos, reason)
                return normal
            raise self._wrong(value, field, field_type)
        if value.kind == "number":
            if kind != "number":
                raise self._wrong(value, field, field_type)
            number = float(value.raw)
            return int(number) if number.is_integer() and "." not in value.raw else number
        if value.kind == "date":
            if kind != "date":
                raise self._wrong(value, field, field_type)
            return self._checked(normalize_date, value)
        if kind != "datetime":
            raise self._wrong(value, field, field_type)
        if has_fraction(value.raw) and not self.options.allow_fractional_seconds:
            raise located(MALFORMED_QUERY, self.text, value.pos, f"unexpected token: '{value.raw}'")
        return self._checked(normalize_datetime, value)

    def _checked(self, convert, value: Value) -> str:
        try:
            return convert(value.raw)
        except ValueError:
            raise located(MALFORMED_QUERY, self.text, value.pos, f"unexpected token: '{value.raw}'") from None

    def _word(self, value: Value, field: str, field_type: str, kind: str) -> Any:
        word = value.raw.lower()
        if value.count is None and word == "null":
            return NULL
        if value.count is None and word in ("true", "false"):
            if kind != "boolean":
                raise self._wrong(value, field, field_type)
            return word == "true"
        try:
            start, end = date_range(value.raw, value.count, self.today)
        except NotARelativeDate:
            raise located(MALFORMED_QUERY, self.text, value.pos, f"unexpected token: '{value.raw}'") from None
        if kind == "date":
            return Range(start.isoformat(), end.isoformat())
        if kind == "datetime":
            return Range(f"{start.isoformat()}T00:00:00.000+0000", f"{end.isoformat()}T00:00:00.000+0000")
        raise self._wrong(value, field, field_type)
