"""Build `field_state`: for every linked record and mapped field, both sides' values in canonical form
next to the base they last agreed on. The mapping's transforms (stage map, URL -> domain, datetime ->
date, "17" -> 17, owners by email ...) run column by column over the linked rows; the comparison
itself happens in SQL (merge.py). A value a transform cannot place (an unmapped picklist value, an
owner with no email on the other side) leaves that field out for that record and is reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from crmsync_pipeline.config import (
    Direction,
    FieldMapping,
    ObjectPair,
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    TransformKind,
    canonical_text,
    to_bool,
    to_number,
)

from .merge import create_field_state
from .sql_names import quoted


@dataclass(frozen=True)
class SnapshotTables:
    hubspot: str
    salesforce: str

    @classmethod
    def of(cls, pair: str) -> SnapshotTables:
        return cls(f"hubspot_{pair}_snapshot", f"salesforce_{pair}_snapshot")


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


COLUMNS = (
    "pair",
    "hubspot_id",
    "salesforce_object",
    "salesforce_id",
    "field",
    "direction",
    "preferred_side",
    "hubspot_value",
    "salesforce_value",
    "hubspot_raw",
    "salesforce_raw",
    "pipeline",
)
_SCHEMA = pa.schema(
    [(name, pa.string()) for name in COLUMNS]
    + [
        ("hubspot_modified_at", pa.timestamp("us", tz="UTC")),
        ("salesforce_modified_at", pa.timestamp("us", tz="UTC")),
    ]
)


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
    full form, so the cut never flows back to HubSpot."""
    cut_lengths = cut_lengths or {}
    tables = tables or SnapshotTables.of(pair_name)
    create_field_state(con)
    rules = [f for f in pair.fields if f.direction is not Direction.NONE]
    pipeline_column = pipeline_property(pair)
    hubspot_columns = sorted({r.hubspot for r in rules} | ({pipeline_column} if pipeline_column else set()))
    salesforce_columns = sorted({r.salesforce for r in rules})
    select = ", ".join(
        [f"h.{quoted(c)} AS {quoted('h__' + c)}" for c in hubspot_columns]
        + [f"s.{quoted(c)} AS {quoted('s__' + c)}" for c in salesforce_columns]
    )
    linked = con.sql(
        f"""SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id,
                   h._modified_at AS hubspot_modified_at, s._modified_at AS salesforce_modified_at, {select}
            FROM links l
            JOIN {quoted(tables.hubspot)} h ON h.id = l.hubspot_id
            JOIN {quoted(tables.salesforce)} s ON s.id = l.salesforce_id
            WHERE l.pair = $pair AND NOT coalesce(h._archived, false) AND NOT coalesce(s._deleted, false)""",
        params={"pair": pair_name},
    ).to_arrow_table()
    ids = {
        name: linked.column(name).to_pylist()
        for name in (
            "hubspot_id",
            "salesforce_object",
            "salesforce_id",
            "hubspot_modified_at",
            "salesforce_modified_at",
        )
    }
    pipelines = (
        linked.column("h__" + pipeline_column).to_pylist() if pipeline_column else [None] * linked.num_rows
    )
    contexts = [transform_context(pair, owners, p) for p in pipelines]
    out: dict[str, list] = {name: [] for name in _SCHEMA.names}
    result = FieldStateResult()
    for rule in rules:
        hubspot_raw = linked.column("h__" + rule.hubspot).to_pylist()
        salesforce_raw = linked.column("s__" + rule.salesforce).to_pylist()
        for i, sobject in enumerate(ids["salesforce_object"]):
            if not rule.applies_to(sobject):
                continue
            try:
                hubspot_value = canonical_text(
                    rule.transformer.to_canonical(Side.HUBSPOT, hubspot_raw[i], contexts[i])
                )
            except TransformError as err:
                result.issues.append(
                    ValueIssue("hubspot", ids["hubspot_id"][i], rule.name, hubspot_raw[i], str(err))
                )
                continue
            try:
                salesforce_value = canonical_text(
                    rule.transformer.to_canonical(Side.SALESFORCE, salesforce_raw[i], contexts[i])
                )
            except TransformError as err:
                result.issues.append(
                    ValueIssue("salesforce", ids["salesforce_id"][i], rule.name, salesforce_raw[i], str(err))
                )
                continue
            cut = cut_lengths.get(rule.name)
            if (
                cut
                and hubspot_value
                and salesforce_value
                and len(hubspot_value) > cut == len(salesforce_value)
                and hubspot_value[:cut] == salesforce_value
            ):
                salesforce_value = hubspot_value
            row = (
                pair_name,
                ids["hubspot_id"][i],
                sobject,
                ids["salesforce_id"][i],
                rule.name,
                rule.direction.value,
                rule.direction.preferred_side.value,
                hubspot_value,
                salesforce_value,
                hubspot_raw[i],
                salesforce_raw[i],
                pipelines[i],
                ids["hubspot_modified_at"][i],
                ids["salesforce_modified_at"][i],
            )
            for name, value in zip(_SCHEMA.names, row, strict=True):
                out[name].append(value)
    con.register("field_values", pa.table(out, schema=_SCHEMA))
    con.execute(
        """INSERT INTO field_state
           SELECT v.pair, v.hubspot_id, v.salesforce_object, v.salesforce_id, v.field, v.direction,
                  v.preferred_side, v.hubspot_value, v.salesforce_value, v.hubspot_raw, v.salesforce_raw,
                  v.pipeline, b.value, b.field IS NOT NULL, v.hubspot_modified_at, NULL, v.salesforce_modified_at
           FROM field_values v
           LEFT JOIN base_values b ON b.pair = v.pair AND b.hubspot_id = v.hubspot_id AND b.field = v.field"""
    )
    con.unregister("field_values")
    result.rows = len(out["pair"])
    return result
