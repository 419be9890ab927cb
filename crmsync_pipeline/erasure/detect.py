"""Seeing a GDPR delete made by a user in either CRM. A HubSpot GDPR delete leaves no archived copy
and HubSpot's search never says a record went away; a Salesforce hard delete skips the Recycle Bin, so
queryAll never returns it. So once an interval (the archive check's, CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES,
default 60) the linked records of pairs that erase on such deletes are read by id: one HubSpot batch
read per 100 (then the missing ones once more among the archived), one Salesforce queryAll per 200.
What neither answers is gone for good: a row in vanished_records, which the plan turns into an erasure
of the other side (plan/deletes.py). A cycle inside the interval costs nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.connectors import hubspot_deletes, salesforce_deletes
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.archives import check_interval
from crmsync_pipeline.extract.cursors import read_cursor, save_cursor
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

CURSOR_CRM = "crmsync"
log = logging.getLogger(__name__)


def detect_vanished(
    state_path: Path,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    pair_name: str,
    run_id: str,
    now: datetime | None = None,
) -> int:
    """Record linked records gone for good from either CRM; returns how many were newly found."""
    pair = mapping.pair(pair_name)
    now = now or datetime.now(UTC)
    key = f"{pair_name}:vanished"
    last = read_cursor(state_path, CURSOR_CRM, key)
    if not pair.erases_on_gdpr_delete or (last is not None and now - last < check_interval()):
        return 0
    if last is None:  # the first sight: this run's extract just read every record, so start the interval
        save_cursor(state_path, CURSOR_CRM, key, now, 0, run_id)
        return 0
    hubspot_ids, salesforce_ids = _live_linked(state_path, pair_name)
    try:
        gone = _gone(hubspot, salesforce, pair.hubspot, hubspot_ids, salesforce_ids)
    except CrmError as err:  # a look the next cycle can take again: never a reason to stop this sync
        log.warning("could not look for records gone for good in %s: %s", pair_name, err)
        return 0
    with db.connect(state_path) as con:
        added = 0
        for side, record_id in gone:
            added += len(
                con.execute(
                    "INSERT INTO vanished_records VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING RETURNING 1",
                    [pair_name, side, record_id, now, run_id],
                ).fetchall()
            )
    save_cursor(state_path, CURSOR_CRM, key, now, len(gone), run_id)
    return added


def _gone(hubspot, salesforce, hubspot_object: str, hubspot_ids, salesforce_ids) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    gone = []
    missing = hubspot_deletes.not_found(hubspot, hubspot_object, hubspot_ids) if hubspot_ids else set()
    if missing:
        not_archived = hubspot_deletes.not_found(hubspot, hubspot_object, sorted(missing), archived=True)
        merges = (
            hubspot_deletes.merged_away(hubspot, hubspot_object, sorted(not_archived))
            if not_archived
            else set()
        )
        gone += [("hubspot", i) for i in sorted(not_archived - merges)]  # a merge loser is not a GDPR delete
    for sobject, ids in salesforce_ids.items():
        found = salesforce_deletes.existing_ids(salesforce, sobject, ids)
        gone += [("salesforce", i) for i in ids if i not in found]
    return gone


def _live_linked(state_path: Path, pair_name: str) -> tuple[list[str], dict[str, list[str]]]:
    """Linked ids whose mirror rows are live (archived or deleted ones are the delete policy's)."""
    tables = SnapshotTables.of(pair_name)
    with db.connect(state_path) as con:
        if not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
            return [], {}
        statement = sql("erasure/live_linked.sql").format(
            hubspot_table=quoted(tables.hubspot), salesforce_table=quoted(tables.salesforce)
        )
        rows = con.execute(statement, {"pair": pair_name}).fetchall()
    hubspot_ids = [h for h, archived, _, _, _ in rows if not archived]
    salesforce_ids: dict[str, list[str]] = {}
    for _, _, sobject, salesforce_id, deleted in rows:
        if not deleted:
            salesforce_ids.setdefault(sobject, []).append(salesforce_id)
    return hubspot_ids, salesforce_ids
