"""Records archived in HubSpot after the first load. HubSpot's search (the incremental read) never
returns archived records, so a deleted contact would look alive forever; the list endpoint can list the
archived ones. That costs one call per 100 archived records, so it runs at most once per interval
(CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES, default 60) rather than every cycle: an archive is reported as
an orphan within the hour, and a cycle with no changes stays nearly free.

The same listing sees restores. A record brought back from HubSpot's recycle bin keeps its id and its
values, and nothing says a restore moves `lastmodifieddate`, the property the incremental search reads
by: a record restored and not edited would stay archived in the snapshot for good, its orphan item open
and its link dead (soak s11, p845). So a record the snapshot holds archived that the listing no longer
names is read again by id (one batch call per 100 such records, only when the check runs): a live
answer is a restore; no answer (purged, merged away) leaves the row as it is."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.extract.cursors import read_cursor, save_cursor
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import quoted

CHECK_ENV = "CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES"
DEFAULT_CHECK_MINUTES = 60


def check_interval() -> timedelta:
    raw = os.environ.get(CHECK_ENV, "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_CHECK_MINUTES
    except ValueError:
        raise ValueError(f"{CHECK_ENV} must be a number of minutes, not {raw!r}") from None
    return timedelta(minutes=max(minutes, 0))


@dataclass(frozen=True)
class ArchiveCheck:
    flagged: int = 0  # snapshot records newly flagged archived
    unlisted: list[str] = field(default_factory=list)  # flagged archived before, no longer listed


def mark_hubspot_archives(
    state_path: Path,
    connector: HubSpotConnector,
    pair_name: str,
    object_type: str,
    run_id: str,
    first_load: bool,
    now: datetime | None = None,
) -> ArchiveCheck:
    """Flag snapshot records HubSpot now lists as archived; returns how many were newly flagged and the
    ids the snapshot holds archived that the list no longer names (restored, or gone for good). A first
    load read the recycle bin with the live records (flagged archived), so it just starts the interval."""
    now = now or datetime.now(UTC)
    key = f"{pair_name}:archived"
    last = read_cursor(state_path, "hubspot", key)
    if first_load or (last is not None and now - last < check_interval()):
        if first_load:
            save_cursor(state_path, "hubspot", key, now, 0, run_id)
        return ArchiveCheck()
    archived = [str(r["id"]) for page in connector.list_pages(object_type, [], archived=True) for r in page]
    table = quoted(f"hubspot_{pair_name}_snapshot")
    with db.connect(state_path) as con:
        unlisted = con.execute(
            f"""SELECT id FROM {table} WHERE coalesce(_archived, false)
                AND id NOT IN (SELECT unnest($ids::VARCHAR[])) ORDER BY id""",
            {"ids": archived},
        ).fetchall()
        flagged = con.execute(
            f"""UPDATE {table} SET _archived = true, _extracted_at = $now, _run_id = $run_id
                WHERE id IN (SELECT unnest($ids::VARCHAR[])) AND NOT coalesce(_archived, false)""",
            {"now": now, "run_id": run_id, "ids": archived},
        ).fetchall()[0][0]
    save_cursor(state_path, "hubspot", key, now, len(archived), run_id)
    return ArchiveCheck(int(flagged), [str(i) for (i,) in unlisted])
