"""A record re-created after its linked twin's counterpart was deleted: a person archives a HubSpot
contact (the link is reported as an orphan) and then creates a new contact with the same email, or
deletes a Salesforce Contact and enters it again. The new record is not a new person: it takes the
deleted one's place. The old link goes to history (deleted_links, action 'recreated'), its orphan item
is settled, and the live twin is left unlinked, so the match keys that follow link it to the new record
instead of the plan creating a second copy of the person on the live side. Only one new record may
match the twin (otherwise the keys' own ambiguity review decides), and a merge loser is never taken for
a deleted record: the plan moves its link to the survivor (match/merge_losers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from crmsync_pipeline.match.merge_losers import hubspot_merge_losers
from crmsync_pipeline.state.closed_links import close_link, settle_orphan_items
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted
from crmsync_pipeline.state.snapshots import SnapshotTables


@dataclass(frozen=True)
class Recreated:
    hubspot_id: str  # the old link's two records
    salesforce_id: str
    deleted_in: str  # hubspot | salesforce: the side the new record is on
    new_id: str
    new_sobject: str | None


def release_recreated_twins(
    con: duckdb.DuckDBPyConnection, pair_name: str, tables: SnapshotTables, run_id: str, now: datetime
) -> list[Recreated]:
    """Close the links whose deleted record was re-created (reads the temp table `match_keys`)."""
    merged = column_exists(con, tables.salesforce, "_master_record_id")
    statement = sql("match/recreated_twins.sql").format(
        hubspot_table=quoted(tables.hubspot),
        salesforce_table=quoted(tables.salesforce),
        not_merged="s._master_record_id IS NULL" if merged else "true",
        hubspot_merge_losers=hubspot_merge_losers(con, tables.hubspot),
    )
    found = [Recreated(*row) for row in con.execute(statement, {"pair": pair_name}).fetchall()]
    for r in found:
        close_link(con, pair_name, r.hubspot_id, r.deleted_in, "recreated", run_id, now)
        settle_orphan_items(con, pair_name, [r.hubspot_id], f"recreated:{r.new_id}", now)
    return found
