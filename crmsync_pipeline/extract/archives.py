"""Records archived in HubSpot after the first load. HubSpot's search (the incremental read) never
returns archived records, so a deleted contact would look alive forever; the list endpoint can list the
archived ones. That costs one call per 100 archived records, so it runs at most once per interval
(CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES, default 60) rather than every cycle: an archive is reported as
an orphan within the hour, and a cycle with no changes stays nearly free.

The same listing tells which records the snapshot holds as archived that HubSpot no longer lists so:
restored from the recycle bin (or purged). A restore is not known to move the last-modified property
the incremental search filters on (the sandbox's `restore_moves_modified`, off by default, plays both), so without this a
restored record would stay archived in the snapshot until someone edits it, and after a lost state
file it would then be linked as a first link, its first-link rule overwriting that very edit. The
caller reads those records again by id (extract/hubspot.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

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


class ArchiveCheck(NamedTuple):
    """What one look at HubSpot's archived records found."""

    flagged: int = 0  # snapshot records newly flagged archived
    unarchived: tuple[str, ...] = ()  # flagged archived in the snapshot, no longer listed archived by HubSpot


def mark_hubspot_archives(
    state_path: Path,
    connector: HubSpotConnector,
    pair_name: str,
    object_type: str,
    run_id: str,
    first_load: bool,
    now: datetime | None = None,
) -> ArchiveCheck:
    """Flag snapshot records HubSpot now lists as archived, and name those flagged archived that it no
    longer lists (restored, or purged). A first load read only live records, so it just starts the
    interval."""
    now = now or datetime.now(UTC)
    key = f"{pair_name}:archived"
    last = read_cursor(state_path, "hubspot", key)
    if first_load or (last is not None and now - last < check_interval()):
        if first_load:
            save_cursor(state_path, "hubspot", key, now, 0, run_id)
        return ArchiveCheck()
    archived = [str(r["id"]) for page in connector.list_pages(object_type, [], archived=True) for r in page]
    table = quoted(f"hubspot_{pair_name}_snapshot")
    params = {"now": now, "run_id": run_id, "ids": archived}
    with db.connect(state_path) as con:
        unarchived = con.execute(
            f"""SELECT id FROM {table} WHERE coalesce(_archived, false)
                AND id NOT IN (SELECT unnest($ids::VARCHAR[])) ORDER BY id""",
            {"ids": archived},
        ).fetchall()
        flagged = con.execute(
            f"""UPDATE {table} SET _archived = true, _extracted_at = $now, _run_id = $run_id
                WHERE id IN (SELECT unnest($ids::VARCHAR[])) AND NOT coalesce(_archived, false)""",
            params,
        ).fetchall()[0][0]
    save_cursor(state_path, "hubspot", key, now, len(archived), run_id)
    return ArchiveCheck(int(flagged), tuple(str(r[0]) for r in unarchived))
