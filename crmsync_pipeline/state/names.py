"""Table and column names in SQL: validated identifiers (values always go in as parameters), and what
the state file holds right now."""

from __future__ import annotations

import re

import duckdb

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def quoted(name: str) -> str:
    """A table or column name from the mapping or the code, checked and double-quoted."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a valid field name: {name!r}")
    return '"' + name + '"'


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether a table or view of that name is there (the state file's, or a temporary one)."""
    found = _catalog_columns(con, table)
    if found is None:
        return bool(
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
            ).fetchall()[0][0]
        )
    return found is not _MISSING


def column_exists(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    found = _catalog_columns(con, table)
    if found is None:
        return bool(
            con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                [table, column],
            ).fetchall()[0][0]
        )
    return column in found


_MISSING: list[str] = []


def _catalog_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """The columns of `table` from a catalog lookup (~0.1 ms, where a query of information_schema binds
    its views over every catalog entry first: ~2 ms, called hundreds of times a sync); `_MISSING` when
    there is no such table, None when the lookup cannot tell (then the caller asks information_schema).
    A relation is only bound, never run, so a missing table leaves an open transaction usable (a failed
    query would abort it). DuckDB finds names case-insensitively where information_schema compares them
    exactly; crmsync's tables are all lower case (migrations, lower_snake_case pair names), and a dotted
    name would be read as schema.table, so only such names take this path."""
    if table != table.lower() or "." in table:
        return None
    try:
        return con.table(table).columns
    except duckdb.CatalogException:
        return _MISSING
    except duckdb.Error:  # e.g. a view that no longer binds: information_schema still lists it
        return None


def state_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every base table of the state file (temporary tables and views left out)."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = 'main'"
    ).fetchall()
    return [name for (name,) in rows]


def nullable_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, bool]:
    """Column name -> whether it takes NULL, in the table's order, of a table that exists."""
    rows = con.execute(
        'SELECT name, NOT "notnull" FROM pragma_table_info(?) ORDER BY cid', [table]
    ).fetchall()
    return dict(rows)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in the table's order, of a table that exists. pragma_table_info
    reads one table, where information_schema and duckdb_columns() bind every view of the state first
    (most of the time of a small incremental extract on a newly opened file)."""
    return dict(con.execute("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", [table]).fetchall())
