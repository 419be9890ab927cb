"""The bookkeeping of stale-plan checks and progress lines in apply (the CRM reads themselves are tested
against the sandbox in tests/integration/test_bulk_and_stale.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from test_apply import MAPPING, RecordingWriter

from crmsync_pipeline.progress import log as progress_log
from crmsync_pipeline.state import db
from crmsync_pipeline.write.apply import apply_plan


class FakeSource:
    """HubSpot as the write step would read it again: `now` holds the current values."""

    crm = "hubspot"

    def __init__(self, now: dict[str, dict[str, str]]):
        self.now = now
        self.reads: list[list[str]] = []

    def read(self, object_name, ids, fields):
        self.reads.append(sorted(ids))
        return {i: {f: self.now.get(i, {}).get(f) for f in fields} for i in ids if i in self.now}


class CheckingWriter(RecordingWriter):
    def __init__(self, source):
        super().__init__()
        self.source = source


@pytest.fixture
def state(tmp_path) -> Path:
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        con.execute(
            "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, lastname VARCHAR, email VARCHAR, "
            "crmsync_salesforce_id VARCHAR, _archived BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, NULL, false)",
            [("1", "Lovelace", "ada@x.org"), ("2", "Hopper", None), ("3", "Curie", None)],
        )
        con.execute(
            'CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, "CrmSync_HubSpot_Id__c" VARCHAR, _deleted BOOLEAN)'
        )
        rows = [
            ("1", "lastname", "LastName", "Lovelace"),
            ("1", "email", "Email", "ada@x.org"),
            ("2", "lastname", "LastName", "Hopper"),
            ("3", "lastname", "LastName", "Curie"),
        ]
        con.executemany(
            "INSERT INTO plan_rows VALUES ('r1', 'contacts', 'salesforce', 'create', ?, ?, 'Lead', NULL, ?, ?, NULL, "
            "?, ?, 'create', NULL, now() - INTERVAL 2 MINUTE)",
            [(ref, ref, f, tf, v, v) for ref, f, tf, v in rows],
        )
    return path


def test_a_create_whose_source_moved_is_held_whole_and_reported(state):
    source = FakeSource({"1": {"lastname": "Lovelace", "email": "ada@new.org"}, "2": {"lastname": "Hopper"}})
    writer = CheckingWriter(source)
    summary = apply_plan(lambda: db.connect(state), writer, "r1", "contacts", MAPPING.pair("contacts"))
    written = [r["CrmSync_HubSpot_Id__c"] for _, _, records in writer.calls for r in records]
    assert written == ["2"]  # 1 moved (email), 3 is gone from HubSpot: neither is created
    assert summary.stale == 2 and summary.created == 1
    with db.connect(state) as con:
        assert con.execute(
            "SELECT record_ref, error_code, error_fields FROM write_results WHERE NOT succeeded ORDER BY 1"
        ).fetchall() == [("1", "STALE_PLAN", ["Email", "LastName"]), ("3", "STALE_PLAN", ["LastName"])]
        assert con.execute("SELECT DISTINCT hubspot_id FROM base_values").fetchall() == [("2",)]
        assert con.execute("SELECT count(*) FROM sync_errors").fetchall() == [(0,)]
        assert con.execute("SELECT DISTINCT source_id FROM audit_log").fetchall() == [("2",)]


def test_young_plan_rows_are_written_without_reading_the_source(state):
    source = FakeSource({})
    writer = CheckingWriter(source)
    summary = apply_plan(
        lambda: db.connect(state),
        writer,
        "r1",
        "contacts",
        MAPPING.pair("contacts"),
        max_age=timedelta(hours=1),
    )
    assert source.reads == [] and summary.created == 3


def test_each_write_batch_reports_progress(state, caplog):
    caplog.set_level(logging.INFO, logger=progress_log.name)
    apply_plan(lambda: db.connect(state), RecordingWriter(), "r1", "contacts", MAPPING.pair("contacts"))
    lines = [r.getMessage() for r in caplog.records if r.name == progress_log.name]
    assert lines == [
        "write salesforce contacts:Lead creates: 2/3 records",
        "write salesforce contacts:Lead creates: 3/3 records",
    ]
