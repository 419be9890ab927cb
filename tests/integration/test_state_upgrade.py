"""A newer crmsync opens a state file written by the first release and carries on: the file is migrated
forward in place, its links and base are kept, and the run neither re-creates nor re-writes records that
were already in agreement."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from sandboxes import Sandbox

from crmsync_pipeline.state import db

pytestmark = pytest.mark.slow  # make test-slow


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=23)
    yield box
    box.stop()


def first_release_copy(current: Path, old: Path) -> None:
    """`current` as crmsync's first schema would have held it: the tables of migration 001 with their
    001 columns, the snapshot tables as they are, nothing that a later migration added."""
    migrations = db.migrations()
    created_by_migrations = {
        name.lower()
        for _, path in migrations
        for name in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", path.read_text(), flags=re.IGNORECASE)
    }
    con = duckdb.connect(str(old))
    con.execute(migrations[0][1].read_text())
    con.execute("CREATE TABLE crmsync_schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    con.execute("INSERT INTO crmsync_schema_version VALUES (1, now())")
    con.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
    first = {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'"
        ).fetchall()
    }
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'cur'"
    ).fetchall():
        if table == "crmsync_schema_version":
            continue
        if table in first:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'old' AND table_name = ?", [table]
            ).fetchall()]  # fmt: skip
            names = ", ".join(f'"{c}"' for c in columns)
            con.execute(f'INSERT INTO old."{table}" ({names}) SELECT {names} FROM cur."{table}"')
        elif table.lower() not in created_by_migrations:  # made by the pipeline itself: keys and all
            ((ddl,),) = con.execute(
                "SELECT sql FROM duckdb_tables() WHERE database_name = 'cur' AND table_name = ?", [table]
            ).fetchall()
            con.execute(ddl)
            con.execute(f'INSERT INTO old."{table}" SELECT * FROM cur."{table}"')
    con.close()


def test_a_first_release_state_file_is_migrated_and_the_sync_carries_on(sandbox, sync, query, tmp_path):
    assert sync().success
    assert sync().success  # settled: the next cycle would write nothing
    current = db.default_state_path()
    links = query("SELECT pair, hubspot_id, salesforce_id FROM links ORDER BY ALL")
    base = query("SELECT count(*) FROM base_values")

    old = tmp_path / "old.duckdb"
    first_release_copy(current, old)
    shutil.copyfile(old, current)
    with duckdb.connect(str(current), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM crmsync_schema_version").fetchall() == [(1,)]
        assert not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'plan_approvals'").fetchall()

    run = sync()
    assert run.success
    assert query("SELECT max(version) FROM crmsync_schema_version") == [(db.migrations()[-1][0],)]
    assert query("SELECT pair, hubspot_id, salesforce_id FROM links ORDER BY ALL") == links
    assert query("SELECT count(*) FROM base_values") == base
    assert query("SELECT count(*) FROM write_results WHERE run_id = ?", run.run_id) == [(0,)]
