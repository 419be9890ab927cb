"""Write bookkeeping: intent before the call, and after it results, errors, links and base that move
only for what the CRM confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state import db
from crmsync_pipeline.state.audit_log import WriteOutcome, record_intent, record_outcomes

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        rows = [
            # run, pair, target, action, ref, hubspot_id, sobject, sf_id, field, old, new, canonical, reason
            (
                "r1",
                "contacts",
                "salesforce",
                "update",
                "003A",
                "1",
                "Contact",
                "003A",
                "Title",
                "Title",
                "Old",
                "CTO",
                "CTO",
                "two_way:hubspot_changed",
            ),
            (
                "r1",
                "contacts",
                "salesforce",
                "update",
                "003B",
                "2",
                "Contact",
                "003B",
                "Title",
                "Title",
                "X",
                "CEO",
                "CEO",
                "two_way:hubspot_changed",
            ),
            (
                "r1",
                "contacts",
                "salesforce",
                "create",
                "3",
                "3",
                "Lead",
                None,
                "LastName",
                "LastName",
                None,
                "Lovelace",
                "Lovelace",
                "create",
            ),
            (
                "r1",
                "contacts",
                "hubspot",
                "create",
                "003C",
                None,
                "Contact",
                "003C",
                "email",
                "email",
                None,
                "c@x.org",
                "c@x.org",
                "create",
            ),
        ]
        con.executemany(
            "INSERT INTO plan_rows (run_id, pair, target, action, record_ref, hubspot_id, salesforce_object, "
            "salesforce_id, field, target_field, old_value, new_value, canonical_value, reason, planned_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            rows,
        )
        yield con


def test_confirmed_writes_move_base_and_failures_do_not(con):
    record_intent(con, "r1", "contacts", "salesforce", ["003A", "003B", "3"], NOW)
    assert con.execute("SELECT count(*) FROM audit_log WHERE outcome = 'intended'").fetchone() == (3,)
    record_outcomes(
        con,
        "r1",
        "contacts",
        "salesforce",
        [
            WriteOutcome.of("003A", WriteResult.ok("003A")),
            WriteOutcome.of(
                "003B",
                WriteResult.failed(
                    "003B",
                    "INSUFFICIENT_ACCESS_OR_READONLY",
                    "insufficient access rights on object id",
                    ("Title",),
                ),
            ),
            WriteOutcome.of("3", WriteResult.ok("00QNEW", created=True)),
        ],
        NOW,
    )
    base = dict(con.execute("SELECT hubspot_id || ':' || field, value FROM base_values").fetchall())
    assert base == {"1:Title": "CTO", "3:LastName": "Lovelace"}
    assert con.execute(
        "SELECT source_id, outcome, record_id FROM audit_log ORDER BY source_id"
    ).fetchall() == [("003A", "confirmed", "003A"), ("003B", "failed", "003B"), ("3", "confirmed", "00QNEW")]
    assert con.execute(
        "SELECT hubspot_id, salesforce_object, salesforce_id, matched_by FROM links"
    ).fetchall() == [("3", "Lead", "00QNEW", "created")]
    assert con.execute("SELECT record_ref, error_code, attempts FROM sync_errors").fetchall() == [
        ("003B", "INSUFFICIENT_ACCESS_OR_READONLY", 1)
    ]
    assert con.execute("SELECT count(*) FROM write_results WHERE succeeded").fetchone() == (2,)


def test_errors_count_attempts_and_leave_once_the_record_syncs(con):
    failure = WriteOutcome.of("003B", WriteResult.failed("003B", "UNABLE_TO_LOCK_ROW", "locked"))
    record_outcomes(con, "r1", "contacts", "salesforce", [failure], NOW)
    record_outcomes(con, "r1", "contacts", "salesforce", [failure], NOW + timedelta(minutes=5))
    first, last, attempts = con.execute("SELECT first_seen, last_seen, attempts FROM sync_errors").fetchone()
    assert attempts == 2 and last - first == timedelta(minutes=5)
    record_outcomes(
        con, "r1", "contacts", "salesforce", [WriteOutcome.of("003B", WriteResult.ok("003B"))], NOW
    )
    assert con.execute("SELECT count(*) FROM sync_errors").fetchone() == (0,)


def test_a_hubspot_create_links_and_bases_under_the_new_hubspot_id(con):
    record_intent(con, "r1", "contacts", "hubspot", ["003C"], NOW)
    created = WriteOutcome.of("003C", WriteResult.ok("5001", created=True))
    record_outcomes(con, "r1", "contacts", "hubspot", [created], NOW)
    assert con.execute("SELECT hubspot_id, salesforce_id FROM links").fetchall() == [("5001", "003C")]
    assert con.execute("SELECT hubspot_id, field, value FROM base_values").fetchall() == [
        ("5001", "email", "c@x.org")
    ]


def test_an_unconfirmed_intent_stays_visible_for_reconciliation(con):
    record_intent(con, "r1", "contacts", "salesforce", ["003A"], NOW)
    # the process dies here: no outcome is recorded
    assert con.execute("SELECT source_id, outcome FROM audit_log").fetchall() == [("003A", "intended")]
    assert con.execute("SELECT count(*) FROM base_values").fetchone() == (0,)


def test_a_failed_record_s_fields_the_crm_took_all_the_same_are_confirmed_and_based(con):
    """HubSpot took a contact's properties and refused its new company association (two calls of one
    write): the record fails (errors table, write_results) but the audit log does not call the property
    HubSpot holds failed, and base moves for it alone. Found by the short chaos soak."""
    con.executemany(
        "INSERT INTO plan_rows (run_id, pair, target, action, record_ref, hubspot_id, salesforce_object, "
        "salesforce_id, field, target_field, old_value, new_value, canonical_value, reason, planned_at) "
        "VALUES ('r1', 'contacts', 'hubspot', 'update', '7', '7', 'Contact', '003D', ?, ?, ?, ?, ?, "
        "'two_way:salesforce_changed', now())",
        [
            ("jobtitle", "jobtitle", "Old", "CTO", "CTO"),
            ("@association:companies:279", "association:companies:279", "100", "200", "200"),
        ],
    )
    record_intent(con, "r1", "contacts", "hubspot", ["7"], NOW)
    refused = WriteResult.failed("7", "INTERNAL_ERROR", "HubSpot did not confirm the association with 200")
    record_outcomes(
        con,
        "r1",
        "contacts",
        "hubspot",
        [WriteOutcome.of("7", refused.partly_applied(frozenset({"jobtitle"})))],
        NOW,
    )
    assert con.execute(
        "SELECT field, outcome FROM audit_log WHERE source_id = '7' ORDER BY field"
    ).fetchall() == [("association:companies:279", "failed"), ("jobtitle", "confirmed")]
    assert con.execute("SELECT field, value FROM base_values WHERE hubspot_id = '7'").fetchall() == [
        ("jobtitle", "CTO")
    ]
    assert con.execute("SELECT record_ref, error_code FROM sync_errors").fetchall() == [
        ("7", "INTERNAL_ERROR")
    ]
    assert con.execute("SELECT succeeded FROM write_results WHERE record_ref = '7'").fetchall() == [(False,)]
