"""A run killed between a write's intent and its answer leaves 'intended' audit rows; the next run's
apply marks them 'interrupted' (undo never reverts them), except those of a Bulk job still to reconcile."""

from __future__ import annotations

from datetime import UTC, datetime

from crmsync_pipeline.state import db
from crmsync_pipeline.state.audit_log import mark_interrupted_intents, record_intent

NOW = datetime(2026, 11, 29, 6, tzinfo=UTC)


def _plan(con, run_id: str, ref: str) -> None:
    con.execute(
        "INSERT INTO plan_rows (run_id, pair, target, action, record_ref, hubspot_id, salesforce_object, "
        "salesforce_id, field, target_field, old_value, new_value, canonical_value, reason, planned_at) "
        "VALUES (?, 'contacts', 'salesforce', 'update', ?, '1', 'Contact', ?, 'jobtitle', 'Title', 'a', 'b', "
        "'b', 'two_way:hubspot_changed', now())",
        [run_id, ref, ref],
    )


def test_intents_a_dead_run_left_are_marked_interrupted_but_a_bulk_job_waits_for_reconciliation(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        for ref in ("003A", "003B"):
            _plan(con, "dead", ref)
        record_intent(con, "dead", "contacts", "salesforce", ["003A", "003B"], NOW)
        con.execute(
            "INSERT INTO bulk_jobs (job_id, run_id, pair, sobject, operation, state, created_at, updated_at) "
            "VALUES ('750J', 'dead', 'contacts', 'Contact', 'update', 'submitted', now(), now())"
        )
        con.execute("INSERT INTO bulk_job_records VALUES ('750J', 1, '003B', '{}')")
        _plan(con, "live", "003C")
        record_intent(con, "live", "contacts", "salesforce", ["003C"], NOW)

        mark_interrupted_intents(con, "live", "contacts", "salesforce")

        outcomes = con.execute("SELECT run_id, source_id, outcome FROM audit_log ORDER BY ALL").fetchall()
    assert outcomes == [
        ("dead", "003A", "interrupted"),
        ("dead", "003B", "intended"),  # its Bulk job is reconciled from the job's results instead
        ("live", "003C", "intended"),  # this run's own intents are its own to settle
    ]
