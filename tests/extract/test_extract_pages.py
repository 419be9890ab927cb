"""Extract pages reach the snapshot in upserts of a few thousand rows: every row lands, a newer row is
never replaced by an older one, and nothing is written when the extract fails midway (its cursor does
not move either, so the next run reads those records again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.extract.pages import snapshot_writer
from crmsync_pipeline.state import db
from crmsync_pipeline.state.snapshots import ensure_snapshot

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _rows(ids, modified, name="x"):
    return [{"id": str(i), "firstname": name, "_modified_at": modified, "_run_id": "r"} for i in ids]


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        ensure_snapshot(con, "hubspot_people_snapshot", ["firstname"], ("_modified_at",), ("_archived",))
    return path


def test_every_page_lands_and_older_rows_never_replace_newer_ones(state):
    with snapshot_writer(state, "hubspot_people_snapshot") as snapshot:
        snapshot.flush_rows = 250
        for start in range(0, 1_000, 100):
            snapshot.add(_rows(range(start, start + 100), T0 + timedelta(minutes=1), "new"))
        snapshot.add(_rows(range(0, 50), T0, "old"))  # a lagging page of records already read
    with db.connect(state, read_only=True) as con:
        assert con.execute("SELECT count(*), count(*) FILTER (firstname = 'new') FROM hubspot_people_snapshot"
                           ).fetchall() == [(1_000, 1_000)]  # fmt: skip


def test_a_delete_read_from_salesforce_replaces_a_row_stamped_later(tmp_path):
    """A delete moves only SystemModstamp: the deleted row keeps the record's last LastModifiedDate,
    which a row our own write reflected (crmsync's clock) can be ahead of. The delete still lands."""
    path = tmp_path / "state.duckdb"
    table = "salesforce_people_snapshot"
    with db.connect(path) as con:
        ensure_snapshot(con, table, ["FirstName"], ("_modified_at",), ("_deleted",))
    live = {"id": "003A", "FirstName": "Ann", "_modified_at": T0 + timedelta(seconds=1), "_deleted": False}
    with snapshot_writer(path, table) as snapshot:
        snapshot.add([live])
    with snapshot_writer(path, table) as snapshot:
        snapshot.add([{**live, "_modified_at": T0, "_deleted": True}])  # merged away: stamped earlier
    with db.connect(path, read_only=True) as con:
        assert con.execute(f"SELECT _deleted, FirstName FROM {table}").fetchall() == [(True, "Ann")]


def test_a_failed_extract_writes_nothing_it_had_not_flushed(state):
    with pytest.raises(RuntimeError), snapshot_writer(state, "hubspot_people_snapshot") as snapshot:
        snapshot.add(_rows(range(10), T0))
        raise RuntimeError("the CRM went away")
    with db.connect(state, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM hubspot_people_snapshot").fetchall() == [(0,)]
