"""Build `field_state`: for every linked record and mapped field, both sides' values in canonical form
next to the base they last agreed on. The mapping's transforms (stage map, URL -> domain, datetime ->
date, "17" -> 17, owners by email ...) run column by column over the linked rows; all of it as SQL
(match/canonical.py), the comparison too (plan/merge.py). A value a transform cannot place (an
unmapped picklist value, an owner with no email on the other side) leaves that field out for that
record and is reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb

from crmsync_pipeline.config import (
    Direction,
    FieldMapping,
    ObjectPair,
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    TransformKind,
    to_bool,
    to_number,
)
from crmsync_pipeline.extract.salesforce_edit_times import person_modified_at_sql
from crmsync_pipeline.match.canonical import (
    CANNOT_PLACE,
    SqlTransforms,
    drop_fallback,
    register_fallback,
)
from crmsync_pipeline.plan.merge import create_field_state
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.snapshots import SnapshotTables


@dataclass(frozen=True)
class ValueIssue:
    side: str
    record_id: str
    field: str
    value: str | None
    problem: str


@dataclass
class FieldStateResult:
    rows: int = 0
    issues: list[ValueIssue] = field(default_factory=list)


def transform_context(pair: ObjectPair, owners: OwnerDirectory, pipeline: str | None) -> TransformContext:
    return TransformContext(owners=owners, pipeline=pipeline if pair.deal_stages is not None else None)


def pipeline_property(pair: ObjectPair) -> str | None:
    return pair.deal_stages.pipeline_property if pair.deal_stages is not None else None


def from_canonical_text(mapped: FieldMapping, side: Side, text: str | None, ctx: TransformContext) -> object:
    """A canonical value as stored in base/plan (text) written in `side`'s own form."""
    kind = mapped.transform.kind
    value: object = text
    if text is not None and kind is TransformKind.NUMBER:
        value = to_number(text)
    elif text is not None and kind is TransformKind.BOOL:
        value = to_bool(text)
    elif text is not None and kind is TransformKind.DATE:
        value = date.fromisoformat(text)
    return mapped.transformer.from_canonical(side, value, ctx)


def listed_value(mapped: FieldMapping, source: Side, raw: object, ctx: TransformContext) -> str | None:
    """The value a picklist or stage map lists for the source's raw value, to write as it is on the
    other side (None: not a map, or not listed; the canonical value's counterpart is written then)."""
    listed = getattr(mapped.transformer, "listed_for", None)
    if listed is None:
        return None
    try:
        return listed(source, raw, ctx)
    except TransformError:
        return None


def build_field_state(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    owners: OwnerDirectory,
    tables: SnapshotTables | None = None,
    cut_lengths: Mapping[str, int] | None = None,
) -> FieldStateResult:
    """Fill the temp table `field_state` for every live link of the pair. `cut_lengths` gives, for fields
    marked `truncate`, the Salesforce length their values were cut to: a cut value is in sync with its
    full form, so the cut never flows back to HubSpot.

    Set-based: the transforms run as SQL expressions (match/canonical.py) in one statement per pair, and
    only the values a transform cannot place come back to Python, to be reported with its message."""
    cut_lengths = cut_lengths or {}
    tables = tables or SnapshotTables.of(pair_name)
    create_field_state(con)
    rules = [f for f in pair.fields if f.direction is not Direction.NONE]
    pipeline_column = pipeline_property(pair)
    exprs = SqlTransforms(owners)
    pipeline = f"h.{quoted(pipeline_column)}" if pipeline_column else "NULL::VARCHAR"
    columns = [f"{pipeline} AS pipeline", *_canonical_columns(rules, exprs, pipeline)]
    salesforce_time, time_params = person_modified_at_sql(con, tables.salesforce, "s")
    register_fallback(con, rules, lambda p: transform_context(pair, owners, p))
    try:
        con.execute(
            sql("plan/field_canonical.sql").format(
                hubspot_table=quoted(tables.hubspot),
                salesforce_table=quoted(tables.salesforce),
                salesforce_modified_at=salesforce_time,
                columns=", ".join(columns),
            ),
            {"pair": pair_name, **time_params, **exprs.params},
        )
    finally:
        drop_fallback(con)
    result = FieldStateResult(issues=_issues(con, pair, owners, rules))
    user = time_params.get("integration_user")
    result.rows = _insert_field_state(con, pair_name, rules, cut_lengths, user)
    con.execute("DROP TABLE field_canonical")
    return result


def _canonical_columns(rules: list[FieldMapping], exprs: SqlTransforms, pipeline: str) -> list[str]:
    """Per mapped field i: both raw values and both canonical forms (columns of field_canonical.sql)."""
    columns = []
    for i, rule in enumerate(rules):
        hubspot, salesforce = f"h.{quoted(rule.hubspot)}", f"s.{quoted(rule.salesforce)}"
        columns += [
            f"{hubspot} AS hubspot_raw_{i}",
            f"{salesforce} AS salesforce_raw_{i}",
            f"{_canonical(exprs, i, rule, Side.HUBSPOT, hubspot, pipeline)} AS hubspot_value_{i}",
            f"{_canonical(exprs, i, rule, Side.SALESFORCE, salesforce, pipeline)} AS salesforce_value_{i}",
        ]
    return columns


def _canonical(exprs: SqlTransforms, i: int, rule: FieldMapping, side: Side, raw: str, pipeline: str) -> str:
    """A side's canonical value; the mapping's `default` for that side counts as empty. crmsync writes the
    default only where the other side had nothing (Lead.Company's placeholder), so the placeholder must
    never look like data of its own: the pair stays in sync while the source is empty, and the
    placeholder is never written back to it."""
    canonical = exprs.canonical(i, rule, side, raw, pipeline)
    default = rule.default.for_side(side)
    if default is None:
        return canonical
    return f"CASE WHEN {raw} = {exprs.param(str(default))} THEN NULL ELSE {canonical} END"


def _applies(rule: FieldMapping, i: int) -> tuple[str, dict]:
    """The condition on salesforce_object for the i-th field (`true` when it applies to all), with its
    parameter $objects_<i>."""
    if rule.salesforce_objects is None:
        return "true", {}
    return f"list_contains($objects_{i}, salesforce_object)", {f"objects_{i}": rule.salesforce_objects}


def _issues(
    con: duckdb.DuckDBPyConnection, pair: ObjectPair, owners: OwnerDirectory, rules: list[FieldMapping]
) -> list[ValueIssue]:
    """The values a transform cannot place, field by field (HubSpot's first, as a record stops there),
    each with the transform's own message. One query for all fields: planning a query per field cost
    more than the scans."""
    if not rules:
        return []
    params: dict = {"cannot": CANNOT_PLACE}
    selects = []
    for i, rule in enumerate(rules):
        applies, objects = _applies(rule, i)
        params.update(objects)
        selects.append(sql("plan/field_issues.sql").format(i=i, applies=applies))
    rows = con.execute(
        f"SELECT * FROM ({' UNION ALL '.join(selects)}) ORDER BY field_index, part, position", params
    ).fetchall()
    issues = []
    for i, _, _, side, record_id, raw, pipeline in rows:
        rule = rules[i]
        try:
            rule.transformer.to_canonical(Side(side), raw, transform_context(pair, owners, pipeline))
            problem = f"{side} value {raw!r} cannot be placed"  # SQL and Python disagree: report anyway
        except TransformError as err:
            problem = str(err)
        issues.append(ValueIssue(side, record_id, rule.name, raw, problem))
    return issues


def _insert_field_state(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    rules: list[FieldMapping],
    cut_lengths: Mapping[str, int],
    integration_user: str | None,
) -> int:
    """Unpivot the canonical values into `field_state` rows, next to their base and each Salesforce
    field's own change time (unless crmsync's `integration_user` made that change)."""
    params: dict = {"pair": pair_name, "cannot": CANNOT_PLACE}
    values, selects = sql("plan/field_values.sql"), []
    for i, rule in enumerate(rules):
        applies, objects = _applies(rule, i)
        params.update(objects)
        params.update({f"name_{i}": rule.name, f"direction_{i}": rule.direction.value})
        params[f"preferred_{i}"] = rule.direction.preferred_side.value
        params[f"salesforce_field_{i}"] = rule.salesforce
        h, s = f"hubspot_value_{i}", f"salesforce_value_{i}"
        salesforce_value = s
        if cut_lengths.get(rule.name):
            params[f"cut_{i}"] = cut_lengths[rule.name]
            salesforce_value = f"""CASE WHEN {h} <> '' AND {s} <> '' AND length({h}) > $cut_{i}
                AND length({s}) = $cut_{i} AND substr({h}, 1, $cut_{i}) = {s} THEN {h} ELSE {s} END"""
        selects.append(values.format(i=i, applies=applies, salesforce_value=salesforce_value))
    if not selects:
        return 0
    inserted = con.execute(  # field_state was created empty for this pair: the INSERT's count is its rows
        sql("plan/field_state_insert.sql").format(values=" UNION ALL ".join(selects)),
        {**params, "integration_user": integration_user},
    ).fetchall()
    return int(inserted[0][0])
