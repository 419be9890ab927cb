"""Records a person brought back from a recycle bin (HubSpot's restore keeps the id; so does Salesforce's
undelete), seen before the plan merges fields:
- under `deletes: report` the link never closed: its open orphan item is settled ('restored') and the
  link syncs again;
- after crmsync closed the link (a delete propagated), both restored records still carry each other's
  id, so the match stage links them again; the base they had agreed (closed_link_bases) comes back, so
  the edits made since are merged three-way, not as a first link that could let one side's older
  value overwrite the other's new edit.
Either way the restored record came back without its HubSpot associations, so the lookups and junction
pairs naming it forget their base and are judged as a first link (filling, never clearing)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import duckdb

from crmsync_pipeline.state.closed_links import forget_lookup_bases, settle_orphan_items
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


def see_restores(con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str, now: datetime) -> Counter[str]:
    """Settle what restores ended; returns counts by kind ('orphan', 'relinked')."""
    tables = SnapshotTables.of(pair_name)
    if not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
        return Counter()
    statement = sql("plan/restored_links.sql").format(
        hubspot_table=quoted(tables.hubspot), salesforce_table=quoted(tables.salesforce)
    )
    found = con.execute(statement, {"pair": pair_name}).fetchall()
    for hubspot_id, salesforce_id, kind in found:
        if kind == "relinked":
            _bring_back_base(con, pair_name, hubspot_id, salesforce_id, run_id)
        else:
            settle_orphan_items(con, pair_name, [hubspot_id], "restored", now)
        forget_lookup_bases(con, pair_name, hubspot_id)
    return Counter(kind for _, _, kind in found)


def _bring_back_base(
    con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str, salesforce_id: str, run_id: str
) -> None:
    params = {"pair": pair_name, "h": hubspot_id, "s": salesforce_id, "run": run_id}
    con.execute(
        """INSERT INTO base_values SELECT pair, hubspot_id, field, value, agreed_at, $run
           FROM closed_link_bases WHERE pair = $pair AND hubspot_id = $h AND salesforce_id = $s
           ON CONFLICT DO NOTHING""",
        params,
    )
    con.execute(
        "DELETE FROM closed_link_bases WHERE pair = $pair AND hubspot_id = $h AND salesforce_id = $s",
        {k: v for k, v in params.items() if k != "run"},
    )
