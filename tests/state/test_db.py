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


def test_duckdb_is_limited_to_1gb_unless_told_and_spills_to_an_owner_only_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("CRMSYNC_DUCKDB_MEMORY_LIMIT", raising=False)
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        limit, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert limit == "953.6 MiB"  # DuckDB shows 1GB (10^9 bytes) in MiB
    assert temp == str(tmp_path / "state.duckdb.tmp")
    assert stat.S_IMODE((tmp_path / "state.duckdb.tmp").stat().st_mode) == 0o700
    monkeypatch.setenv("CRMSYNC_DUCKDB_MEMORY_LIMIT", "2GB")
    with db.connect(path) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"


def test_a_file_replaced_or_recreated_while_the_process_runs_is_migrated_again(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path):
        pass
    path.unlink()
    con = duckdb.connect(str(path))  # an older file copied in place, as after a restore
    con.execute("CREATE TABLE crmsync_schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    con.close()
    with db.connect(path) as con:
        assert db.schema_version(con) == db.migrations()[-1][0]
    path.unlink()
    with db.connect(path) as con:  # deleted: a new file, migrated from scratch
        assert con.execute("SELECT count(*) FROM links").fetchone() == (0,)
