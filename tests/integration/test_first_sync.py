"""A first sync of a seeded sandbox, through the Dagster job, against both emulators over HTTP."""

from __future__ import annotations

import os

import duckdb


def state():
    return duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)


def test_first_sync_runs_and_records_what_it_did(sandbox, sync):
    result = sync()
    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failures
    con = state()
    try:
        print(
            con.execute("SELECT pair, matched_by, count(*) FROM links GROUP BY ALL ORDER BY ALL").fetchall()
        )
        print(
            con.execute(
                "SELECT pair, target, operation, succeeded, count(*) FROM write_results GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        )
        print(
            con.execute(
                "SELECT target, error_code, count(*) FROM sync_errors GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        )
        print(con.execute("SELECT crm, sum(calls) FROM api_calls GROUP BY ALL").fetchall())
        print(
            con.execute(
                "SELECT pair, side, field, count(*), any_value(problem) FROM value_issues GROUP BY ALL"
            ).fetchall()
        )
        print(
            con.execute(
                "SELECT e.record_ref, e.error_message, s.\"Email\", s._sobject FROM sync_errors e JOIN salesforce_contacts_snapshot s ON s.id = e.record_ref WHERE e.target = 'hubspot'"
            ).fetchall()
        )
    finally:
        con.close()
