"""The state file: created owner-only, migrated once, and an older file carries on under a newer crmsync."""

from __future__ import annotations

import stat

import duckdb

from crmsync_pipeline.state import db


def test_new_state_file_is_owner_only_and_at_the_latest_version(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        version = db.schema_version(con)
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert version == db.migrations()[-1][0]
    assert {"runs", "links", "base_values", "plan_rows", "conflicts", "audit_log", "sync_errors"} <= tables
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopening_applies_nothing_twice_and_keeps_data(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        con.execute("INSERT INTO links VALUES ('contacts', '1', 'Contact', '003x', 'email', now(), 'r1')")
    with db.connect(path) as con:
        assert con.execute("SELECT count(*) FROM crmsync_schema_version").fetchone()[0] == len(
            db.migrations()
        )
        assert con.execute("SELECT salesforce_id FROM links").fetchall() == [("003x",)]


def test_an_older_file_is_migrated_forward(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE crmsync_schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    con.close()  # a file from before any migration ran
    with db.connect(path) as con:
        assert db.schema_version(con) == db.migrations()[-1][0]


def test_read_only_connection_sees_the_data(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        con.execute("INSERT INTO runs VALUES ('r1', now(), NULL, 'running', 'cli', NULL)")
    with db.connect(path, read_only=True) as con:
        assert con.execute("SELECT status FROM runs").fetchone() == ("running",)
