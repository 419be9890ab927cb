"""Plans go stale: a plan row that waited longer than `max_age` (for approval, or behind a long run) is
checked just before its write. The source record is read again (one batch read per write batch) and
compared with the snapshot the plan was made from; a row whose source value moved is not sent. It is
marked `STALE_PLAN` in plan_rows (so nothing of it reaches the audit log or base) and reported in
write_results; the next cycle plans it again from the new value. A create whose source moved is held
whole, so a record is never created with half of its fields.

The target of an update is read again before every batch whatever the plan's age: a user's edit made
there while the run planned would otherwise be overwritten without a trace."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.extract.salesforce import parse_salesforce_time
from crmsync_pipeline.extract.salesforce_edit_times import SYSTEM_FIELDS, remember_edit_times
from crmsync_pipeline.plan.rows import PlanRow
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.write.job import PendingRecord
from crmsync_pipeline.write.source_readers import SourceReader

MAX_PLAN_AGE_ENV = "CRMSYNC_MAX_PLAN_AGE_SECONDS"
STALE = "STALE_PLAN"


def max_plan_age() -> timedelta:
    """How long a plan row may wait before its source is read again (env CRMSYNC_MAX_PLAN_AGE_SECONDS)."""
    return timedelta(seconds=float(os.environ.get(MAX_PLAN_AGE_ENV) or 60))


@dataclass(frozen=True)
class HeldField:
    """One field of one record held back from its write (marked STALE_PLAN in plan_rows)."""

    record_ref: str
    action: str
    target_field: str

    @classmethod
    def of(cls, row: PlanRow) -> HeldField:
        return cls(row.record_ref, row.action, row.target_field)


def drop_stale_rows(
    connect: Connect,
    source: SourceReader,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    target: str,
    refs: Sequence[str],
    max_age: timedelta,
) -> set[tuple[str, str]]:
    """Check the plan rows of these records planned more than `max_age` ago; returns the
    (record_ref, target_field) rows dropped because their source moved."""
    now = datetime.now(UTC)
    rows = _aged_rows(connect, run_id, pair_name, target, refs, now - max_age)
    source_field = {f.name: f.hubspot if source.crm == "hubspot" else f.salesforce for f in pair.fields}
    checked = [r for r in rows if r.field in source_field]
    if not checked:
        return set()
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in checked:
        obj = pair.hubspot if source.crm == "hubspot" else r.salesforce_object
        wanted[obj][_source_id(r)].add(source_field[r.field])
    moved = _moved(connect, source, SnapshotTables.of(pair_name).on(source.crm), wanted)
    dropped = _rows_to_drop(checked, rows, moved, source_field)
    if dropped:
        _mark(connect, run_id, pair_name, target, dropped, datetime.now(UTC), f"the source ({source.crm})")
    return {(r.record_ref, r.target_field) for r in dropped}


def drop_rows_whose_target_moved(
    connect: Connect,
    target_records: SourceReader,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    records: Sequence[PendingRecord],
) -> set[tuple[str, str]]:
    """Before an update batch is sent, read the target records again (one batch read) and drop the
    fields someone edited there since the snapshot the plan came from: neither CRM offers a conditional
    batch write, so without this an edit made while the run planned would be overwritten and lost.
    Next cycle the three-way merge sees both changes and decides by the field's rule; a field that had
    no base (a first link) keeps the plan's value as base, so the edit counts as the newer change.
    `records`: the batch's updates (ref = target id); returns the dropped (ref, target field)."""
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:  # association keys (with ':') are not fields
        wanted[record.object_name][record.ref].update(f for f in record.values if ":" not in f)
    if not any(wanted.values()):
        return set()
    target = target_records.crm
    # Salesforce: who last changed each record, and when, is read too: a person's edit since the
    # snapshot keeps its own time after crmsync's write moves the record's (see salesforce_edit_times)
    also = SYSTEM_FIELDS if target == "salesforce" else ()
    seen: list[tuple[str, str | None, datetime | None]] = []
    moved = _moved(connect, target_records, SnapshotTables.of(pair_name).on(target), wanted, also, seen)
    if seen:
        with connect() as con:
            remember_edit_times(con, seen)
    if not moved:
        return set()
    dropped = [HeldField(ref, "update", name) for ref, name in sorted(moved)]
    now = datetime.now(UTC)
    _mark(connect, run_id, pair_name, target, dropped, now, f"the target ({target})")
    _keep_first_link_base(connect, run_id, pair_name, target, dropped, now)
    return moved


def _keep_first_link_base(
    connect: Connect, run_id: str, pair_name: str, target: str, dropped: list[HeldField], now: datetime
) -> None:
    """A dropped write of a field with no base yet (a first link, a fill) still settled what the link
    starts from: keep that as base, so the edit made on the target after the plan is judged next cycle
    as a change since the link and wins, rather than losing to a first-link rule again."""
    params = {
        "run_id": run_id,
        "pair": pair_name,
        "target": target,
        "refs": [r.record_ref for r in dropped],
        "fields": [r.target_field for r in dropped],
        "now": now,
    }
    with connect() as con:
        con.execute(sql("write/first_link_base_kept.sql"), params)


def _moved(
    connect: Connect,
    reader: SourceReader,
    table: str,
    wanted: dict[str, dict[str, set[str]]],
    also: Sequence[str] = (),
    seen: list[tuple[str, str | None, datetime | None]] | None = None,
) -> set[tuple[str, str]]:
    """The (record id, field) whose value in the CRM now differs from the snapshot `table`. With `also`
    (Salesforce's SYSTEM_FIELDS), `seen` receives each record's (id, last modifier, time)."""
    moved: set[tuple[str, str]] = set()
    for obj, by_id in wanted.items():
        fields = sorted({f for fs in by_id.values() for f in fs})
        if not fields:
            continue
        then = _snapshot_values(connect, table, list(by_id), fields)
        fresh = reader.read(obj, list(by_id), fields + [f for f in also if f not in fields])
        if also and seen is not None:
            seen += [
                (
                    record_id,
                    values.get("LastModifiedById"),
                    parse_salesforce_time(values.get("LastModifiedDate")),
                )
                for record_id, values in fresh.items()
            ]
        for record_id, names in by_id.items():
            for name in names:
                before = (then.get(record_id) or {}).get(name)
                now_value = (fresh.get(record_id) or {}).get(name) if record_id in fresh else _GONE
                if _text(before) != _text(now_value):
                    moved.add((record_id, name))
    return moved


_GONE = object()  # the source record is no longer there (deleted or merged)


def _text(value: Any) -> Any:
    return value if value is _GONE else ("" if value is None else str(value))


def _aged_rows(
    connect: Connect, run_id: str, pair_name: str, target: str, refs: Sequence[str], planned_before: datetime
) -> list[PlanRow]:
    params = {"run_id": run_id, "pair": pair_name, "target": target, "before": planned_before}
    with connect() as con:
        rows = con.execute(sql("write/aged_plan_rows.sql"), {**params, "refs": list(refs)}).fetchall()
    return [PlanRow.from_values(row) for row in rows]


def _source_id(row: PlanRow) -> str | None:
    """The id of the record the row's value came from: a create's ref is its source id."""
    if row.action == "create":
        return row.record_ref
    return row.hubspot_id if row.target == "salesforce" else row.salesforce_id


def _snapshot_values(
    connect: Connect, table: str, ids: list[str], fields: list[str]
) -> dict[str, dict[str, Any]]:
    with connect() as con:
        if not table_exists(con, table):
            return {}
        present = [f for f in fields if column_exists(con, table, f)]
        select = ", ".join(["id", *(quoted(f) for f in present)])
        rows = con.execute(
            f"SELECT {select} FROM {quoted(table)} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
    return {row[0]: dict(zip(present, row[1:], strict=True)) for row in rows}


def _rows_to_drop(
    checked: list[PlanRow],
    rows: list[PlanRow],
    moved: set[tuple[str, str]],
    source_field: dict[str, str],
) -> list[HeldField]:
    """The updates whose source value moved, and every row of a create with any moved value (a record
    is never created with half of its fields)."""
    hit = [r for r in checked if (_source_id(r), source_field[r.field]) in moved]
    held_creates = {r.record_ref for r in hit if r.action == "create"}
    updates = [r for r in hit if r.action != "create"]
    return [HeldField.of(r) for r in rows if r.record_ref in held_creates] + [
        HeldField.of(r) for r in updates
    ]


def _mark(
    connect: Connect,
    run_id: str,
    pair_name: str,
    target: str,
    dropped: list[HeldField],
    now: datetime,
    side: str,
) -> None:
    """The held fields become STALE_PLAN rows of plan_rows, and one failed result per record says so."""
    by_record: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in dropped:
        by_record[(r.record_ref, r.action)].append(r.target_field)
    with connect() as con:
        con.executemany(
            "UPDATE plan_rows SET preflight_error = ? WHERE run_id = ? AND pair = ? AND target = ? "
            "AND record_ref = ? AND target_field = ? AND preflight_error IS NULL",
            [(STALE, run_id, pair_name, target, r.record_ref, r.target_field) for r in dropped],
        )
        con.executemany(
            "INSERT INTO write_results VALUES (?, ?, ?, ?, ?, false, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    pair_name,
                    target,
                    ref,
                    action,
                    STALE,
                    f"{side} changed since the plan; planned again next cycle: " + ", ".join(sorted(fields)),
                    sorted(fields),
                    now,
                )
                for (ref, action), fields in by_record.items()
            ],
        )
