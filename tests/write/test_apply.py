"""Applying a plan: creates as keyed upserts, then cross-references, then updates; every batch audited
and its outcome recorded, and nothing applied twice when the run resumes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state import db
from crmsync_pipeline.write.apply import apply_plan
from crmsync_pipeline.write.crm_writer import CrmWriter

MAPPING = load_mapping(Path(__file__).parents[2] / "crmsync.yaml")
NOW = datetime(2026, 11, 28, tzinfo=UTC)


class RecordingWriter(CrmWriter):
    """A CRM stand-in for the bookkeeping only; HTTP behaviour is tested against the sandbox CRMs."""

    crm = "salesforce"
    batch_size = 2

    def __init__(self, fail_refs=()):
        self.calls: list[tuple[str, str, list[dict[str, Any]]]] = []
        self.fail_refs = set(fail_refs)

    def create(self, object_name, key_field, records):
        self.calls.append(("create", object_name, records))
        return [
            WriteResult(None, False, error_code="REQUIRED_FIELD_MISSING", error_message="LastName")
            if r[key_field] in self.fail_refs
            else WriteResult(f"00Q{r[key_field]}", True, created=True)
            for r in records
        ]

    def update(self, object_name, records):
        self.calls.append(("update", object_name, records))
        return [WriteResult(r["id"], True) for r in records]


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        con.execute(
            "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, crmsync_salesforce_id VARCHAR, _archived BOOLEAN)"
        )
        con.execute(
            'CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, "CrmSync_HubSpot_Id__c" VARCHAR, '
            "_deleted BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO hubspot_contacts_snapshot VALUES (?, NULL, false)", [("1",), ("2",), ("3",)]
        )
        rows = [
            ("1", "LastName", "Lovelace"),
            ("1", "Email", "ada@x.org"),
            ("2", "LastName", "Hopper"),
            ("3", "LastName", ""),
        ]
        con.executemany(
            "INSERT INTO plan_rows VALUES ('r1', 'contacts', 'salesforce', 'create', ?, ?, 'Lead', NULL, ?, ?, NULL, "
            "?, ?, 'create', NULL, now())",
            [(ref, ref, f, f, v, v) for ref, f, v in rows],
        )
    return path


def test_creates_are_keyed_upserts_then_cross_references_go_back_to_hubspot(state):
    writer = RecordingWriter(fail_refs={"3"})
    summary = apply_plan(lambda: db.connect(state), writer, "r1", "contacts", MAPPING.pair("contacts"))
    assert (summary.created, summary.failed, dict(summary.errors)) == (2, 1, {"REQUIRED_FIELD_MISSING": 1})
    kind, obj, records = writer.calls[0]
    assert (kind, obj) == ("create", "Lead")
    assert records[0] == {"Email": "ada@x.org", "LastName": "Lovelace", "CrmSync_HubSpot_Id__c": "1"}
    with db.connect(state) as con:
        assert con.execute("SELECT hubspot_id, salesforce_id FROM links ORDER BY 1").fetchall() == [
            ("1", "00Q1"),
            ("2", "00Q2"),
        ]
        # the HubSpot side learns each new Salesforce id (planned for the HubSpot writer)
        assert con.execute(
            "SELECT record_ref, new_value FROM plan_rows WHERE field = '@xref' ORDER BY 1"
        ).fetchall() == [("1", "00Q1"), ("2", "00Q2")]
        assert con.execute("SELECT record_ref, error_code FROM sync_errors").fetchall() == [
            ("3", "REQUIRED_FIELD_MISSING")
        ]


def test_a_resumed_run_does_not_write_confirmed_records_again(state):
    first = RecordingWriter()
    apply_plan(lambda: db.connect(state), first, "r1", "contacts", MAPPING.pair("contacts"))
    second = RecordingWriter()
    apply_plan(lambda: db.connect(state), second, "r1", "contacts", MAPPING.pair("contacts"))
    assert len(first.calls) == 2 and second.calls == []


class IntentCheckingWriter(RecordingWriter):
    """Looks in the audit log at the moment of each call, as a crash right then would leave it."""

    def __init__(self, state, fail_on_call=None):
        super().__init__()
        self.state = state
        self.fail_on_call = fail_on_call
        self.intended_at_call: list[set[str]] = []

    def create(self, object_name, key_field, records):
        with db.connect(self.state, read_only=False) as con:
            intended = {
                r[0]
                for r in con.execute("SELECT source_id FROM audit_log WHERE outcome = 'intended'").fetchall()
            }
        self.intended_at_call.append(intended)
        if self.fail_on_call == len(self.intended_at_call):
            raise ConnectionError("the CRM went away")
        return super().create(object_name, key_field, records)


def test_every_batch_is_intended_before_its_call_and_confirmed_after(state):
    writer = IntentCheckingWriter(state)
    apply_plan(lambda: db.connect(state), writer, "r1", "contacts", MAPPING.pair("contacts"))
    # batches of two: refs 1 and 2, then 3; each call found its own records intended
    assert [{r["CrmSync_HubSpot_Id__c"] for r in records} for _, _, records in writer.calls] == [
        {"1", "2"},
        {"3"},
    ]
    assert {"1", "2"} <= writer.intended_at_call[0] and "3" not in writer.intended_at_call[0]
    assert "3" in writer.intended_at_call[1]
    with db.connect(state) as con:
        assert con.execute("SELECT DISTINCT outcome FROM audit_log").fetchall() == [("confirmed",)]


def test_a_failed_call_stops_the_writes_and_no_later_batch_is_intended(state):
    writer = IntentCheckingWriter(state, fail_on_call=1)
    with pytest.raises(ConnectionError):
        apply_plan(lambda: db.connect(state), writer, "r1", "contacts", MAPPING.pair("contacts"))
    assert len(writer.intended_at_call) == 1
    with db.connect(state) as con:
        # the batch whose call failed stays intended (the next run settles it); the next was never begun
        assert con.execute("SELECT DISTINCT source_id, outcome FROM audit_log ORDER BY 1").fetchall() == [
            ("1", "intended"),
            ("2", "intended"),
        ]


def test_a_batch_the_crm_took_is_recorded_even_when_the_next_batchs_check_fails(state, monkeypatch):
    from crmsync_pipeline.write import batch_pipeline

    checked: list[list] = []

    def second_check_fails(job, batch):
        checked.append(batch)
        if len(checked) == 2:  # e.g. the re-read of the next batch's source lost its connection
            raise ConnectionError("source read failed")
        return batch

    monkeypatch.setattr(batch_pipeline, "fresh_rows", second_check_fails)
    writer = RecordingWriter()
    with pytest.raises(ConnectionError):
        apply_plan(lambda: db.connect(state), writer, "r1", "contacts", MAPPING.pair("contacts"))
    assert len(writer.calls) == 1  # the first batch went out while the second was being checked
    with db.connect(state) as con:
        assert con.execute("SELECT DISTINCT source_id, outcome FROM audit_log ORDER BY 1").fetchall() == [
            ("1", "confirmed"),
            ("2", "confirmed"),
        ]
        assert con.execute("SELECT hubspot_id, salesforce_id FROM links ORDER BY 1").fetchall() == [
            ("1", "00Q1"),
            ("2", "00Q2"),
        ]
