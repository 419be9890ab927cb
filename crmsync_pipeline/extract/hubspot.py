"""Extract: each CRM object into its snapshot table, page by page through Arrow, never holding a state
connection during an API call. The first load lists everything; later loads read only what changed
since the cursor (HubSpot: search on last-modified time; Salesforce: queryAll on SystemModstamp, so
deletes and merges are seen). The cursor is the time extraction started, minus an overlap, so edits
made during a long extract are picked up by the next cycle."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.archives import mark_hubspot_archives
from crmsync_pipeline.extract.cursors import ExtractStats, Incremental
from crmsync_pipeline.extract.pages import snapshot_writer
from crmsync_pipeline.extract.salesforce import (
    BULK_QUERY_THRESHOLD,
    extract_salesforce,
    extract_salesforce_pair,
    salesforce_text,
)
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.run_context import Clock, utc_now
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
    pair_name: str,
    object_type: str,
    properties: list[str],
    run_id: str,
    include_archived: bool = False,
    clock: Clock = utc_now,
) -> tuple[ExtractStats, list[str]]:
    """One HubSpot object into `hubspot_<pair_name>_snapshot`. Returns the stats and the ids read this
    run (their associations are refreshed next). The first load lists every record (and, with
    `include_archived`, the recycle bin too); later loads search on the last-modified property, which
    never returns archived records, so archives are listed separately, at most once an interval."""
    table = f"hubspot_{pair_name}_snapshot"
    ids: list[str] = []
    cursor = Incremental("hubspot", pair_name, HUBSPOT_OVERLAP)
    with cursor.window(state_path, connector.call.meter, run_id, clock) as window:
        with db.connect(state_path) as con:
            if ensure_snapshot(con, table, properties, ("_created_at", "_modified_at"), ("_archived",)):
                window.read_everything()
            window.keep_current(con, properties)
        pages = _hubspot_pages(connector, object_type, properties, window.since, include_archived)

        def rows() -> Iterator[list[dict[str, Any]]]:
            for page in pages:
                batch = [_hubspot_row(r, properties, window.started, run_id) for r in page]
                ids.extend(r["id"] for r in batch if not r["_archived"])
                yield batch

        window.write(state_path, table, rows())
        check = mark_hubspot_archives(
            state_path, connector, pair_name, object_type, run_id, first_load=window.stats.full
        )
        restored = _read_restored(
            state_path, connector, table, object_type, properties, check.unlisted, run_id
        )
        refresh_associations_naming(state_path, connector, object_type, restored)
        ids.extend(restored)
    return window.stats, ids


def refresh_associations_naming(
    state_path: Path, connector: HubSpotConnector, object_type: str, restored: list[str]
) -> None:
    """HubSpot dropped an archived record's associations and restores none. The records that were
    associated with it (a company's contacts) were not necessarily read since, so what crmsync last read
    of them still names it: their associations with it are read again, or the plan would take them
    for kept and never fill them from the other CRM."""
    if not restored:
        return
    with db.connect(state_path) as con:
        if not table_exists(con, "hubspot_associations"):
            return
        naming = con.execute(
            """SELECT from_object, list(DISTINCT from_id ORDER BY from_id) FROM hubspot_associations
               WHERE to_object = ? AND to_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 1""",
            [object_type, restored],
        ).fetchall()
    for from_object, ids in naming:
        extract_associations(state_path, connector, from_object, object_type, list(ids))


def _read_restored(
    state_path: Path,
    connector: HubSpotConnector,
    table: str,
    object_type: str,
    properties: list[str],
    unlisted: list[str],
    run_id: str,
) -> list[str]:
    """Read again the records the snapshot holds archived that HubSpot no longer lists as archived; the
    live ones (restored from the recycle bin) replace their rows. Returns their ids. A merged-away id
    answers with its survivor, which is not a restore of it: only answers with an asked id count."""
    if not unlisted:
        return []
    asked = set(unlisted)
    now = datetime.now(UTC)
    found = [r for r in connector.batch_read(object_type, unlisted, properties) if str(r["id"]) in asked]
    restored = [_hubspot_row(r, properties, now, run_id) for r in found if not r.get("archived")]
    if restored:
        with snapshot_writer(state_path, table) as snapshot:
            snapshot.add(restored)
    return [r["id"] for r in restored]


def _hubspot_pages(
    connector: HubSpotConnector,
    object_type: str,
    properties: list[str],
    since: datetime | None,
    include_archived: bool,
) -> Iterable[list[dict[str, Any]]]:
    """Every record (a full load), or those modified since `since`."""
    if since is not None:
        return connector.search_modified_pages(object_type, since, properties)
    return chain(
        connector.list_pages(object_type, properties),
        connector.list_pages(object_type, properties, archived=True) if include_archived else (),
    )


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
        (u["Id"], u.get("Email"), u.get("Username"), bool(u.get("IsActive")), u.get("UserType"))
        for u in salesforce.users()
    ]
    with db.connect(state_path) as con:
        con.execute(
            "CREATE OR REPLACE TABLE hubspot_owners (id VARCHAR, email VARCHAR, first_name VARCHAR, "
            "last_name VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE salesforce_users (id VARCHAR, email VARCHAR, username VARCHAR, "
            "is_active BOOLEAN, user_type VARCHAR)"
        )
        _insert(con, "hubspot_owners", owners)
        _insert(con, "salesforce_users", users)
    return len(owners), len(users)


def _insert(con: Any, table: str, rows: Iterable[tuple]) -> None:
    rows = list(rows)
    if rows:
        insert_rows(con, quoted(table), rows)
