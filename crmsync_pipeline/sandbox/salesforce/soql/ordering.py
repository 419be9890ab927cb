"""ORDER BY: a stable multi-key sort with Salesforce's null placement (ASC NULLS FIRST by default,
DESC NULLS LAST unless switched off) and case-insensitive text order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .catalog import category

SortKey = tuple[Callable[[dict], Any], bool, bool]  # (getter, descending, nulls_first)


def sort_key(getter: Callable[[dict], Any], field_type: str) -> Callable[[dict], Any]:
    """The comparable value of a row for one ORDER BY item (None stays None)."""
    kind = category(field_type)
    if kind in ("text", "other"):
        return lambda row: str(v).casefold() if (v := getter(row)) not in (None, "") else None
    if kind == "boolean":
        return lambda row: bool(getter(row))
    return getter


def _column(rows: list[dict], getter: Callable[[dict], Any], descending: bool, nulls_first: bool) -> list:
    column = [getter(row) for row in rows]
    if None not in column:
        return column
    # with reverse=True the largest key comes first, so nulls-first needs the largest null key
    null_key = (1,) if nulls_first == descending else (-1,)
    return [null_key if value is None else (0, value) for value in column]


def sort_rows(rows: list[dict], keys: list[SortKey]) -> list[dict]:
    """Rows in ORDER BY order: each key computed once per row, runs of keys sharing a direction sorted
    together, later runs first (relying on sort stability)."""
    if not keys or len(rows) < 2:
        return rows
    columns = [(_column(rows, getter, desc, nulls_first), desc) for getter, desc, nulls_first in keys]
    order = list(range(len(rows)))
    end = len(columns)
    while end > 0:
        start = end - 1
        while start > 0 and columns[start - 1][1] == columns[end - 1][1]:
            start -= 1
        run = [column for column, _ in columns[start:end]]
        decorated = run[0] if len(run) == 1 else list(zip(*run, strict=True))
        order.sort(key=decorated.__getitem__, reverse=columns[end - 1][1])
        end = start
    return [rows[index] for index in order]
