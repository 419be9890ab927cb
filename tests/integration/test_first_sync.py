"""A seeded sandbox synced through the Dagster job, against both emulators over HTTP: the first sync,
then cycles with no edits that must write nothing."""

from __future__ import annotations

import os

import duckdb
import pytest


def query(sql: str, *params):
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def first_sync(sandbox, sync):
    before = sandbox.calls()
    result = sync()
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    after = sandbox.calls()
    return result, {crm: after[crm] - before[crm] for crm in after}


def test_first_sync_links_creates_and_reports_rejections_with_codes(first_sync):
    print(query("SELECT pair, matched_by, count(*) FROM links GROUP BY ALL ORDER BY ALL"))
    errors = dict(query("SELECT error_code, count(*) FROM sync_errors GROUP BY ALL"))
    assert set(errors) <= {
        "REQUIRED_FIELD_MISSING",
        "STRING_TOO_LONG",
        "INVALID_EMAIL_ADDRESS",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    }


@pytest.mark.parametrize("cycle", [2, 3])
def test_cycles_without_edits_write_nothing(first_sync, sandbox, sync, cycle):
    before = sandbox.calls()
    result = sync()
    assert result.success
    run_id = result.run_id
    writes = query(
        "SELECT pair, target, operation, record_ref FROM write_results WHERE run_id = ? LIMIT 10", run_id
    )
    planned = query(
        "SELECT pair, target, action, record_ref, target_field, old_value, new_value, reason FROM plan_rows "
        "WHERE run_id = ? LIMIT 10",
        run_id,
    )
    print(
        query(
            "SELECT pair, target, action, target_field, reason, count(*) FROM plan_rows WHERE run_id = ? GROUP BY ALL ORDER BY ALL",
            run_id,
        )
    )
    print(planned)
    assert planned == [] and writes == []
    print(cycle, {crm: n - before[crm] for crm, n in sandbox.calls().items()})
