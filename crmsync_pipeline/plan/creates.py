"""Plan the records to create on the other side: unlinked, live, admitted by their side's inclusion
rule, not waiting in review, not a duplicate Lead, not a converted Lead, and findable by a key (a keyless
record waits in review, match/keyless.py). Each becomes plan rows with
action 'create' (one per field) keyed by the source record's id; the writers create them as upserts on
the cross-reference field, so a create repeated after a crash finds its record instead of making a
second one. Lookups to other pairs (Contact.AccountId, Task.WhoId ...) are filled from their links."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import (
    DeleteAction,
    Direction,
    FieldMapping,
    Mapping,
    ObjectPair,
    OwnerDirectory,
    Side,
    TransformError,
    canonical_text,
    written_as_typed,
)
from crmsync_pipeline.match.keyless import hold_keyless
from crmsync_pipeline.plan.create_lookups import (
    hubspot_association_rows,
    hubspot_ids_by_salesforce_id,
    linked_associations,
    salesforce_lookup_rows,
)
from crmsync_pipeline.plan.field_state import listed_value, pipeline_property, transform_context
from crmsync_pipeline.plan.rows import PlanRow, insert_plan_rows
from crmsync_pipeline.plan.updates import as_text
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


def plan_creates(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    mapping: Mapping,
    pair_name: str,
    owners: OwnerDirectory,
    included: dict[Side, set[str]],
    now: datetime,
) -> Counter[str]:
    """Insert create rows into plan_rows; returns records planned per target."""
    pair = mapping.pair(pair_name)
    planned: Counter[str] = Counter()
    rows: list[PlanRow] = []
    if pair.create.in_salesforce:
        lookups = {
            a.to: linked_associations(con, mapping, pair, a.to)
            for a in pair.associations
            if a.salesforce_field
        }
        accounts = [a.to for a in pair.associations if a.salesforce_field == "AccountId"]
        for record in _creatable(con, run_id, pair_name, Side.HUBSPOT, included[Side.HUBSPOT], pair, now):
            company_linked = any(lookups[to].get(record["id"]) for to in accounts)
            sobject = pair.salesforce_object_to_create(company_linked)
            rows += create_rows(run_id, pair_name, pair, owners, record, Side.HUBSPOT, sobject, now)
            rows += salesforce_lookup_rows(run_id, pair_name, pair, record["id"], sobject, lookups, now)
            planned["salesforce"] += 1
    if pair.create.in_hubspot:
        linked_back = {
            a.to: hubspot_ids_by_salesforce_id(con, a.to) for a in pair.associations if a.salesforce_field
        }
        for record in _creatable(
            con, run_id, pair_name, Side.SALESFORCE, included[Side.SALESFORCE], pair, now
        ):
            rows += create_rows(
                run_id, pair_name, pair, owners, record, Side.SALESFORCE, record["_sobject"], now
            )
            rows += hubspot_association_rows(run_id, pair_name, mapping, pair, record, linked_back, now)
            planned["hubspot"] += 1
    insert_plan_rows(con, rows)
    return planned


def _creatable(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    side: Side,
    included: set[str],
    pair: ObjectPair,
    now: datetime,
) -> list[dict[str, Any]]:
    """The unlinked records to create on the other side; a keyless one (no key could ever find its twin)
    waits in review instead, until a person links, creates or skips it."""
    records = _unlinked(con, pair_name, side, included, pair)
    held = hold_keyless(con, pair_name, pair, side, records, run_id, now)
    return [r for r in records if str(r["id"]) not in held]


def _unlinked(
    con: duckdb.DuckDBPyConnection, pair_name: str, side: Side, included: set[str], pair: ObjectPair
) -> list[dict[str, Any]]:
    table = SnapshotTables.of(pair_name).on(side)
    if not table_exists(con, table):
        return []
    if side is Side.HUBSPOT:
        query = f"""SELECT * FROM {quoted(table)} WHERE NOT coalesce(_archived, false)
            AND id NOT IN (SELECT hubspot_id FROM links WHERE pair = $pair)
            AND id NOT IN (SELECT hubspot_id FROM review_items
                           WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip') AND hubspot_id IS NOT NULL)"""
    else:
        converted = (
            "AND coalesce(\"IsConverted\", 'false') <> 'true'"
            if column_exists(con, table, "IsConverted")
            else ""
        )
        query = f"""SELECT * FROM {quoted(table)} WHERE NOT coalesce(_deleted, false) {converted}
            AND id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
            AND id NOT IN (SELECT unnest(salesforce_ids) FROM review_items
                           WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip'))"""
    records = con.sql(query, params={"pair": pair_name}).to_arrow_table().to_pylist()
    gone = _partner_gone(con, pair_name, side, records, pair)
    return [r for r in records if r["id"] in included and r["id"] not in gone]


def _partner_gone(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    side: Side,
    records: list[dict[str, Any]],
    pair: ObjectPair,
) -> set[str]:
    """Unlinked records whose cross-reference id names a record the other side no longer holds (deleted
    or merged away) while the deletes policy for that side is not `restore`: they were linked once (the
    link went with a lost state file) and creating them again would bring back what a user deleted
    (found by the chaos soak after `crmsync rebuild-state`). They stay for the orphan report."""
    other = Side.SALESFORCE if side is Side.HUBSPOT else Side.HUBSPOT
    if pair.deletes.action(other.value) is DeleteAction.RESTORE:
        return set()
    xref = pair.xref.hubspot_property if side is Side.HUBSPOT else pair.xref.salesforce_field
    pointing = {str(r["id"]): str(r[xref]) for r in records if r.get(xref)}
    if not pointing:
        return set()
    table = SnapshotTables.of(pair_name).on(other)
    live_filter = (
        "NOT coalesce(_archived, false)" if other is Side.HUBSPOT else "NOT coalesce(_deleted, false)"
    )
    live = (
        {
            str(i)
            for (i,) in con.execute(
                f"SELECT id FROM {quoted(table)} WHERE {live_filter} AND id IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(set(pointing.values()))],
            ).fetchall()
        }
        if table_exists(con, table)
        else set()
    )
    return {rid for rid, target in pointing.items() if target not in live and not _same_id(target, live)}


def _same_id(target: str, live: set[str]) -> bool:
    """Salesforce ids compare on their first 15 characters (18-character ids add a checksum)."""
    return len(target) >= 15 and any(i[:15] == target[:15] for i in live)


def create_rows(
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    owners: OwnerDirectory,
    record: dict[str, Any],
    source: Side,
    sobject: str,
    now: datetime,
) -> list[PlanRow]:
    """The create rows of one `source` record: one per mapped field that has a value for the other side
    (or a default there), and a deal's pipeline when the record is created in HubSpot."""
    target = Side.SALESFORCE if source is Side.HUBSPOT else Side.HUBSPOT
    pipeline = record.get(pipeline_property(pair) or "") if source is Side.HUBSPOT else None
    if pair.deal_stages is not None and pipeline is None:
        pipeline = pair.deal_stages.default_pipeline
    ctx = transform_context(pair, owners, pipeline)

    def row(field: str, target_field: str, value: str | None, canonical: str | None, reason: str) -> PlanRow:
        return PlanRow(
            run_id=run_id,
            pair=pair_name,
            target=target.value,
            action="create",
            record_ref=record["id"],
            hubspot_id=record["id"] if source is Side.HUBSPOT else None,
            salesforce_object=sobject,
            salesforce_id=record["id"] if source is Side.SALESFORCE else None,
            field=field,
            target_field=target_field,
            new_value=value,
            canonical_value=canonical,
            reason=reason,
            planned_at=now,
        )

    rows = []
    for mapped in pair.fields_for(sobject):
        if mapped.direction is Direction.NONE:
            continue
        value, canonical = _converted(mapped, record, source, target, ctx)
        if value in (None, "") and mapped.default.for_side(target) is not None:
            value = mapped.default.for_side(target)
        if value not in (None, ""):
            rows.append(row(mapped.name, mapped.side_field(target), as_text(value), canonical, "create"))
    if target is Side.HUBSPOT and pair.deal_stages is not None:
        prop = pair.deal_stages.pipeline_property
        rows.append(row("@pipeline", prop, pipeline, None, "create:default_pipeline"))
    return rows


def _converted(
    mapped: FieldMapping, record: dict[str, Any], source: Side, target: Side, ctx: Any
) -> tuple[object, str | None]:
    try:
        raw = record.get(mapped.side_field(source))
        canonical = mapped.transformer.to_canonical(source, raw, ctx)
        listed = listed_value(mapped, source, raw, ctx)  # a value map's own entry for the raw value
        value = written_as_typed(mapped.transformer, raw) or (
            listed if listed is not None else mapped.transformer.from_canonical(target, canonical, ctx)
        )
        return value, canonical_text(canonical)
    except TransformError:
        return None, None  # reported by the field-state issues of the next run, once linked
