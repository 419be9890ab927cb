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
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector, soql_in
from crmsync_pipeline.extract.salesforce import parse_salesforce_time, salesforce_text
from crmsync_pipeline.extract.salesforce_edit_times import SYSTEM_FIELDS, remember_edit_times
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.names import column_exists, quoted, table_exists

MAX_PLAN_AGE_ENV = "CRMSYNC_MAX_PLAN_AGE_SECONDS"
STALE = "STALE_PLAN"
SOQL_IDS = 200  # ids per `Id IN (...)` query: keeps the query URL well under Salesforce's limit


def max_plan_age() -> timedelta:
    """How long a plan row may wait before its source is read again (env CRMSYNC_MAX_PLAN_AGE_SECONDS)."""
    return timedelta(seconds=float(os.environ.get(MAX_PLAN_AGE_ENV) or 60))


class SourceReader(Protocol):
    """Reads the current values of source records, as text in the form their snapshot holds."""

    crm: str

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]: ...


class HubSpotSource:
    crm = "hubspot"

    def __init__(self, connector: HubSpotConnector):
        self.connector = connector

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        found = self.connector.batch_read(object_name, ids, fields)
        return {str(r["id"]): r.get("properties") or {} for r in found}


class SalesforceSource:
    crm = "salesforce"

    def __init__(self, connector: SalesforceConnector):
        self.connector = connector

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        types = self.connector.field_types(object_name)
        # a field the org lacks (before `crmsync setup`) would fail the whole query; it reads as empty
        known = [f for f in fields if f in types or ("." in f and f.split(".")[0] + "Id" in types)]
        select = ", ".join(quoted(f)[1:-1] for f in ["Id", *dict.fromkeys(f for f in known if f != "Id")])
        quoted(object_name)
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), SOQL_IDS):
            soql = f"SELECT {select} FROM {object_name} WHERE " + soql_in("Id", ids[start : start + SOQL_IDS])
            for page in self.connector.query_pages(soql):
                for record in page:
                    out[record["Id"]] = {f: salesforce_text(_dig(record, f)) for f in fields}
        return out


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
    checked = [r for r in rows if r["field"] in source_field]
    if not checked:
        return set()
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in checked:
        obj = pair.hubspot if source.crm == "hubspot" else r["salesforce_object"]
        wanted[obj][r["source_id"]].add(source_field[r["field"]])
    moved = _moved(connect, source, f"{source.crm}_{pair_name}_snapshot", wanted)
    dropped = _rows_to_drop(checked, rows, moved, source_field)
    if dropped:
        _mark(connect, run_id, pair_name, target, dropped, datetime.now(UTC), f"the source ({source.crm})")
    return {(r["record_ref"], r["target_field"]) for r in dropped}


def drop_rows_whose_target_moved(
    connect: Connect,
    target_records: SourceReader,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    records: Sequence[tuple[str, str, Sequence[str]]],
) -> set[tuple[str, str]]:
    """Before an update batch is sent, read the target records again (one batch read) and drop the
    fields someone edited there since the snapshot the plan came from: neither CRM offers a conditional
    batch write, so without this an edit made while the run planned would be overwritten and lost.
    Next cycle the three-way merge sees both changes and decides by the field's rule.
    `records`: (record_ref = target id, object name, target fields); returns the dropped (ref, field)."""
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for ref, object_name, fields in records:
        wanted[object_name][ref].update(f for f in fields if ":" not in f)  # association keys are not fields
    if not any(wanted.values()):
        return set()
    target = target_records.crm
    # Salesforce: who last changed each record, and when, is read too: a person's edit since the
    # snapshot keeps its own time after crmsync's write moves the record's (see salesforce_edit_times)
    also = SYSTEM_FIELDS if target == "salesforce" else ()
    seen: list[tuple[str, str | None, datetime | None]] = []
    moved = _moved(connect, target_records, f"{target}_{pair_name}_snapshot", wanted, also, seen)
    if seen:
        with connect() as con:
            remember_edit_times(con, seen)
    if not moved:
        return set()
    dropped = [{"record_ref": ref, "action": "update", "target_field": name} for ref, name in sorted(moved)]
    _mark(connect, run_id, pair_name, target, dropped, datetime.now(UTC), f"the target ({target})")
    return moved


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
    connect: Connect, run_id: str, pair: str, target: str, refs: Sequence[str], planned_before: datetime
) -> list[dict[str, Any]]:
    with connect() as con:
        cursor = con.execute(
            """SELECT record_ref, action, field, target_field, salesforce_object, new_value,
                      CASE WHEN action = 'create' THEN record_ref
                           WHEN target = 'salesforce' THEN hubspot_id ELSE salesforce_id END AS source_id
               FROM plan_rows
               WHERE run_id = $run_id AND pair = $pair AND target = $target AND preflight_error IS NULL
                 AND planned_at <= $before AND record_ref IN (SELECT unnest($refs::VARCHAR[]))""",
            {"run_id": run_id, "pair": pair, "target": target, "before": planned_before, "refs": list(refs)},
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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
    checked: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    moved: set[tuple[str, str]],
    source_field: dict[str, str],
) -> list[dict[str, Any]]:
    hit = [r for r in checked if (r["source_id"], source_field[r["field"]]) in moved]
    held_creates = {r["record_ref"] for r in hit if r["action"] == "create"}
    updates = [r for r in hit if r["action"] != "create"]
    return [r for r in rows if r["record_ref"] in held_creates] + updates


def _mark(
    connect: Connect,
    run_id: str,
    pair: str,
    target: str,
    dropped: list[dict[str, Any]],
    now: datetime,
    side: str,
) -> None:
    by_record: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in dropped:
        by_record[(r["record_ref"], r["action"])].append(r["target_field"])
    with connect() as con:
        con.executemany(
            "UPDATE plan_rows SET preflight_error = ? WHERE run_id = ? AND pair = ? AND target = ? "
            "AND record_ref = ? AND target_field = ? AND preflight_error IS NULL",
            [(STALE, run_id, pair, target, r["record_ref"], r["target_field"]) for r in dropped],
        )
        con.executemany(
            "INSERT INTO write_results VALUES (?, ?, ?, ?, ?, false, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    pair,
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


def _dig(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value
