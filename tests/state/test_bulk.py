"""insert_rows takes a few rows of plain values as one parameterised INSERT and the rest through Arrow;
both ways must leave the same rows, whatever the column's type (values cast as the Arrow column would
be), NULLs and ON CONFLICT included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import duckdb
import pytest

from crmsync_pipeline.state import bulk

COLUMN_TYPES = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ", "TIMESTAMP", "DATE")
VALUES = {
    "text": ["a", "Ünïcode ✓", "", "42", "true", "2026-01-02 03:04:05"],
    "int": [0, -7, 2**40, 1],
    "float": [0.5, -1.25, 1e20, 3.0],
    "bool": [True, False],
    "aware datetime": [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                       datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))],
    "naive datetime": [datetime(2026, 1, 2, 3, 4, 5, 6)],
    "date": [date(2026, 1, 2)],
}  # fmt: skip


def _insert(con: duckdb.DuckDBPyConnection, rows: list[tuple], arrow: bool, conflict: str = "") -> object:
    few = bulk.FEW_ROWS
    bulk.FEW_ROWS = 0 if arrow else few
    try:
        bulk.insert_rows(con, "t", rows, conflict)
        return con.execute("SELECT * FROM t ORDER BY k").fetchall()
    except duckdb.Error as error:
        return type(error)
    finally:
        bulk.FEW_ROWS = few
        con.execute("DELETE FROM t")


@pytest.mark.parametrize("column_type", COLUMN_TYPES)
@pytest.mark.parametrize("kind", VALUES)
def test_a_few_rows_go_in_as_through_arrow(column_type, kind):
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'America/New_York'")  # casts between TIMESTAMP and TIMESTAMPTZ use it
    con.execute(f"CREATE TABLE t (k INTEGER PRIMARY KEY, v {column_type}, other VARCHAR)")
    rows = [(i, v, None) for i, v in enumerate([*VALUES[kind], None])]
    assert bulk._plain(rows, 3)
    assert _insert(con, rows, arrow=False) == _insert(con, rows, arrow=True)


def test_on_conflict_and_mixed_columns_alike():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v VARCHAR, n DOUBLE)")
    upsert = "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    for arrow in (False, True):
        con.execute("INSERT INTO t VALUES (1, 'old', 1)")
        assert _insert(con, [(1, "new", 2.0), (2, None, None)], arrow, upsert) == [
            (1, "new", 1.0),
            (2, None, None),
        ]
    mixed = [(1, "x", 1), (2, "y", 2.5)]  # ints with floats: one Arrow column of doubles, so Arrow takes it
    assert not bulk._plain(mixed, 3)
