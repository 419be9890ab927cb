"""The cursor bookkeeping every incremental extract shares (extract/cursors.py): a first read is a full
load, a later one starts the overlap before the previous read started, newly mapped columns force a
full read, the cursor moves only with the last rows, and the stats count pages, records and calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.cursors import Incremental, read_cursor
from crmsync_pipeline.state import db
from crmsync_pipeline.state.snapshots import ensure_snapshot

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
TABLE = "hubspot_people_snapshot"
CURSOR = Incremental("hubspot", "people", timedelta(seconds=15))


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "state.duckdb"
    with db.connect(path) as con:
        ensure_snapshot(con, TABLE, ["firstname"], ("_modified_at",), ("_archived",))
    return path


def _page(ids):
    return [{"id": str(i), "firstname": "x", "_modified_at": T0, "_run_id": "r"} for i in ids]


def test_a_first_read_is_full_and_the_next_starts_the_overlap_before_it(state):
    meter = CallMeter()
    with CURSOR.window(state, meter, "run-1", clock=lambda: T0) as window:
        assert window.since is None and window.stats.full
        meter.count("hubspot", "crm.objects.list")
        window.write(state, TABLE, [_page(range(3)), _page(range(3, 5))])
    assert (window.stats.pages, window.stats.records, window.stats.api_calls) == (2, 5, 1)
    assert read_cursor(state, "hubspot", "people") == T0
    later = T0 + timedelta(minutes=15)
    with CURSOR.window(state, CallMeter(), "run-2", clock=lambda: later) as window:
        assert window.since == T0 - timedelta(seconds=15) and not window.stats.full
        window.read_everything()  # newly mapped columns
        assert window.since is None and window.stats.full
        window.write(state, TABLE, [])
    assert read_cursor(state, "hubspot", "people") == later
    with db.connect(state, read_only=True) as con:
        assert con.execute("SELECT records_seen, run_id FROM extract_cursors").fetchall() == [(5, "run-2")]


def test_a_failed_read_leaves_the_cursor_where_it_was(state):
    def pages():
        yield _page(range(3))
        raise RuntimeError("the CRM went away")

    with pytest.raises(RuntimeError), CURSOR.window(state, CallMeter(), "run-1", clock=lambda: T0) as window:
        window.write(state, TABLE, pages())
    assert read_cursor(state, "hubspot", "people") is None


def _read(state, run_id, at, fields, rows):
    """One extract fetching `fields`: returns its window after writing `rows`."""
    with CURSOR.window(state, CallMeter(), run_id, clock=lambda: at) as window:
        with db.connect(state) as con:
            ensure_snapshot(con, TABLE, fields, ("_modified_at",), ("_archived",))
            window.keep_current(con, fields)
        window.write(state, TABLE, [rows])
    return window


def test_a_field_mapped_again_is_read_for_every_record_and_kept_meanwhile(state):
    """Unmapped, a field keeps its last-read values (rows read meanwhile do not blank it); mapped again,
    the read that follows lists every record, since the reads in between did not fetch it."""
    _read(state, "run-1", T0, ["firstname", "phone"], [{**r, "phone": "555"} for r in _page(range(2))])
    later = T0 + timedelta(minutes=5)
    unmapped = _read(state, "run-2", later, ["firstname"], [{**_page([0])[0], "_modified_at": later}])
    assert not unmapped.stats.full and unmapped.stats.unread_fields == []
    with db.connect(state, read_only=True) as con:
        assert con.execute(f"SELECT id, phone FROM {TABLE} ORDER BY id").fetchall() == [
            ("0", "555"),
            ("1", "555"),
        ]
        assert con.execute("SELECT fields FROM extract_cursors").fetchall() == [(["firstname"],)]
    again = _read(state, "run-3", later + timedelta(minutes=5), ["firstname", "phone"], [])
    assert again.since is None and again.stats.full and again.stats.unread_fields == ["phone"]
    steady = _read(state, "run-4", later + timedelta(minutes=10), ["firstname", "phone"], [])
    assert not steady.stats.full
