"""Records archived in HubSpot, and archived records restored from its recycle bin. HubSpot's search (the
incremental read) never returns archived records, so a deleted contact would look alive forever; the list
endpoint can list the archived ones. That costs one call per 100 archived records, so it runs at most once
per interval (CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES, default 60) rather than every cycle: an archive is
reported as an orphan within the hour, and a cycle with no changes stays nearly free.

The same listing tells restores: a record the snapshot holds as archived that HubSpot no longer lists
left the recycle bin. HubSpot documents nothing about whether a restore moves the record's modification
time, which the search filters on, so the restored record may never come back through the search (the
chaos soak: restored contacts stayed orphans, their company never re-associated). Those ids are read
back by id (one batch read per 100); the live ones are restored in the snapshot and their associations
read again, the others (purged, merged away) stay archived. Archived records the snapshot never held
(archived between two reads; every one for `crmsync rebuild-state`, which looks at once since its first
load read only live records) are kept as archived rows, with their values, so their restore is seen as
well and their cross-reference ids link them then."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.extract.cursors import read_cursor, save_cursor
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.snapshots import upsert_rows

CHECK_ENV = "CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES"
DEFAULT_CHECK_MINUTES = 60

# one HubSpot record as read (hubspot_json.record) -> its snapshot row
ToRow = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class ArchiveCheck:
    """What one look at HubSpot's recycle bin found."""

    flagged: int = 0  # snapshot records newly seen archived
    restored: list[str] = field(default_factory=list)  # archived in the snapshot, live again in HubSpot
    unseen: int = 0  # archived records the snapshot did not hold, kept as archived rows


def check_interval() -> timedelta:
    raw = os.environ.get(CHECK_ENV, "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_CHECK_MINUTES
    except ValueError:
        raise ValueError(f"{CHECK_ENV} must be a number of minutes, not {raw!r}") from None
    return timedelta(minutes=max(minutes, 0))


def mark_hubspot_archives(
    state_path: Path,
    connector: HubSpotConnector,
    pair_name: str,
    object_type: str,
    properties: list[str],
    to_row: ToRow,
    run_id: str,
    first_load: bool,
    now: datetime | None = None,
    now_anyway: bool = False,
) -> ArchiveCheck:
    """Flag snapshot records HubSpot now lists as archived, restore those it no longer lists and still
    holds live, keep the archived ones the snapshot never held. A first load just starts the interval
    (nothing it read can be archived yet); `now_anyway` looks whatever the interval (a rebuilt state
    file, whose linked records may sit in the recycle bin)."""
    now = now or datetime.now(UTC)
    key = f"{pair_name}:archived"
    last = read_cursor(state_path, "hubspot", key)
    if not now_anyway and (first_load or (last is not None and now - last < check_interval())):
        if first_load:
            save_cursor(state_path, "hubspot", key, now, 0, run_id)
        return ArchiveCheck()
    listed = {
        str(r["id"]): r for page in connector.list_pages(object_type, properties, archived=True) for r in page
    }
    name = f"hubspot_{pair_name}_snapshot"
    table = quoted(name)
    with db.connect(state_path) as con:
        flagged = con.execute(
            f"""UPDATE {table} SET _archived = true, _extracted_at = $now, _run_id = $run_id
                WHERE id IN (SELECT unnest($ids::VARCHAR[])) AND NOT coalesce(_archived, false)""",
            {"now": now, "run_id": run_id, "ids": list(listed)},
        ).fetchall()[0][0]
        params = {"ids": list(listed)}
        left = con.execute(
            f"""SELECT id FROM {table} WHERE coalesce(_archived, false)
                AND id NOT IN (SELECT unnest($ids::VARCHAR[]))""",
            params,
        ).fetchall()
        held = con.execute(f"SELECT id FROM {table} WHERE id IN (SELECT unnest($ids::VARCHAR[]))", params)
        known = {str(i) for (i,) in held.fetchall()}
    restored = _restored(connector, object_type, properties, [str(i) for (i,) in left])
    unseen = [r for i, r in listed.items() if i not in known]
    rows = [to_row(r) for r in [*unseen, *restored]]
    if rows:
        with db.connect(state_path) as con:
            upsert_rows(con, name, rows)
    save_cursor(state_path, "hubspot", key, now, len(listed), run_id)
    return ArchiveCheck(int(flagged), [str(r["id"]) for r in restored], len(unseen))


def _restored(
    connector: HubSpotConnector, object_type: str, properties: list[str], left: list[str]
) -> list[dict[str, Any]]:
    """The records among `left` (archived in the snapshot, no longer in the recycle bin) HubSpot holds
    live: restored. A merged-away id may answer with its survivor, so only the ids asked for count."""
    if not left:
        return []
    wanted = set(left)
    return [
        r for r in connector.batch_read(object_type, sorted(wanted), properties) if str(r["id"]) in wanted
    ]
