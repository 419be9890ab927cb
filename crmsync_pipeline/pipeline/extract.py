"""Extract: each CRM object into its snapshot table, page by page through Arrow, never holding a state
connection during an API call. The first load lists everything; later loads read only what changed
since the cursor (HubSpot: search on last-modified time; Salesforce: queryAll on SystemModstamp, so
deletes and merges are seen). The cursor is the time extraction started, minus an overlap, so edits
made during a long extract are picked up by the next cycle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows

from .snapshots import ensure_snapshot, upsert_rows
from .sql_names import quoted

# Each incremental read starts this long before the previous extract began: HubSpot's search index
# lags writes by seconds, and a Salesforce transaction may commit with a timestamp just before our start.
HUBSPOT_OVERLAP = timedelta(seconds=15)
SALESFORCE_OVERLAP = timedelta(seconds=5)
SALESFORCE_SYSTEM = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted", "LastModifiedById")
SALESFORCE_OPTIONAL_SYSTEM = ("MasterRecordId",)


@dataclass
class ExtractStats:
    records: int = 0
    pages: int = 0
    full: bool = False
    missing_fields: list[str] = field(default_factory=list)  # mapped, but not in the CRM's schema


def _cursor(state_path: Path, crm: str, key: str) -> datetime | None:
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT cursor_value FROM extract_cursors WHERE crm = ? AND object = ?", [crm, key]
        ).fetchall()
    return rows[0][0] if rows else None


def _save_cursor(state_path: Path, crm: str, key: str, value: datetime, records: int, run_id: str) -> None:
    with db.connect(state_path) as con:
        con.execute(
            "INSERT INTO extract_cursors VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (crm, object) DO UPDATE SET "
            "cursor_value = excluded.cursor_value, records_seen = extract_cursors.records_seen + excluded.records_seen, "
            "updated_at = excluded.updated_at, run_id = excluded.run_id",
            [crm, key, value, records, datetime.now(UTC), run_id],
        )


def extract_hubspot(
    state_path: Path,
    connector: HubSpotConnector,
    pair: str,
    object_type: str,
    properties: list[str],
    run_id: str,
) -> tuple[ExtractStats, list[str]]:
    """Returns the stats and the ids read this run (their associations are refreshed next)."""
    table = f"hubspot_{pair}_snapshot"
    started = datetime.now(UTC)
    cursor = _cursor(state_path, "hubspot", pair)
    with db.connect(state_path) as con:
        ensure_snapshot(con, table, properties, ("_created_at", "_modified_at"), ("_archived",))
    stats, ids = ExtractStats(full=cursor is None), []
    pages = (
        connector.list_pages(object_type, properties)
        if cursor is None
        else connector.search_modified_pages(object_type, cursor - HUBSPOT_OVERLAP, properties)
    )
    for page in pages:
        rows = [_hubspot_row(r, properties, started, run_id) for r in page]
        with db.connect(state_path) as con:
            upsert_rows(con, table, rows)
        stats.pages += 1
        stats.records += len(rows)
        ids += [r["id"] for r in rows]
    _save_cursor(state_path, "hubspot", pair, started, stats.records, run_id)
    return stats, ids


def _hubspot_row(record: dict[str, Any], properties: list[str], now: datetime, run_id: str) -> dict[str, Any]:
    values = record.get("properties") or {}
    row = {"id": str(record["id"])}
    row.update({p: values.get(p) for p in properties})
    row.update(
        {
            "_created_at": record.get("created_at"),
            "_modified_at": record.get("updated_at"),
            "_archived": bool(record.get("archived")),
            "_extracted_at": now,
            "_run_id": run_id,
        }
    )
    return row


def extract_salesforce(
    state_path: Path, connector: SalesforceConnector, pair: str, sobject: str, fields: list[str], run_id: str
) -> ExtractStats:
    table = f"salesforce_{pair}_snapshot"
    started = datetime.now(UTC)
    key = f"{pair}:{sobject}"
    cursor = _cursor(state_path, "salesforce", key)
    available = set(connector.field_types(sobject))
    system = [f for f in SALESFORCE_SYSTEM + SALESFORCE_OPTIONAL_SYSTEM if f in available]
    # A mapped field missing from the org (before `crmsync setup`) is left out, not fatal: `crmsync check`
    # names it, and writes to it are stopped by preflight as INVALID_FIELD.
    present = [f for f in fields if f in available or ("." in f and f.split(".")[0] + "Id" in available)]
    stats_missing = sorted(set(fields) - set(present))
    select = ["Id", *dict.fromkeys(f for f in present if f not in system and f != "Id"), *system]
    soql = f"SELECT {', '.join(select)} FROM {sobject}"
    if cursor is not None:
        soql += f" WHERE SystemModstamp >= {(cursor - SALESFORCE_OVERLAP).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    with db.connect(state_path) as con:
        ensure_snapshot(
            con,
            table,
            fields,
            ("_created_at", "_modified_at", "_system_modstamp"),
            ("_deleted",),
            extra_text=("_sobject", "_master_record_id", "_last_modified_by_id"),
        )
    stats = ExtractStats(full=cursor is None, missing_fields=stats_missing)
    for page in connector.query_pages(soql, include_deleted=True):
        rows = [_salesforce_row(r, sobject, fields, started, run_id) for r in page]
        with db.connect(state_path) as con:
            upsert_rows(con, table, rows)
        stats.pages += 1
        stats.records += len(rows)
    _save_cursor(state_path, "salesforce", key, started, stats.records, run_id)
    return stats


def _salesforce_row(
    record: dict[str, Any], sobject: str, fields: list[str], now: datetime, run_id: str
) -> dict[str, Any]:
    row = {"id": record["Id"], "_sobject": sobject}
    row.update({f: salesforce_text(_dig(record, f)) for f in fields})
    row.update(
        {
            "_created_at": _parse(record.get("CreatedDate")),
            "_modified_at": _parse(record.get("LastModifiedDate")),
            "_system_modstamp": _parse(record.get("SystemModstamp")),
            "_deleted": bool(record.get("IsDeleted")),
            "_master_record_id": record.get("MasterRecordId"),
            "_last_modified_by_id": record.get("LastModifiedById"),
            "_extracted_at": now,
            "_run_id": run_id,
        }
    )
    return row


def salesforce_text(value: Any) -> str | None:
    """Salesforce JSON values as text: booleans true/false, whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _dig(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value[:-5] + value[-5:-2] + ":" + value[-2:] if value[-5] in "+-" and value[-3] != ":" else value
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def extract_associations(
    state_path: Path, connector: HubSpotConnector, from_object: str, to_object: str, ids: list[str]
) -> int:
    """Refresh the associations of the records read this run (HubSpot reports them separately)."""
    if not ids:
        return 0
    found = connector.associations(from_object, to_object, ids)
    with db.connect(state_path) as con:
        con.execute("""CREATE TABLE IF NOT EXISTS hubspot_associations (from_object VARCHAR, from_id VARCHAR,
                       to_object VARCHAR, to_id VARCHAR, type_ids INTEGER[], _extracted_at TIMESTAMPTZ)""")
        con.execute(
            "DELETE FROM hubspot_associations WHERE from_object = ? AND to_object = ? "
            "AND from_id IN (SELECT unnest(?::VARCHAR[]))",
            [from_object, to_object, ids],
        )
        now = datetime.now(UTC)
        table = pa.table(
            {
                "from_object": [from_object] * len(found),
                "from_id": [f for f, _, _ in found],
                "to_object": [to_object] * len(found),
                "to_id": [t for _, t, _ in found],
                "type_ids": [types for _, _, types in found],
                "_extracted_at": [now] * len(found),
            },
            schema=pa.schema(
                [
                    ("from_object", pa.string()),
                    ("from_id", pa.string()),
                    ("to_object", pa.string()),
                    ("to_id", pa.string()),
                    ("type_ids", pa.list_(pa.int32())),
                    ("_extracted_at", pa.timestamp("us", tz="UTC")),
                ]
            ),
        )
        con.register("found_associations", table)
        con.execute("INSERT INTO hubspot_associations SELECT * FROM found_associations")
        con.unregister("found_associations")
    return len(found)


def extract_owners(
    state_path: Path, hubspot: HubSpotConnector, salesforce: SalesforceConnector
) -> tuple[int, int]:
    """Owners and users, matched by email when records' owners are synced."""
    owners = [
        (str(o["id"]), o.get("email"), o.get("first_name"), o.get("last_name")) for o in hubspot.owners()
    ]
    users = [
        (u["Id"], u.get("Email"), u.get("Username"), bool(u.get("IsActive"))) for u in salesforce.users()
    ]
    with db.connect(state_path) as con:
        con.execute(
            "CREATE OR REPLACE TABLE hubspot_owners (id VARCHAR, email VARCHAR, first_name VARCHAR, "
            "last_name VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE salesforce_users (id VARCHAR, email VARCHAR, username VARCHAR, "
            "is_active BOOLEAN)"
        )
        _insert(con, "hubspot_owners", owners)
        _insert(con, "salesforce_users", users)
    return len(owners), len(users)


def _insert(con: Any, table: str, rows: Iterable[tuple]) -> None:
    rows = list(rows)
    if rows:
        insert_rows(con, quoted(table), rows)
