"""Many rows into a state table at once, through Arrow: DuckDB's executemany goes row by row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]], on_conflict: str = ""
) -> None:
    """Insert rows given in the table's column order, with an optional ON CONFLICT clause. `table` is
    one of crmsync's own tables or a name from `state.names.quoted()`."""
    if not rows:
        return
    columns = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    data = pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(columns)})
    con.register("bulk_rows", data)
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM bulk_rows {on_conflict}")
    finally:
        con.unregister("bulk_rows")
