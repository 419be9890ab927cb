"""An erased person is never re-created from a stale copy (a Salesforce record restored from the Recycle
Bin, an old export re-imported into HubSpot): the plan drops create rows whose source record is an
erased id, or whose email hashes to an erased person's email (table erasures)."""

from __future__ import annotations

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.state.erasures import email_hash, erased_hashes, erased_ids


def drop_erased_creates(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, pair: ObjectPair) -> int:
    """Delete this run's create rows for erased people; returns how many records were held back."""
    ids, hashes = erased_ids(con, pair_name), erased_hashes(con, pair_name)
    if not ids and not hashes:
        return 0
    email_fields = {f.side_field(s) for f in pair.fields if f.hubspot == "email" for s in Side}
    rows = con.execute(
        """SELECT record_ref, target_field, new_value FROM plan_rows
           WHERE run_id = ? AND pair = ? AND action = 'create'""",
        [run_id, pair_name],
    ).fetchall()
    blocked = {ref for ref, _, _ in rows if ref in ids}
    blocked |= {
        ref
        for ref, field, value in rows
        if field in email_fields and value and email_hash(con, value) in hashes
    }
    if blocked:
        con.execute(
            """DELETE FROM plan_rows WHERE run_id = ? AND pair = ? AND action = 'create'
               AND record_ref IN (SELECT unnest(?::VARCHAR[]))""",
            [run_id, pair_name, sorted(blocked)],
        )
    return len(blocked)
