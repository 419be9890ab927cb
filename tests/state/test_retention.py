"""The audit log and the per-run tables that carry values are kept for a retention period, then purged;
open conflicts and the live state (links, base) stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.state import db
from crmsync_pipeline.state.retention import purge_older_than, retention_days

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _fill(path, *ages_days: int) -> None:
    with db.connect(path) as con:
        for n, age in enumerate(ages_days):
            at = NOW - timedelta(days=age)
            con.execute(
                "INSERT INTO audit_log VALUES (?, 'contacts', 'salesforce', ?, ?, 'Email', 'old@x.io', 'new@x.io', "
                "false, ?, ?, 'confirmed')",
                [f"run{n}", f"003{n}", f"10{n}", at, at],
            )
            con.execute(
                "INSERT INTO conflicts VALUES (?, 'contacts', ?, ?, 'email', NULL, 'a', 'b', ?, ?, 'hubspot', 'r', ?)",
                [f"run{n}", f"10{n}", f"003{n}", at, at, at],
            )
        con.execute(
            "INSERT INTO conflicts VALUES ('open', 'contacts', '1', '2', 'email', NULL, 'a', 'b', ?, ?, 'review', "
            "'held', NULL)",
            [NOW - timedelta(days=900), NOW - timedelta(days=900)],
        )
        con.execute("INSERT INTO links VALUES ('contacts', '1', 'Contact', '2', 'email', ?, 'run0')", [NOW])


def test_purge_drops_rows_past_retention_and_keeps_the_rest(tmp_path):
    path = tmp_path / "state.duckdb"
    _fill(path, 400, 10)
    with db.connect(path) as con:
        report = purge_older_than(con, 365, now=NOW)
        assert con.execute("SELECT run_id FROM audit_log").fetchall() == [("run1",)]
        assert sorted(r[0] for r in con.execute("SELECT run_id FROM conflicts").fetchall()) == [
            "open",
            "run1",
        ]
        assert con.execute("SELECT count(*) FROM links").fetchall() == [(1,)]
    assert report.deleted["audit_log"] == 1 and report.deleted["conflicts"] == 1


def test_retention_comes_from_the_environment_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv("CRMSYNC_AUDIT_RETENTION_DAYS", raising=False)
    assert retention_days() == 365
    monkeypatch.setenv("CRMSYNC_AUDIT_RETENTION_DAYS", "30")
    assert retention_days() == 30
    for bad in ("0", "a month"):
        monkeypatch.setenv("CRMSYNC_AUDIT_RETENTION_DAYS", bad)
        with pytest.raises(ValueError, match="CRMSYNC_AUDIT_RETENTION_DAYS"):
            retention_days()


def test_crmsync_purge_reports_what_it_deleted(tmp_path, monkeypatch):
    path = tmp_path / "state.duckdb"
    _fill(path, 4000, 1)
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(path))
    result = CliRunner().invoke(cli, ["purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "audit_log: 1" in result.output
    refused = CliRunner().invoke(cli, ["purge", "--older-than", "0"])
    assert refused.exit_code != 0
