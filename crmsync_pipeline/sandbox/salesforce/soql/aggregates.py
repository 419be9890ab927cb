"""Aggregate queries: COUNT(field), COUNT_DISTINCT, MIN, MAX, SUM, AVG, optionally with GROUP BY.

Each answer row is an `AggregateResult` record; unaliased aggregates are named expr0, expr1... in
SELECT order, grouped fields keep their own (last path segment) name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import MALFORMED_QUERY, located
from .nodes import FieldPath, FuncCall, Query, SelectCall, SelectItem
from .ordering import sort_key, sort_rows
from .paths import Resolver

AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM", "AVG"})


def _count(values: list) -> int:
    return sum(1 for v in values if v is not None)


def _distinct(values: list) -> int:
    return len({v for v in values if v is not None})


def _min(values: list) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _max(values: list) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _sum(values: list) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _avg(values: list) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


_REDUCERS: dict[str, Callable[[list], Any]] = {
    "COUNT": _count,
    "COUNT_DISTINCT": _distinct,
    "MIN": _min,
    "MAX": _max,
    "SUM": _sum,
    "AVG": _avg,
}


@dataclass
class _Output:
    key: str
    func: str | None  # None: a GROUP BY field
    arg: str  # canonical path, lower-cased, for ORDER BY matching
    field_type: str
    getter: Callable[[dict], Any]
    group_index: int = -1


def _outputs(query: Query, select: list[SelectItem], resolver: Resolver, grouped: list[str]) -> list[_Output]:
    outputs: list[_Output] = []
    expr = 0
    for item in select:
        if isinstance(item, FieldPath):
            path = resolver.path(item)
            if path.canonical.lower() not in grouped:
                reason = f"Field must be grouped or aggregated: {path.meta.name}"
                raise located(MALFORMED_QUERY, query.text, item.pos, reason)
            index = grouped.index(path.canonical.lower())
            outputs.append(_Output(path.meta.name, None, grouped[index], path.meta.type, path.getter, index))
        elif isinstance(item, SelectCall) and item.call.arg is not None:
            path = resolver.path(item.call.arg)
            key = item.alias
            if key is None:
                key, expr = f"expr{expr}", expr + 1
            func = item.call.upper_name
            field_type = "int" if func.startswith("COUNT") else path.meta.type
            outputs.append(_Output(key, func, path.canonical.lower(), field_type, path.getter))
        else:
            pos = item.pos if isinstance(item, FieldPath) else getattr(item, "pos", query.sobject_pos)
            raise located(MALFORMED_QUERY, query.text, pos, "unexpected token: '('")
    return outputs


def _order(query: Query, records: list[dict], outputs: list[_Output], resolver: Resolver) -> list[dict]:
    keys = []
    for item in query.order_by:
        operand = item.operand
        if isinstance(operand, FuncCall):
            arg = resolver.path(operand.arg).canonical.lower() if operand.arg else ""
            match = next((o for o in outputs if o.func == operand.upper_name and o.arg == arg), None)
        else:
            arg = resolver.path(operand).canonical.lower()
            match = next((o for o in outputs if o.func is None and o.arg == arg), None)
        if match is None:
            reason = "Ordered field must be grouped or aggregated"
            raise located(MALFORMED_QUERY, query.text, operand.pos, reason)
        nulls_first = item.nulls_first if item.nulls_first is not None else not item.descending
        getter = sort_key(lambda rec, key=match.key: rec[key], match.field_type)
        keys.append((getter, item.descending, nulls_first))
    return sort_rows(records, keys) if keys else records


def run_aggregate(
    query: Query, select: list[SelectItem], sobject: str, resolver: Resolver, rows: list[dict]
) -> tuple[list[dict], list[str]]:
    """(AggregateResult records, column names) for the matched rows."""
    group_paths = [resolver.path(fp) for fp in query.group_by]
    grouped = [p.canonical.lower() for p in group_paths]
    outputs = _outputs(query, select, resolver, grouped)
    groups: dict[tuple, list[dict]] = {}
    if group_paths:
        getters = [p.getter for p in group_paths]
        for row in rows:
            groups.setdefault(tuple(g(row) for g in getters), []).append(row)
    else:
        groups[()] = rows
    records = []
    for key, members in groups.items():
        record: dict = {"attributes": {"type": "AggregateResult"}}
        for out in outputs:
            if out.func is None:
                record[out.key] = key[out.group_index]
            else:
                record[out.key] = _REDUCERS[out.func]([out.getter(r) for r in members])
        records.append(record)
    records = _order(query, records, outputs, resolver)
    if query.offset:
        records = records[query.offset :]
    if query.limit is not None:
        records = records[: query.limit]
    return records, [out.key for out in outputs]
