"""Extract: each CRM object into its snapshot table, page by page through Arrow, never holding a state
connection during an API call. The first load lists everything; later loads read only what changed
since the cursor (HubSpot: search on last-modified time; Salesforce: queryAll on SystemModstamp, so
deletes and merges are seen). The cursor is the time extraction started, minus an overlap, so edits
made during a long extract are picked up by the next cycle."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa

from crmsync_pipeline import progress
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.archives import mark_hubspot_archives
from crmsync_pipeline.extract.cursors import ExtractStats, read_cursor, store_cursor
from crmsync_pipeline.extract.pages import snapshot_writer
from crmsync_pipeline.extract.salesforce import (
    BULK_QUERY_THRESHOLD,
    extract_salesforce,
    extract_salesforce_pair,
    salesforce_text,
)
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.snapshots import ensure_snapshot

# Each incremental read starts this long before the previous extract began: HubSpot's search index
# lags writes by seconds.
HUBSPOT_OVERLAP = timedelta(seconds=15)

__all__ = [
    "BULK_QUERY_THRESHOLD",
    "ExtractStats",
    "extract_associations",
    "extract_hubspot",
    "extract_owners",
    "extract_salesforce",
    "extract_salesforce_pair",
    "salesforce_text",
]


@db.held_open
def extract_hubspot(
    state_path: Path,
    connector: HubSpotConnector,
    pair: str,
    object_type: str,
    properties: list[str],
    run_id: str,
    include_archived: bool = False,
) -> tuple[ExtractStats, list[str]]:
    """One HubSpot object into `hubspot_<pair>_snapshot`. Returns the stats and the ids read this run
    (their associations are refreshed next). The first load lists every record (and, with
    `include_archived`, the recycle bin too); later loads search on the last-modified property, which
    never returns archived records, so archives are listed separately, at most once an interval."""
    table = f"hubspot_{pair}_snapshot"
    calls_before = connector.call.meter.total("hubspot")
    started = datetime.now(UTC)
    cursor = read_cursor(state_path, "hubspot", pair)
    with db.connect(state_path) as con:
        added = ensure_snapshot(con, table, properties, ("_created_at", "_modified_at"), ("_archived",))
    if added:  # newly mapped properties: every record is read once to fill them in
        cursor = None
    stats, ids = ExtractStats(full=cursor is None), []
    if cursor is None:
        pages = chain(
            connector.list_pages(object_type, properties),
            connector.list_pages(object_type, properties, archived=True) if include_archived else (),
        )
    else:
        pages = connector.search_modified_pages(object_type, cursor - HUBSPOT_OVERLAP, properties)

    def finish(con: Any) -> None:  # the cursor moves in the transaction of the last rows
        store_cursor(con, "hubspot", pair, started, stats.records, run_id)

    with snapshot_writer(state_path, table, then=finish) as snapshot:
        for page in pages:
            rows = [_hubspot_row(r, properties, started, run_id) for r in page]
            snapshot.add(rows)
            stats.pages += 1
            stats.records += len(rows)
            ids += [r["id"] for r in rows if not r["_archived"]]
            progress.report(f"extract hubspot {pair}", stats.records, None)
    mark_hubspot_archives(state_path, connector, pair, object_type, run_id, first_load=stats.full)
    stats.api_calls = connector.call.meter.total("hubspot") - calls_before
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
