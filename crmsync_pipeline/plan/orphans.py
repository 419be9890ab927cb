"""Links whose record is gone on one side (an orphan, sql/plan/orphans.sql), and what they freeze.

Under `deletes: report` an orphan waits for a person, and until then nothing about it is written to the
other side: the archive of a HubSpot company drops its associations in HubSpot, which read naively is a
person clearing every contact's company. So the lookups (`@association:<pair>`) and junction pairs
that name an orphaned record are not judged while it is an orphan; their base is kept, and they are
judged again once the link is closed (propagated, re-created) or the record comes back."""

from __future__ import annotations

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
