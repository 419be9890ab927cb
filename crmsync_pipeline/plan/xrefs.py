"""Cross-references: every linked record carries the other side's id (HubSpot: a unique property;
Salesforce: an external-id field). Links made by email or created in this run get theirs written here."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.snapshots import SnapshotTables


def plan_cross_references(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    now: datetime,
    tables: SnapshotTables | None = None,
) -> int:
    """Plan the missing cross-reference writes; returns how many rows were added."""
    tables = tables or SnapshotTables.of(pair_name)
    xref = pair.xref
    statement = sql("plan/xrefs.sql").format(
        hubspot_table=quoted(tables.hubspot),
        salesforce_table=quoted(tables.salesforce),
        hubspot_xref=quoted(xref.hubspot_property),
        salesforce_xref=quoted(xref.salesforce_field),
    )
    inserted = con.execute(  # an INSERT's result is the number of rows it added
        statement,
        {
            "run_id": run_id,
            "pair": pair_name,
            "now": now,
            "hubspot_field": xref.hubspot_property,
            "salesforce_field": xref.salesforce_field,
        },
    ).fetchall()
    return int(inserted[0][0])
