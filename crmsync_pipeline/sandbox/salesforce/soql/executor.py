"""Runs a parsed query against a catalog: resolve names, filter, sort, slice, shape."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from . import relative_dates
from .aggregates import AGGREGATE_FUNCTIONS, run_aggregate
from .catalog import SoqlCatalog, category
from .conditions import CompileContext, compile_where
from .errors import (
    EXCEEDED_ID_LIMIT,
    INVALID_QUERY_FILTER_OPERATOR,
    INVALID_TYPE,
    MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE,
    SoqlError,
    located,
    unknown_relationship,
    unsupported_object,
)
from .expansion import expand_fields
from .literals import decode_string, normalize_id
from .nodes import And, Comparison, FieldPath, Paren, Query, SelectCall, SelectSubquery
from .options import DEFAULT_OPTIONS, SoqlOptions
from .ordering import sort_key, sort_rows
from .paths import Resolver
from .shaping import RecordShape, Renderer

MAX_OFFSET = 2000
MAX_AGGREGATE_ROWS = 2000


@dataclass
class SoqlResult:
    records: list[dict]
    total_size: int
    is_count: bool
    columns: list[str]
    sobject: str
    # COUNT(Id)/GROUP BY answers: Salesforce refuses queryMore on them (EXCEEDED_ID_LIMIT)
    is_aggregate: bool = False
    child_columns: dict[str, list[str]] = field(default_factory=dict)


class QueryRun:
    """State of one `execute` call (today, options, the catalog)."""

    def __init__(self, catalog: SoqlCatalog, include_deleted: bool, api_version: str, today: date, options):
        self.catalog = catalog
        self.include_deleted = include_deleted
        self.today = today
        self.options: SoqlOptions = options
        self.renderer = Renderer(catalog, api_version, options.polymorphic_type_is_name)

    # ---- helpers ---------------------------------------------------------------------------------
    def object_name(self, query: Query) -> str:
        name = self.catalog.object_name(query.sobject)
        if name is None:
            raise located(INVALID_TYPE, query.text, query.sobject_pos, unsupported_object(query.sobject))
        return name

    def context(self, resolver: Resolver, allow_functions: bool = False) -> CompileContext:
        return CompileContext(resolver, self.options, self.today, allow_functions, self.semi_join)

    def live_rows(self, sobject: str, candidates: Iterable[dict] | None = None) -> Iterable[dict]:
        rows = self.catalog.rows(sobject) if candidates is None else candidates
        if self.include_deleted:
            return rows
        return (row for row in rows if not row.get("IsDeleted"))

    def matching(self, query: Query, sobject: str, resolver: Resolver) -> list[dict]:
        if query.where is None:
            return list(self.live_rows(sobject))
        predicate = compile_where(query.where, self.context(resolver))
        candidates = self.id_candidates(query, sobject)
        return [row for row in self.live_rows(sobject, candidates) if predicate(row)]

    def id_candidates(self, query: Query, sobject: str) -> list[dict] | None:
        """`WHERE Id = '...'` / `Id IN (...)` (possibly ANDed): fetch by id instead of scanning."""
        cond = query.where
        while isinstance(cond, Paren):
            cond = cond.item
        items = cond.items if isinstance(cond, And) else (cond,)
        for item in items:
            if not (isinstance(item, Comparison) and item.op in ("=", "IN") and item.subquery is None):
                continue
            operand = item.operand
            if not (isinstance(operand, FieldPath) and [p.lower() for p in operand.parts] == ["id"]):
                continue
            if not all(value.kind == "string" for value in item.values):
                continue
            rows: dict[str, dict] = {}
            for value in item.values:
                record_id = normalize_id(decode_string(value.raw))
                hit = self.catalog.get_by_id(record_id) if record_id else None
                if hit is not None and hit[0] == sobject:
                    rows.setdefault(hit[1].get("Id"), hit[1])
            return list(rows.values())
        return None

    def semi_join(self, query: Query, text: str) -> set:
        sobject = self.object_name(query)
        resolver = Resolver(self.catalog, sobject, query.alias, query.text)
        if len(query.select) != 1 or not isinstance(query.select[0], FieldPath):
            reason = "semi join sub-selects must select exactly one id field"
            raise located(INVALID_QUERY_FILTER_OPERATOR, text, query.sobject_pos, reason)
        path = resolver.path(query.select[0])
        if category(path.meta.type) != "id":
            reason = "semi join sub-selects are only allowed on id or reference fields"
            raise located(INVALID_QUERY_FILTER_OPERATOR, text, query.select[0].pos, reason)
        saved, self.include_deleted = self.include_deleted, False
        try:
            rows = self.matching(query, sobject, resolver)
        finally:
            self.include_deleted = saved
        return {value for row in rows if (value := path.getter(row)) is not None}

    def order(self, query: Query, rows: list[dict], resolver: Resolver) -> list[dict]:
        keys = []
        for item in query.order_by:
            if not isinstance(item.operand, FieldPath):
                pos = item.operand.pos
                raise located(MALFORMED_QUERY, query.text, pos, f"unexpected token: '{item.operand.name}'")
            path = resolver.path(item.operand)
            nulls_first = item.nulls_first
            if nulls_first is None:
                nulls_first = not (item.descending and self.options.desc_nulls_last)
            keys.append((sort_key(path.getter, path.meta.type), item.descending, nulls_first))
        return sort_rows(rows, keys) if keys else rows

    # ---- the query -------------------------------------------------------------------------------
    def run(self, query: Query) -> SoqlResult:
        sobject = self.object_name(query)
        resolver = Resolver(self.catalog, sobject, query.alias, query.text)
        if query.offset is not None and query.offset > MAX_OFFSET:
            reason = f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            raise located(NUMBER_OUTSIDE_VALID_RANGE, query.text, query.offset_pos, reason)
        select = expand_fields(query, sobject, self.catalog)
        calls = [item for item in select if isinstance(item, SelectCall)]
        if any(c.call.upper_name == "COUNT" and c.call.arg is None for c in calls):
            return self.count(query, select, sobject, resolver)
        for call in calls:
            if call.call.upper_name not in AGGREGATE_FUNCTIONS:
                pos = call.call.pos
                raise located(MALFORMED_QUERY, query.text, pos, f"unexpected token: '{call.call.name}'")
        if calls or query.group_by:
            rows = self.matching(query, sobject, resolver)
            records, columns = run_aggregate(query, select, sobject, resolver, rows)
            if len(records) > MAX_AGGREGATE_ROWS:
                # aggregate answers cannot be paged with queryMore, so they must fit one batch
                reason = (
                    "Aggregate query does not support queryMore(), use LIMIT to restrict the results to a "
                    "single batch"
                )
                raise SoqlError(EXCEEDED_ID_LIMIT, reason)
            return SoqlResult(records, len(records), False, columns, sobject, is_aggregate=True)

        shape, columns, child_columns = self.shape(query, select, sobject, resolver)
        rows = self.order(query, self.matching(query, sobject, resolver), resolver)
        rows = _slice(rows, query.offset, query.limit)
        records = self.renderer.render_many(rows, sobject, shape)
        return SoqlResult(records, len(records), False, columns, sobject, child_columns=child_columns)

    def count(self, query: Query, select: list, sobject: str, resolver: Resolver) -> SoqlResult:
        if len(select) != 1 or query.group_by:
            pos = select[1].pos if len(select) > 1 and hasattr(select[1], "pos") else query.sobject_pos
            raise located(
                MALFORMED_QUERY, query.text, pos, "COUNT() must be the only element in the SELECT list."
            )
        matched = len(self.matching(query, sobject, resolver))
        total = len(range(matched)[query.offset or 0 :][: query.limit])
        return SoqlResult([], total, True, [], sobject)

    def shape(self, query: Query, select: list, sobject: str, resolver: Resolver):
        shape = RecordShape()
        columns: list[str] = []
        child_columns: dict[str, list[str]] = {}
        for item in select:
            if isinstance(item, FieldPath):
                path = resolver.path(item)
                shape.add_path(path, query.text, item.pos)
                columns.append(path.canonical)
            elif isinstance(item, SelectSubquery):
                key, result_for, sub_columns = self.child_plan(item, sobject, query.text)
                shape.add_children(key, result_for)
                child_columns[key] = sub_columns
        return shape, columns, child_columns

    def child_plan(self, item: SelectSubquery, parent: str, text: str):
        sub = item.query
        found = self.catalog.child_relationship(parent, sub.sobject)
        if found is None:
            reason = unknown_relationship(sub.sobject, "FROM part of query call")
            raise located(INVALID_TYPE, text, sub.sobject_pos, reason)
        child, fk = found
        resolver = Resolver(self.catalog, child, sub.alias, text)
        select = expand_fields(sub, child, self.catalog)
        if any(not isinstance(s, FieldPath) for s in select):
            raise located(MALFORMED_QUERY, text, item.pos, "unexpected token: '('")
        shape, columns, _ = self.shape(sub, select, child, resolver)
        index: dict[str, list[dict]] | None = None
        empty = (
            None
            if self.options.empty_child_subquery_is_null
            else {"totalSize": 0, "done": True, "records": []}
        )

        def result_for(parent_id: str) -> dict | None:
            nonlocal index
            if index is None:
                index = {}
                for row in self.order(sub, self.matching(sub, child, resolver), resolver):
                    index.setdefault(row.get(fk), []).append(row)
            rows = _slice(index.get(parent_id, []), sub.offset, sub.limit)
            if not rows:
                return empty
            return {
                "totalSize": len(rows),
                "done": True,
                "records": self.renderer.render_many(rows, child, shape),
            }

        return sub.sobject, result_for, columns


def _slice(rows: list[dict], offset: int | None, limit: int | None) -> list[dict]:
    if offset:
        rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
    return rows


def execute(
    query: Query,
    catalog: SoqlCatalog,
    *,
    include_deleted: bool = False,
    api_version: str = "59.0",
    now: datetime | None = None,
    options: SoqlOptions | None = None,
) -> SoqlResult:
    """Runs a parsed query; raises SoqlError (INVALID_TYPE, INVALID_FIELD, ...) as Salesforce would."""
    today = (now or relative_dates.utc_now()).date()
    run = QueryRun(catalog, include_deleted, api_version, today, options or DEFAULT_OPTIONS)
    # A big answer allocates ~100k acyclic dicts; letting the cyclic GC walk the whole store several
    # times meanwhile doubles the cost, so it is paused for the duration of one query.
    paused = gc.isenabled()
    gc.disable()
    try:
        return run.run(query)
    finally:
        if paused:
            gc.enable()
