"""Many rows into a state table at once, through Arrow: DuckDB's executemany goes row by row. A few rows
of plain values go in as one parameterised INSERT ... VALUES instead: registering an Arrow table costs
~3 ms however small it is, and most inserts of a sync are of a handful of rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

# Below this many rows, when each column's values (NULLs aside) are all of one of PLAIN_TYPES, the rows go
# in as parameters: each value is cast to its column's type as its Arrow column would be (a column mixing
# types, e.g. ints with floats, is one Arrow type, so it keeps that path; tests/state/test_bulk.py).
# Measured: 1 row 0.7 ms (Arrow 2.7-7 ms), 5 rows 1.1 ms (2.7), 50 rows 3.2 ms (3.2).
FEW_ROWS = 20
PLAIN_TYPES = frozenset({str, int, float, bool, datetime, date})


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]], on_conflict: str = ""
) -> None:
    """Insert rows given in the table's column order, with an optional ON CONFLICT clause. `table` is
    one of crmsync's own tables or a name from `state.names.quoted()`."""
    if not rows:
        return
    columns = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    names = ", ".join(f'"{c}"' for c in columns)
    if len(rows) < FEW_ROWS and _plain(rows, len(columns)):
        _insert_values(con, table, names, len(columns), rows, on_conflict)
        return
    data = pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(columns)})
    con.register("bulk_rows", data)
    try:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM bulk_rows {on_conflict}")
    finally:
        con.unregister("bulk_rows")


def _plain(rows: Sequence[Sequence[Any]], width: int) -> bool:
    for i in range(width):
        kinds = {type(row[i]) for row in rows if len(row) > i and row[i] is not None}
        if len(kinds) > 1 or not kinds <= PLAIN_TYPES:
            return False
    return True


def _insert_values(
    con: duckdb.DuckDBPyConnection,
    table: str,
    names: str,
    width: int,
    rows: Sequence[Sequence[Any]],
    on_conflict: str,
) -> None:
    if any(len(row) != width for row in rows):  # as the Arrow path, which takes the first `width` values
        rows = [row[:width] for row in rows]
    one = "(" + ", ".join(["?"] * width) + ")"
    values = ", ".join([one] * len(rows))
    con.execute(
        f"INSERT INTO {table} ({names}) VALUES {values} {on_conflict}", [v for row in rows for v in row]
    )
