"""Links whose record is gone on one side (an orphan, sql/plan/orphans.sql), and what they freeze.

Under `deletes: report` an orphan waits for a person, and until then nothing about it is written to the
other side: the archive of a HubSpot company drops its associations in HubSpot, which read naively is a
person clearing every contact's company. So the lookups (`@association:<pair>`) and junction pairs
that name an orphaned record are not judged while it is an orphan; their base is kept, and they are
judged again once the link is closed (propagated, re-created) or the record comes back."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import DeleteAction
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

# a person's decision on an orphan item (review/actions.py) -> what the next plan does with that link:
# propagate the delete to the other side, or re-create the deleted record from the live one
ORPHAN_DECISIONS = {"propagate": DeleteAction.PROPAGATE, "create": DeleteAction.RESTORE}


def orphan_item_id(pair_name: str, hubspot_id: str, salesforce_id: str) -> str:
    return f"orphan:{pair_name}:{hubspot_id}:{salesforce_id}"


def settle_orphan_items(
    con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_ids: list[str], resolution: str, now: datetime
) -> int:
    """Close the open orphan items of these links (the record came back, or a new one took its place)."""
    if not hubspot_ids:
        return 0
    settled = con.execute(
        """UPDATE review_items SET settled_at = ?, resolution = ?
           WHERE pair = ? AND kind = 'orphan' AND settled_at IS NULL
             AND hubspot_id IN (SELECT unnest(?::VARCHAR[]))""",
        [now, resolution, pair_name, hubspot_ids],
    ).fetchall()
    return int(settled[0][0]) if settled else 0


def forget_bases_naming(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> None:
    """A link that closed while other records' lookups or junction pairs named its HubSpot record (kept
    frozen, with their base, while it was an orphan): their base goes, so the next plan judges them as a
    first link, which only fills an empty side and never takes the vanished association for a person's
    removal."""
    con.execute(
        """DELETE FROM base_values
           WHERE (field = '@association:' || $pair AND value = $id)
              OR (starts_with(field, '@junction:') AND ends_with(field, ':' || $id))""",
        {"pair": pair_name, "id": hubspot_id},
    )


def orphan_rows(con: duckdb.DuckDBPyConnection, pair_name: str) -> list[tuple]:
    """The rows of sql/plan/orphans.sql for one pair (none before both sides were extracted)."""
    tables = SnapshotTables.of(pair_name)
    if not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
        return []
    statement = sql("plan/orphans.sql").format(
        hubspot_table=quoted(tables.hubspot), salesforce_table=quoted(tables.salesforce)
    )
    return con.execute(statement, {"pair": pair_name}).fetchall()


def frozen_hubspot_ids(con: duckdb.DuckDBPyConnection, pair_name: str) -> list[str]:
    """The HubSpot ids of the pair's orphaned links: a lookup or junction pair naming one waits."""
    return sorted({str(row[0]) for row in orphan_rows(con, pair_name)})
