"""Relative date literals (TODAY, LAST_N_DAYS:30, THIS_QUARTER...) as half-open date ranges.

Salesforce evaluates them in the querying user's time zone; the sandbox's users all live in UTC.
Weeks start on Sunday (the en_US locale) and fiscal periods equal calendar periods (the default
fiscal year of a new org).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_UNITS = {"DAY": "day", "DAYS": "day", "WEEK": "week", "WEEKS": "week", "MONTH": "month", "MONTHS": "month"}
_UNITS |= {"QUARTER": "quarter", "QUARTERS": "quarter", "YEAR": "year", "YEARS": "year"}
_UNITS |= {"FISCAL_QUARTER": "quarter", "FISCAL_QUARTERS": "quarter"}
_UNITS |= {"FISCAL_YEAR": "year", "FISCAL_YEARS": "year"}
_FIXED = {"TODAY": ("this", "day"), "YESTERDAY": ("last", "day"), "TOMORROW": ("next", "day")}
_FIXED |= {"LAST_90_DAYS": ("last_n", "day", 90), "NEXT_90_DAYS": ("next_n", "day", 90)}  # type: ignore[dict-item]
_SHAPES = [
    (re.compile(r"THIS_(\w+)"), "this", False),
    (re.compile(r"LAST_N_(\w+)"), "last_n", True),
    (re.compile(r"NEXT_N_(\w+)"), "next_n", True),
    (re.compile(r"N_(\w+)_AGO"), "n_ago", True),
    (re.compile(r"LAST_(\w+)"), "last", False),
    (re.compile(r"NEXT_(\w+)"), "next", False),
]


def utc_now() -> datetime:
    """The moment relative literals are measured from (tests monkeypatch this or pass `now`)."""
    return datetime.now(UTC)


class NotARelativeDate(ValueError):
    pass


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_start(today: date, unit: str, offset: int) -> date:
    if unit == "day":
        return today + timedelta(days=offset)
    if unit == "week":
        sunday = today - timedelta(days=(today.weekday() + 1) % 7)
        return sunday + timedelta(weeks=offset)
    if unit == "month":
        return _shift_months(today, offset)
    if unit == "quarter":
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return _shift_months(first, 3 * offset)
    return date(today.year + offset, 1, 1)


def _parse(word: str, count: int | None) -> tuple[str, str, int]:
    upper = word.upper()
    if upper in _FIXED:
        if count is not None:
            raise NotARelativeDate(word)
        kind, unit, *n = _FIXED[upper]
        return kind, unit, n[0] if n else 0
    for pattern, kind, needs_count in _SHAPES:
        match = pattern.fullmatch(upper)
        if match and match.group(1) in _UNITS and needs_count == (count is not None):
            return kind, _UNITS[match.group(1)], count or 0
    raise NotARelativeDate(word)


def is_relative(word: str, count: int | None) -> bool:
    try:
        _parse(word, count)
    except NotARelativeDate:
        return False
    return True


def date_range(word: str, count: int | None, today: date) -> tuple[date, date]:
    """[start, end) in days; raises NotARelativeDate for an unknown word."""
    kind, unit, n = _parse(word, count)
    start = _period_start
    if kind == "this":
        return start(today, unit, 0), start(today, unit, 1)
    if kind == "last":
        return start(today, unit, -1), start(today, unit, 0)
    if kind == "next":
        return start(today, unit, 1), start(today, unit, 2)
    if kind == "last_n":
        # LAST_N_DAYS includes today; LAST_N_WEEKS/MONTHS/... stop before the current period
        end = start(today, unit, 1) if unit == "day" else start(today, unit, 0)
        return start(today, unit, -n), end
    if kind == "next_n":
        return start(today, unit, 1), start(today, unit, n + 1)
    return start(today, unit, -n), start(today, unit, -n + 1)  # N_..._AGO
