"""A lost state file must never turn linked records into first links (docs/design.md, "Never a duplicate"):
without base, every field would be judged by first-link rules and a user's clears and edits could be
undone. crmsync writes a cross-reference id into every record it links, so a state file that has never
linked or written anything, facing records that carry those ids, was lost or replaced: the run refuses
to start until `crmsync rebuild-state` relinks from the ids on purpose.

A crash does not look like this: the audit intent is recorded before any CRM call, so a state file
whose first run died mid-write still holds that run's intents."""

from __future__ import annotations

import duckdb

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

REBUILD_TAG = "crmsync/rebuild_state"  # a run carrying this tag may relink a fresh state from the ids


class StateLostError(RuntimeError):
    """The state file is new but the CRMs carry crmsync's cross-reference ids."""


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """Nothing was ever linked or written from this state file."""
    linked = con.execute("SELECT count(*) FROM links").fetchall()[0][0]
    written = con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    return linked == 0 and written == 0


def records_with_cross_references(con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair) -> int:
    """Snapshot records of the pair that carry a cross-reference id (either side)."""
    tables = SnapshotTables.of(pair_name)
    found = 0
    for table, column in (
        (tables.hubspot, pair.xref.hubspot_property),
        (tables.salesforce, pair.xref.salesforce_field),
    ):
        if table_exists(con, table) and column_exists(con, table, column):
            found += con.execute(
                f"SELECT count(*) FROM {quoted(table)} WHERE nullif(trim({quoted(column)}), '') IS NOT NULL"
            ).fetchall()[0][0]
    return found


def refuse_if_state_lost(
    con: duckdb.DuckDBPyConnection, state_path: str, pair_name: str, pair: ObjectPair, rebuilding: bool
) -> None:
    if rebuilding or not is_fresh(con):
        return
    carried = records_with_cross_references(con, pair_name, pair)
    if carried:
        raise StateLostError(
            f"the state file {state_path} is new, but {carried} {pair_name} record(s) in the CRMs carry "
            "crmsync cross-reference ids: they were linked from another (lost or replaced) state file. "
            "Nothing was written. Restore that file (CRMSYNC_STATE_DB), or run `crmsync rebuild-state` to "
            "relink them from the ids, then `crmsync plan` to review what the next sync would write."
        )
