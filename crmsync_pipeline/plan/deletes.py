"""What the plan does with a link whose record was deleted on one side, by the pair's `deletes:` policy:
- report (default): an `orphan` review item, once; nothing is written;
- propagate: a plan row archiving the HubSpot record (action 'archive') or deleting the Salesforce one
  (action 'delete'), its old_value the record's last mirrored values (JSON), for undo or a person;
- restore: create rows re-creating the deleted record from the live side's values (reason
  'deletes:restore:...'); the link moves to the new record when it is written;
- a record gone for good (GDPR delete, hard delete) on a pair that erases: an 'erase' row for the live
  side (the person is erased there and from the state, see crmsync_pipeline/erasure/).
A merge loser is not a delete: it is only ever reported (merges are re-pointed before this runs). A
link with both sides gone is closed quietly. Every delete, restore and erase row has a reason starting
'deletes:', which is what the threshold check counts against `max_delete_share`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import DeleteAction, Mapping, ObjectPair, OwnerDirectory, Side
from crmsync_pipeline.plan.create_lookups import (
    hubspot_association_rows,
    hubspot_ids_by_salesforce_id,
    linked_associations,
    salesforce_lookup_rows,
)
from crmsync_pipeline.plan.creates import create_rows
from crmsync_pipeline.plan.orphans import ORPHAN_DECISIONS, orphan_item_id, orphan_rows
from crmsync_pipeline.plan.rows import PlanRow, insert_plan_rows
from crmsync_pipeline.state.closed_links import close_link
from crmsync_pipeline.state.names import column_exists, quoted, table_columns, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

DELETE_REASON = "deletes:"


@dataclass(frozen=True)
class Orphan:
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    deleted_in: str  # hubspot | salesforce | both
    merged_into: str | None
    vanished: bool

    @property
    def live_side(self) -> Side:
        return Side.SALESFORCE if self.deleted_in == "hubspot" else Side.HUBSPOT


def plan_deletes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    mapping: Mapping,
    pair_name: str,
    owners: OwnerDirectory,
    now: datetime,
) -> Counter[str]:
    """Plan (or report) what each orphaned link's policy says; returns counts by outcome."""
    tables = SnapshotTables.of(pair_name)
    done: Counter[str] = Counter()
    if not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
        return done
    merged = _hubspot_merged_ids(con, tables.hubspot)
    reports: list[Orphan] = []
    plan: list[PlanRow] = []
    for orphan in _orphans(con, pair_name):
        counted, rows = _plan_orphan(con, run_id, mapping, pair_name, owners, orphan, merged, now)
        plan += rows
        if counted is not None:
            done[counted] += 1
        if counted in (None, "not restorable"):
            reports.append(orphan)
    insert_plan_rows(con, plan)
    done["reported"] += _report(con, pair_name, reports, run_id, now)
    return done


def _orphans(con: duckdb.DuckDBPyConnection, pair_name: str) -> list[Orphan]:
    return [Orphan(*row) for row in orphan_rows(con, pair_name)]


def _plan_orphan(  # type: ignore[no-untyped-def]
    con, run_id: str, mapping: Mapping, pair_name: str, owners, orphan: Orphan, merged: set[str], now
) -> tuple[str | None, list[PlanRow]]:
    """What one orphaned link's policy does: what it counts as (None: it is only reported), and its
    plan rows. A link with both sides gone is closed here."""
    pair = mapping.pair(pair_name)
    if orphan.deleted_in == "both":
        _close_link(con, pair_name, orphan, "both_gone", run_id, now)
        return "both sides gone", []
    if orphan.merged_into or orphan.hubspot_id in merged:
        return None, []  # a merge, not a delete: never propagated
    if orphan.vanished and pair.erases_on_gdpr_delete:
        return "to erase", [_erase_row(run_id, pair_name, orphan, now)]
    action = _decided(con, pair_name, orphan) or pair.deletes.action(orphan.deleted_in)
    if action is DeleteAction.PROPAGATE:
        return "to delete", [_propagate_row(con, run_id, pair_name, pair, orphan, now)]
    if action is DeleteAction.RESTORE:
        restored = _restore_rows(con, run_id, mapping, pair_name, owners, orphan, now)
        return ("to restore", restored) if restored else ("not restorable", [])
    return None, []


def _decided(con: duckdb.DuckDBPyConnection, pair_name: str, orphan: Orphan) -> DeleteAction | None:
    """What a person decided for this orphan in review (`crmsync review resolve ITEM --propagate` or
    `--create`), which overrides a `report` policy for this one link; None when undecided or skipped."""
    found = con.execute(
        "SELECT resolution FROM review_items WHERE item_id = ? AND settled_at IS NOT NULL",
        [orphan_item_id(pair_name, orphan.hubspot_id, orphan.salesforce_id)],
    ).fetchall()
    return ORPHAN_DECISIONS.get(found[0][0]) if found else None


def _report(con, pair_name: str, orphans: list[Orphan], run_id: str, now: datetime) -> int:  # type: ignore[no-untyped-def]
    return open_review_items(
        con,
        [
            ReviewItem(
                orphan_item_id(pair_name, o.hubspot_id, o.salesforce_id),
                "orphan",
                pair_name,
                o.hubspot_id,
                [o.salesforce_id],
                {"deleted_in": o.deleted_in, "merged_into": o.merged_into, "gone_for_good": o.vanished},
            )
            for o in orphans
        ],
        run_id,
        now,
    )


def _row(  # type: ignore[no-untyped-def]
    run_id, pair_name, target, action, ref, orphan, target_field, old, reason, now
) -> PlanRow:
    """A record-level row (field `@record`): archive, delete or erase one record of `target`."""
    return PlanRow(
        run_id=run_id,
        pair=pair_name,
        target=target,
        action=action,
        record_ref=ref,
        hubspot_id=orphan.hubspot_id,
        salesforce_object=orphan.salesforce_object,
        salesforce_id=orphan.salesforce_id,
        field="@record",
        target_field=target_field,
        old_value=old,
        reason=reason,
        planned_at=now,
    )


def _propagate_row(
    con, run_id: str, pair_name: str, pair: ObjectPair, orphan: Orphan, now: datetime
) -> PlanRow:  # type: ignore[no-untyped-def]
    target = orphan.live_side
    action = "archive" if target is Side.HUBSPOT else "delete"
    ref = orphan.hubspot_id if target is Side.HUBSPOT else orphan.salesforce_id
    last = json.dumps(last_mirrored_values(con, pair_name, pair, target, ref), default=str, sort_keys=True)
    reason = f"{DELETE_REASON}propagate:deleted_in_{orphan.deleted_in}"
    return _row(run_id, pair_name, target.value, action, ref, orphan, f"@{action}", last, reason, now)


def _erase_row(run_id: str, pair_name: str, orphan: Orphan, now: datetime) -> PlanRow:
    target = orphan.live_side
    ref = orphan.hubspot_id if target is Side.HUBSPOT else orphan.salesforce_id
    reason = f"{DELETE_REASON}erase:gone_for_good_in_{orphan.deleted_in}"
    return _row(run_id, pair_name, target.value, "erase", ref, orphan, "@erase", None, reason, now)


def _restore_rows(con, run_id, mapping, pair_name, owners, orphan: Orphan, now) -> list[PlanRow]:  # type: ignore[no-untyped-def]
    """Create rows for the deleted side, from the live record (the upsert key is the live record's id,
    so a repeated restore finds its record)."""
    pair = mapping.pair(pair_name)
    source = orphan.live_side
    table = SnapshotTables.of(pair_name).on(source)
    source_id = orphan.salesforce_id if source is Side.SALESFORCE else orphan.hubspot_id
    found = con.sql(f"SELECT * FROM {quoted(table)} WHERE id = $id", params={"id": source_id})
    records = found.to_arrow_table().to_pylist()
    if not records:
        return []
    record = records[0]
    if source is Side.HUBSPOT:
        rows = create_rows(run_id, pair_name, pair, owners, record, source, orphan.salesforce_object, now)
        lookups = {
            a.to: linked_associations(con, mapping, pair, a.to)
            for a in pair.associations
            if a.salesforce_field
        }
        rows += salesforce_lookup_rows(
            run_id, pair_name, pair, orphan.hubspot_id, orphan.salesforce_object, lookups, now
        )
    else:
        rows = create_rows(run_id, pair_name, pair, owners, record, source, record["_sobject"], now)
        linked_back = {
            a.to: hubspot_ids_by_salesforce_id(con, a.to) for a in pair.associations if a.salesforce_field
        }
        rows += hubspot_association_rows(run_id, pair_name, mapping, pair, record, linked_back, now)
    reason = f"{DELETE_REASON}restore:deleted_in_{orphan.deleted_in}"
    # both ids of the old link ride along: the writes close it before the create links the new record
    return [
        replace(row, hubspot_id=orphan.hubspot_id, salesforce_id=orphan.salesforce_id, reason=reason)
        for row in rows
    ]


def last_mirrored_values(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, side: Side, record_id: str
) -> dict[str, Any]:
    """The mapped fields of one record as the last extract saw them, in that side's own names."""
    table = SnapshotTables.of(pair_name).on(side)
    existing = table_columns(con, table)
    names = sorted({f.side_field(side) for f in pair.fields if f.side_field(side) in existing})
    if not names:
        return {}
    columns = ", ".join(quoted(n) for n in names)
    rows = con.execute(f"SELECT {columns} FROM {quoted(table)} WHERE id = ?", [record_id]).fetchall()
    return {n: v for n, v in zip(names, rows[0], strict=True) if v is not None} if rows else {}


def _hubspot_merged_ids(con: duckdb.DuckDBPyConnection, hubspot_table: str) -> set[str]:
    """HubSpot ids a surviving record lists in hs_merged_object_ids (when the snapshot carries it)."""
    if not column_exists(con, hubspot_table, "hs_merged_object_ids"):
        return set()
    rows = con.execute(
        f"SELECT hs_merged_object_ids FROM {quoted(hubspot_table)} WHERE hs_merged_object_ids IS NOT NULL"
    ).fetchall()
    return {i.strip() for (value,) in rows for i in str(value).split(";") if i.strip()}


def _close_link(con, pair_name: str, orphan: Orphan, action: str, run_id: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    close_link(con, pair_name, orphan.hubspot_id, orphan.deleted_in, action, run_id, now)
