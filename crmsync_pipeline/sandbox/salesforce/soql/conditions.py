"""WHERE conditions compiled once into plain Python closures over a stored row.

Each comparison becomes one small function specialised for its field type and operator, so a filter
over 100k rows costs one call per row and node, with no dispatch on strings at row time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .catalog import category
from .coercion import Coercer, Range
from .errors import INVALID_QUERY_FILTER_OPERATOR, MALFORMED_QUERY, located
from .literals import like_pattern
from .nodes import And, BareCall, Comparison, Condition, FieldPath, FuncCall, Not, Or, Paren, Query
from .options import SoqlOptions
from .paths import Resolver

Predicate = Callable[[dict], bool]
Getter = Callable[[dict], Any]


@dataclass
class CompileContext:
    resolver: Resolver
    options: SoqlOptions
    today: date
    allow_functions: bool  # LEN/LENGTH/ISBLANK: validation-rule conditions only
    semi_join: Callable[[Query, str], set]  # runs `Id IN (SELECT ...)` subqueries

    @property
    def text(self) -> str:
        return self.resolver.text


def compile_where(cond: Condition, ctx: CompileContext) -> Predicate:
    if isinstance(cond, Paren):
        return compile_where(cond.item, ctx)
    if isinstance(cond, Not):
        inner = compile_where(cond.item, ctx)
        return lambda row: not inner(row)
    if isinstance(cond, And | Or):
        return _combine([compile_where(item, ctx) for item in cond.items], isinstance(cond, And))
    if isinstance(cond, BareCall):
        getter, field_type, _ = _operand(cond.call, ctx)
        if field_type != "boolean":
            raise located(MALFORMED_QUERY, ctx.text, cond.call.pos, f"unexpected token: '{cond.call.name}'")
        return getter
    return _comparison(cond, ctx)


def _combine(preds: list[Predicate], conjunction: bool) -> Predicate:
    if len(preds) == 2:
        first, second = preds
        if conjunction:
            return lambda row: first(row) and second(row)
        return lambda row: first(row) or second(row)
    if conjunction:
        return lambda row: all(pred(row) for pred in preds)
    return lambda row: any(pred(row) for pred in preds)


def _operand(operand: FieldPath | FuncCall, ctx: CompileContext) -> tuple[Getter, str, str]:
    """(getter, describe type, field name for messages)."""
    if isinstance(operand, FieldPath):
        path = ctx.resolver.path(operand)
        return path.getter, path.meta.type, path.meta.name
    func = operand.upper_name
    if not ctx.allow_functions or func not in ("LEN", "LENGTH", "ISBLANK") or operand.arg is None:
        raise located(MALFORMED_QUERY, ctx.text, operand.pos, f"unexpected token: '{operand.name}'")
    inner, _, name = _operand(operand.arg, ctx)
    if func == "ISBLANK":
        return (lambda row: (v := inner(row)) is None or v == ""), "boolean", name
    return (lambda row: len(str(v)) if (v := inner(row)) is not None else 0), "int", name


def _comparison(cond: Comparison, ctx: CompileContext) -> Predicate:
    get, field_type, name = _operand(cond.operand, ctx)
    kind = category(field_type)
    op = cond.op
    if op == "<>":
        if not ctx.options.allow_angle_not_equal:
            raise located(MALFORMED_QUERY, ctx.text, cond.op_pos, "unexpected token: '<>'")
        op = "!="
    if cond.subquery is not None:
        return _semi_join(cond, get, kind, ctx)
    if op == "LIKE":
        return _like(cond, get, kind, name, ctx)
    if op in ("INCLUDES", "EXCLUDES"):
        return _includes(cond, get, field_type, name, ctx)
    coercer = Coercer(ctx.text, ctx.options, ctx.today)
    values = [coercer.coerce(value, name, field_type) for value in cond.values]
    if field_type == "multipicklist":
        values = [_picklist_set(v) if isinstance(v, str) else v for v in values]
        inner = get
        get = lambda row: _picklist_set(v) if (v := inner(row)) else None  # noqa: E731
    elif kind in ("text", "other"):
        inner = get
        get = lambda row: str(v).casefold() if (v := inner(row)) else None  # noqa: E731
    elif kind == "boolean":
        inner = get
        get = lambda row: bool(inner(row))  # noqa: E731
    if op in ("=", "IN"):
        return _membership(get, values)
    if op in ("!=", "NOT_IN"):
        matches = _membership(get, values)
        if None in values or not ctx.options.not_equal_matches_null:
            return lambda row: not matches(row) and (None in values or get(row) is not None)
        return lambda row: not matches(row)
    return _ordering(get, op, values[0])


def _membership(get: Getter, values: list) -> Predicate:
    ranges = [v for v in values if isinstance(v, Range)]
    scalars = [v for v in values if not isinstance(v, Range)]
    if not ranges and len(scalars) == 1:
        only = scalars[0]
        if only is None:
            return lambda row: get(row) is None
        return lambda row: get(row) == only
    wanted = set(scalars)
    if not ranges:
        return lambda row: get(row) in wanted

    def in_any(row: dict) -> bool:
        v = get(row)
        if v in wanted:
            return True
        return v is not None and any(r.low <= v < r.high for r in ranges)

    return in_any


def _ordering(get: Getter, op: str, value: Any) -> Predicate:
    if value is None:
        return lambda row: False
    if isinstance(value, Range):
        bound, op = {
            "<": (value.low, "<"),
            "<=": (value.high, "<"),
            ">": (value.high, ">="),
            ">=": (value.low, ">="),
        }[op]
    else:
        bound = value
    if op == "<":
        return lambda row: (v := get(row)) is not None and v < bound
    if op == "<=":
        return lambda row: (v := get(row)) is not None and v <= bound
    if op == ">":
        return lambda row: (v := get(row)) is not None and v > bound
    return lambda row: (v := get(row)) is not None and v >= bound


def _like(cond: Comparison, get: Getter, kind: str, name: str, ctx: CompileContext) -> Predicate:
    value = cond.values[0]
    if kind not in ("text", "id", "other"):
        reason = f"invalid operator on {kind} field: {name}"
        raise located(INVALID_QUERY_FILTER_OPERATOR, ctx.text, value.pos, reason)
    if value.kind != "string":
        if value.kind == "word" and value.raw.lower() == "null" and value.count is None:
            return lambda row: get(row) is None
        raise located(MALFORMED_QUERY, ctx.text, value.pos, f"unexpected token: '{value.raw}'")
    match = like_pattern(value.raw).fullmatch
    return lambda row: (v := get(row)) is not None and match(v) is not None


def _picklist_set(value: str) -> frozenset[str]:
    return frozenset(part.strip().casefold() for part in value.split(";") if part.strip())


def _includes(cond: Comparison, get: Getter, field_type: str, name: str, ctx: CompileContext) -> Predicate:
    if field_type != "multipicklist":
        reason = "includes or excludes operator only valid on multipicklist field"
        raise located(INVALID_QUERY_FILTER_OPERATOR, ctx.text, cond.values[0].pos, reason)
    coercer = Coercer(ctx.text, ctx.options, ctx.today)
    wanted = [_picklist_set(v) for value in cond.values if (v := coercer.coerce(value, name, "string"))]

    def includes(row: dict) -> bool:
        v = get(row)
        if not v:
            return False
        have = _picklist_set(v)
        return any(terms <= have for terms in wanted)

    if cond.op == "INCLUDES":
        return includes
    return lambda row: not includes(row)


def _semi_join(cond: Comparison, get: Getter, kind: str, ctx: CompileContext) -> Predicate:
    if kind != "id" or not isinstance(cond.operand, FieldPath):
        reason = "semi join sub-selects are only allowed on id or reference fields"
        raise located(INVALID_QUERY_FILTER_OPERATOR, ctx.text, cond.operand.pos, reason)
    ids = ctx.semi_join(cond.subquery, ctx.text)  # type: ignore[arg-type]
    if cond.op == "IN":
        return lambda row: get(row) in ids
    if ctx.options.not_equal_matches_null:
        return lambda row: get(row) not in ids
    return lambda row: (v := get(row)) is not None and v not in ids
