"""After a CRM confirms a write, the snapshot takes the values written, stamped with the time the write
was intended. An incremental read that lags behind our own write (HubSpot's search index does, by
seconds) then cannot put the old values back: a snapshot row only gives way to a newer one. A Salesforce
field written also gets that time as its own change time (crmsync's), for first links to judge it by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from crmsync_pipeline.extract.salesforce_edit_times import integration_user
from crmsync_pipeline.plan.lookups import reflect_association_writes
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


def reflect_writes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    refs: Sequence[str],
    intended_at: datetime,
    hubspot_object: str | None = None,
) -> None:
    """Copy the confirmed updates of these records into the target's snapshot (creates arrive next read),
    and confirmed association changes into `hubspot_associations` when `hubspot_object` is given."""
    if not refs:
        return
    # The batch's confirmed updates, found once (plan_rows and audit_log hold the whole run); the
    # association mirror and one UPDATE per snapshot field read this small table.
    con.execute(
        sql("write/reflected_writes.sql"),
        {"run_id": run_id, "pair": pair_name, "target": target, "refs": list(refs)},
    )
    if target == "hubspot" and hubspot_object:
        reflect_association_writes(con, hubspot_object)
    if target == "salesforce":
        con.execute(
            sql("write/reflected_field_times.sql"),
            {"at": intended_at, "integration_user": integration_user(con)},
        )
    table = SnapshotTables.of(pair_name).on(target)
    if not table_exists(con, table):
        return
    columns = table_columns(con, table)
    if target == "salesforce":
        # Salesforce stamps to the second: a save by automation or a person later in the same second as
        # this write reads back stamped `hh:mm:ss.000`, before `intended_at`, and would lose to the
        # reflected row (a row only gives way to one at least as new). Reflect at the second instead.
        intended_at = intended_at.replace(microsecond=0)
    fields = con.execute("SELECT DISTINCT target_field FROM reflected_writes").fetchall()
    for (field,) in fields:
        if field not in columns:
            continue
        con.execute(
            f"""UPDATE {quoted(table)} t SET {quoted(field)} = nullif(w.new_value, ''),
                       _modified_at = greatest(t._modified_at, $at)
                FROM reflected_writes w
                WHERE w.target_field = $field AND t.id = w.record_ref""",
            {"at": intended_at, "field": field},
        )
