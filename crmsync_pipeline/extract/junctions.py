"""Many-to-many associations carried by a Salesforce junction object (a deal's contacts as
OpportunityContactRole records), merged three-way: a pair associated on one side only is associated on
the other too, unless both held it before, in which case its removal propagates. OpportunityContactRole has no external id, so each
record is looked up by its natural key (the pair of ids) before it is inserted: a rerun after a crash
re-reads the junctions and finds what the crashed run created. Only what the CRM confirmed counts as
written (write/junctions.py): a failed pair keeps its error in sync_errors and is tried again next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crmsync_pipeline.config import AssociationMapping, Mapping
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.cursors import cursor_of, move_cursor
from crmsync_pipeline.extract.hubspot import salesforce_text
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows

JUNCTIONS_TABLE = """CREATE TABLE IF NOT EXISTS salesforce_junctions (object VARCHAR, id VARCHAR PRIMARY KEY,
    this_id VARCHAR, other_id VARCHAR, deleted BOOLEAN, _modified_at TIMESTAMPTZ)"""
OVERLAP = timedelta(seconds=5)
JUNCTION_FIELD = "@junction:"  # base_values field `@junction:<object>:<other HubSpot id>`: both sides held it


def junction_associations(mapping: Mapping, pair_name: str) -> list[AssociationMapping]:
    return [a for a in mapping.pair(pair_name).associations if a.junction is not None]


def extract_junctions(
    state_path: Path, salesforce: SalesforceConnector, association: AssociationMapping, run_id: str
) -> int:
    junction = association.junction
    assert junction is not None
    key = f"junction:{junction.object}"
    with db.connect(state_path) as con:
        con.execute(JUNCTIONS_TABLE)
        cursor = cursor_of(con, "salesforce", key)
    started = datetime.now(UTC)
    soql = (
        f"SELECT Id, {junction.this_field}, {junction.other_field}, IsDeleted, SystemModstamp "
        f"FROM {junction.object}"
    )
    if cursor is not None:
        soql += f" WHERE SystemModstamp >= {(cursor - OVERLAP).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    read = 0
    for page in salesforce.query_pages(soql, include_deleted=True):
        rows = [
            (
                junction.object,
                r["Id"],
                salesforce_text(r[junction.this_field]),
                salesforce_text(r[junction.other_field]),
                bool(r.get("IsDeleted")),
                started,
            )
            for r in page
        ]
        with db.connect(state_path) as con:
            insert_rows(
                con,
                "salesforce_junctions",
                rows,
                "ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, "
                "this_id = excluded.this_id, other_id = excluded.other_id",
            )
        read += len(rows)
    with db.connect(state_path) as con:
        move_cursor(con, "salesforce", key, started, read, run_id)
    return read
