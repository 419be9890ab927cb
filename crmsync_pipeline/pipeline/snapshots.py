"""Snapshot tables: the current mirror of one CRM object, one row per record, one text column per
fetched field (named exactly as the CRM names it) plus crmsync's own `_` columns. Columns are added
when the mapping starts to need a new field; rows are upserted by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from .sql_names import quoted, table_exists

BOOKKEEPING_TEXT = ("_run_id",)
BOOKKEEPING_TIME = ("_extracted_at",)


def ensure_snapshot(
    con: duckdb.DuckDBPyConnection,
    table: str,
    fields: Iterable[str],
    times: Iterable[str],
    flags: Iterable[str],
    extra_text: Iterable[str] = (),
) -> list[str]:
    """Create the table or add the columns it lacks; returns the fetched fields added to a table that
    already held records (a newly mapped field: those records must be read again to fill it in)."""
    held = table_exists(con, table) and bool(
        con.execute(f"SELECT count(*) FROM {quoted(table)}").fetchall()[0][0]
    )
    fields = list(fields)
    added: list[str] = []
    con.execute(f"CREATE TABLE IF NOT EXISTS {quoted(table)} (id VARCHAR PRIMARY KEY)")
    existing = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    wanted = [(f, "VARCHAR") for f in (*extra_text, *fields, *BOOKKEEPING_TEXT)]
    wanted += [(t, "TIMESTAMPTZ") for t in (*times, *BOOKKEEPING_TIME)] + [(f, "BOOLEAN") for f in flags]
    for name, kind in wanted:
        if name not in existing:
            con.execute(f"ALTER TABLE {quoted(table)} ADD COLUMN {quoted(name)} {kind}")
            existing.add(name)
            added.append(name)
    return [name for name in added if held and name in fields]


_ARROW = {
    "VARCHAR": pa.string(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
}


def upsert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert or replace whole rows by id (columns a row lacks become NULL)."""
    if not rows:
        return
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    schema = pa.schema([(name, _ARROW[kind]) for name, kind in columns])
    page = pa.table({name: [r.get(name) for r in rows] for name, _ in columns}, schema=schema)
    con.register("snapshot_page", page)
    # A row read from a lagging index must not replace a newer one (our own confirmed writes included).
    con.execute(f"""INSERT OR REPLACE INTO {quoted(table)} SELECT p.* FROM snapshot_page p
                    LEFT JOIN {quoted(table)} t ON t.id = p.id
                    WHERE t.id IS NULL OR t._modified_at IS NULL OR p._modified_at IS NULL
                       OR p._modified_at >= t._modified_at""")
    con.unregister("snapshot_page")
