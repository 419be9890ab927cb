"""Canonical value transforms: each side's raw value -> one comparable form, and back.

Rules every transform follows (the merge relies on them):
- to_canonical(side, value) turns an empty value (None, "", whitespace) into None;
- from_canonical(side, None) is the side's way to clear a field: "" for HubSpot, None for Salesforce;
- HubSpot takes every property value as a string, so from_canonical(HUBSPOT, ...) returns str;
- canonical values are str, int, float, bool or datetime.date; canonical_text() gives the text stored in
  the state's base table, and two values are "in sync" when their canonical_text is equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .base import Side


class TransformError(ValueError):
    """A value that cannot be put in (or taken out of) canonical form; the merge reports it per field."""


class UnmappedValueError(TransformError):
    """A value the field's map (picklist, stage, owner) has no entry for."""


class OwnerEmails(Protocol):
    """Owner ids of each side and their emails (owners.py's OwnerDirectory): owners compare by email."""

    def email_of(self, side: Side, owner_id: str) -> str | None: ...

    def id_for(self, side: Side, email: str) -> str | None: ...


@dataclass(frozen=True)
class TransformContext:
    """What some transforms need beyond the value: owner directories and the deal's pipeline id."""

    owners: OwnerEmails | None = None
    pipeline: str | None = None


NO_CONTEXT = TransformContext()


class Transform(Protocol):
    """Puts one field's value into canonical form and back, for either side."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> Any: ...

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> Any: ...


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def empty_for(side: Side) -> str | None:
    """How a side is told to clear a field: HubSpot clears with "", Salesforce with null."""
    return "" if side is Side.HUBSPOT else None


def canonical_text(value: Any) -> str | None:
    """The text form of a canonical value, as kept in the base table."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def same_canonical(a: Any, b: Any) -> bool:
    return canonical_text(a) == canonical_text(b)


def normalize_email(value: Any) -> str | None:
    return None if is_empty(value) else str(value).strip().lower()


_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


def bare_domain(value: Any) -> str | None:
    """'https://www.Acme.com/about?x=1' -> 'acme.com' (scheme, userinfo, www, port, path dropped)."""
    if is_empty(value):
        return None
    text = _SCHEME.sub("", str(value).strip().lower())
    host = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    host = host.removeprefix("www.")
    return host or None


def to_number(value: Any) -> int | float | None:
    """'17' -> 17, '1,200.50' -> 1200.5, 17.0 -> 17; integral values become int."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise TransformError(f"{value!r} is a boolean, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
    else:
        text = re.sub(r"[,\s_]", "", str(value)).lstrip("$€£")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise TransformError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise TransformError(f"{value!r} is not a finite number")
    return int(number) if number == number.to_integral_value() else float(number)


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def to_bool(value: Any) -> bool | None:
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise TransformError(f"{value!r} is not a yes/no value")


def to_datetime(value: Any) -> datetime | date:
    """A datetime (aware, UTC if no zone) or a date, from ISO text, epoch milliseconds or Python values."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if text.isdigit():  # HubSpot also sends datetimes as epoch milliseconds
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        # Salesforce writes "+0000"; fromisoformat wants "+00:00"
        parsed = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00")))
    except ValueError:
        raise TransformError(f"{value!r} is not a date or datetime") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TextTransform:
    """Free text: surrounding whitespace is not a difference worth a write."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return None if is_empty(value) else str(value).strip()

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return empty_for(side) if value is None else str(value)


@dataclass(frozen=True)
class EmailTransform:
    """Emails compare trimmed and lower-cased (both CRMs treat them case-insensitively)."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return normalize_email(value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return empty_for(side) if value is None else value


@dataclass(frozen=True)
class DomainTransform:
    """A website URL and a bare domain compare as the bare domain; url_on gets 'https://<domain>'."""

    url_on: Side | None = None

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return bare_domain(value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if value is None:
            return empty_for(side)
        return f"https://{value}" if side is self.url_on else value


@dataclass(frozen=True)
class DateTransform:
    """A datetime on one side and a date on the other compare as the date (in `timezone`).

    Writing a date to the datetime side sets midnight of that date in `timezone`, which is how HubSpot
    stores a date picked in its UI; a time of day already there is kept unless the date changes."""

    timezone: str = "UTC"
    datetime_on: Side | None = Side.HUBSPOT

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> date | None:
        if is_empty(value):
            return None
        parsed = to_datetime(value)
        if isinstance(parsed, datetime):
            return parsed.astimezone(ZoneInfo(self.timezone)).date()
        return parsed

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if value is None:
            return empty_for(side)
        day = value if isinstance(value, date) else to_datetime(value)
        day = day.date() if isinstance(day, datetime) else day
        if side is self.datetime_on:
            midnight = datetime.combine(day, time(), ZoneInfo(self.timezone)).astimezone(UTC)
            return midnight.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return day.isoformat()


_LETTER = re.compile(r"[^\W\d_]")
_NOT_DIGIT = re.compile(r"[^0-9]")


def phone_key(value: Any) -> str | None:
    """A phone number's digits, so formatting is no difference: '(555) 123-4567', '555.123.4567' and
    '+1 555 123 4567' are all '5551234567'. A leading '+' (or '00') keeps its country code ('+44...'),
    except +1 (North America), whose numbers are kept as their ten digits; a value with a letter in it
    (an extension, a note) is compared as text."""
    if is_empty(value):
        return None
    text = str(value).strip()
    digits = _NOT_DIGIT.sub("", text)
    if not digits or _LETTER.search(text):
        return text
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00") and not text.startswith("+"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return ("+" if international else "") + digits


@dataclass(frozen=True)
class PhoneTransform:
    """Phone numbers compare by their digits (phone_key). The value written is the source's own text, as
    typed (plan/updates.py): only the comparison is by digits, so a CRM that formats phones on save
    (a Salesforce flow, a HubSpot workflow) holds the same number, not a change to carry back."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return phone_key(value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return empty_for(side) if value is None else str(value)


def written_as_typed(transform: Transform, source_raw: Any) -> str | None:
    """The source's own text, for transforms whose value is written as typed (phones), else None: the
    value written is then the canonical value in the target's form."""
    if isinstance(transform, PhoneTransform) and not is_empty(source_raw):
        return str(source_raw).strip()
    return None


@dataclass(frozen=True)
class NumberTransform:
    """Numbers compare as numbers: '17' == 17, '1,200.50' == 1200.5."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> int | float | None:
        return to_number(value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> Any:
        if value is None:
            return empty_for(side)
        return canonical_text(value) if side is Side.HUBSPOT else value


@dataclass(frozen=True)
class BoolTransform:
    """Yes/no values compare as booleans; HubSpot is written 'true'/'false'."""

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> bool | None:
        return to_bool(value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> Any:
        if value is None:
            return empty_for(side)
        return canonical_text(value) if side is Side.HUBSPOT else bool(value)


class ValueTooLongError(TransformError):
    """A text value longer than its target field holds (the CRMs answer STRING_TOO_LONG)."""

    code = "STRING_TOO_LONG"


def fit_length(value: Any, max_length: int | None, *, truncate: bool) -> tuple[Any, bool]:
    """The value to write to a field of max_length, and whether it was cut (a data-quality warning).

    Raises ValueTooLongError when it does not fit and the field mapping does not say `truncate`."""
    if not isinstance(value, str) or max_length is None or len(value) <= max_length:
        return value, False
    if not truncate:
        raise ValueTooLongError(f"{len(value)} characters do not fit in {max_length}")
    return value[:max_length], True
