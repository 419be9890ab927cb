"""A record the target rejected for its data is not resent while unchanged, but is retried after a
back-off (1 h after the first attempt, then 2 h, 4 h ... at most a day), since the cure may be made on
the target's side: a validation rule relaxed, access granted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "hours_ago", "resent"),
    [(1, 0.5, False), (1, 1.5, True), (3, 3, False), (3, 5, True), (10, 23, False), (10, 25, True)],
)
def test_an_unchanged_rejected_record_waits_out_its_back_off(tmp_path, attempts, hours_ago, resent):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute("CREATE TABLE hs (id VARCHAR, _modified_at TIMESTAMPTZ)")
        con.execute("CREATE TABLE sf (id VARCHAR, _modified_at TIMESTAMPTZ)")
        con.execute("INSERT INTO hs VALUES ('101', ?)", [NOW - timedelta(days=3)])  # unchanged since
        con.execute(
            "INSERT INTO plan_rows VALUES ('run', 'contacts', 'salesforce', 'update', '003A', '101', 'Contact', "
            "'003A', 'jobtitle', 'Title', 'a', 'b', 'b', 'two_way:hubspot_changed', NULL, ?)",
            [NOW],
        )
        last = NOW - timedelta(hours=hours_ago)
        con.execute(
            "INSERT INTO sync_errors VALUES ('contacts', 'salesforce', '003A', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', "
            "'no', ?, ?, ?, 'old')",
            [last - timedelta(days=1), last, attempts],
        )
        con.execute(
            sql("plan/skip_unchanged_failures.sql").format(hubspot_table="hs", salesforce_table="sf"),
            {"run_id": "run", "pair": "contacts", "transient": ["UNABLE_TO_LOCK_ROW"], "now": NOW},
        )
        planned = con.execute("SELECT count(*) FROM plan_rows").fetchall()[0][0]
    assert planned == (1 if resent else 0)
