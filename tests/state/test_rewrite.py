"""Rewriting the state file after an erasure: the deleted person's bytes are gone from the file while
every live row, table, view, index and constraint stays, and a file another process holds is left alone."""

from __future__ import annotations

import stat
import subprocess
import sys

import duckdb
import pytest

from crmsync_pipeline.state import db
from crmsync_pipeline.state.rewrite import StateInUse, rewrite_state_file

ERASED = "wilhelmina.quorndon@erased.example"


def _catalog(path):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [
            con.execute(q).fetchall()
            for q in (
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns ORDER BY ALL",
                "SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints() ORDER BY ALL",
                "SELECT index_name, sql FROM duckdb_indexes() ORDER BY ALL",
                "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY ALL",
                "SELECT * FROM links ORDER BY ALL",
                "SELECT max(version) FROM crmsync_schema_version",
            )
        ]
    finally:
        con.close()


def _filled(path):  # type: ignore[no-untyped-def]
    """A state with one erased person among many: their message blanked as erasure/scrub.py does."""
    with db.connect(path) as con:
        con.execute(
            "INSERT INTO links SELECT 'contacts', i::VARCHAR, 'Contact', '003' || i, 'email', now(), 'r1' "
            "FROM range(2000) t(i)"
        )
        con.execute(
            "INSERT INTO sync_errors SELECT 'contacts', 'salesforce', i::VARCHAR, 'INVALID_EMAIL_ADDRESS', "
            "CASE WHEN i = 250 THEN 'Email: invalid email address: ' || ? ELSE md5(i::VARCHAR) END, "
            "now(), now(), 1, 'r1' FROM range(500) t(i)",
            [ERASED],
        )
    with db.connect(path) as con:  # the erasure: gone to SQL, its bytes in freed blocks
        con.execute("UPDATE sync_errors SET error_message = NULL WHERE error_message LIKE ?", [f"%{ERASED}%"])
        con.execute("CHECKPOINT")
        assert (
            con.execute("SELECT count(*) FROM sync_errors WHERE error_message LIKE '%erased%'").fetchone()[0]
            == 0
        )


def test_the_rewrite_drops_freed_bytes_and_keeps_everything_live(tmp_path):
    path = tmp_path / "state.duckdb"
    _filled(path)
    assert ERASED.encode() in path.read_bytes()  # what CHECKPOINT leaves behind
    before = _catalog(path)

    rewrite_state_file(path)

    assert ERASED.encode() not in path.read_bytes()
    assert _catalog(path) == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if "rewrite" in p.name] == []
    with db.connect(path) as con:  # and the state carries on: writable, migrated, keys enforced
        con.execute("INSERT INTO links VALUES ('contacts', 'x', 'Contact', '003x', 'email', now(), 'r2')")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO links VALUES ('contacts', 'x', 'Contact', '003y', 'email', now(), 'r2')")


def test_a_file_open_here_or_in_another_process_is_left_alone(tmp_path):
    path = tmp_path / "state.duckdb"
    _filled(path)
    with db.connect(path), pytest.raises(StateInUse, match="this process"):
        rewrite_state_file(path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StateInUse, match="another process"):
            rewrite_state_file(path)
    finally:
        holder.communicate("", timeout=30)
    assert ERASED.encode() in path.read_bytes()  # untouched, for the next try
    rewrite_state_file(path)
    assert ERASED.encode() not in path.read_bytes()
