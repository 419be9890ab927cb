"""Snapshot tables: the current mirror of one CRM object, one row per record, one text column per
fetched field (named exactly as the CRM names it) plus crmsync's own `_` columns. Columns are added
when the mapping starts to need a new field; rows are upserted by id, and a column the rows do not carry
(a field no longer mapped) keeps its last-read values: extract/cursors.py reads it afresh for every
record before it is used again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from crmsync_pipeline.state.names import quoted, table_columns

BOOKKEEPING_TEXT = ("_run_id",)
BOOKKEEPING_TIME = ("_extracted_at",)


@dataclass(frozen=True)
class SnapshotTables:
    """The names of a pair's two snapshot tables."""

    hubspot: str
    salesforce: str

    @classmethod
    def of(cls, pair_name: str) -> SnapshotTables:
        return cls(f"hubspot_{pair_name}_snapshot", f"salesforce_{pair_name}_snapshot")

    def on(self, side: str) -> str:
        """The table of one side ("hubspot" or "salesforce", or a `Side`)."""
        if side not in ("hubspot", "salesforce"):
            raise ValueError(f"not a side: {side!r}")
        return self.hubspot if side == "hubspot" else self.salesforce


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
    fields = list(fields)
    wanted = [(f, "VARCHAR") for f in (*extra_text, *fields, *BOOKKEEPING_TEXT)]
    wanted += [(t, "TIMESTAMPTZ") for t in (*times, *BOOKKEEPING_TIME)] + [(f, "BOOLEAN") for f in flags]
    con.execute(f"CREATE TABLE IF NOT EXISTS {quoted(table)} (id VARCHAR PRIMARY KEY)")
    existing = table_columns(con, table)
    missing = [(name, kind) for name, kind in dict(wanted).items() if name not in existing]
    if not missing:  # every extract of an unchanged mapping
        return []
    held = bool(con.execute(f"SELECT count(*) FROM {quoted(table)}").fetchall()[0][0])
    for name, kind in missing:
        con.execute(f"ALTER TABLE {quoted(table)} ADD COLUMN {quoted(name)} {kind}")
    return [name for name, _ in missing if held and name in fields]


_ARROW = {
    "VARCHAR": pa.string(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
}


def upsert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: list[dict[str, Any]],
    before: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Insert or replace whole rows by id. A column no row of the page has (a field the mapping no
    longer needs, so not read) keeps its stored value: the snapshot holds a field's values as last read,
    never blanks from a read that did not fetch it. `before(con)` runs first, with the rows registered as
    `snapshot_page` and the table still as it was."""
    rows = _without_erased(con, rows)
    if not rows:
        return
    columns = list(table_columns(con, table).items())
    given = set().union(*(r.keys() for r in rows))
    schema = pa.schema([(name, _ARROW[kind]) for name, kind in columns])
    page = pa.table({name: [r.get(name) for r in rows] for name, _ in columns}, schema=schema)
    values = ", ".join(f"{'p' if name in given else 't'}.{quoted(name)}" for name, _ in columns)
    con.register("snapshot_page", page)
    if before is not None:
        before(con)
    # A row read from a lagging index must not replace a newer one (our own confirmed writes included).
    # A delete read from Salesforce always does: it moves only SystemModstamp, so the deleted row keeps
    # the record's last LastModifiedDate, which a row stamped by our own clock (a reflected write) can
    # be ahead of; dropped, the delete or merge would never be seen (soak s11, p997).
    deleted = (
        " OR (coalesce(p._deleted, false) AND NOT coalesce(t._deleted, false))"
        if "_deleted" in given and any(name == "_deleted" for name, _ in columns)
        else ""
    )
    con.execute(f"""INSERT OR REPLACE INTO {quoted(table)} SELECT {values} FROM snapshot_page p
                    LEFT JOIN {quoted(table)} t ON t.id = p.id
                    WHERE t.id IS NULL OR t._modified_at IS NULL OR p._modified_at IS NULL
                       OR p._modified_at >= t._modified_at{deleted}""")
    con.unregister("snapshot_page")


def _without_erased(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose record was not erased. An erased record a CRM still serves (a Salesforce delete
    left in the Recycle Bin when the hard delete was refused, a HubSpot contact archived rather than
    GDPR-deleted: both read back by the extract's look for deletes) must not bring the person back
    into the file: once written, even a deleted row's bytes stay in DuckDB's freed blocks."""
    if not rows:
        return rows
    ids = [str(r["id"]) for r in rows if r.get("id") is not None]
    erased = {
        record_id
        for (record_id,) in con.execute(
            "SELECT hubspot_id FROM erasures WHERE list_contains($1, hubspot_id) "
            "UNION SELECT salesforce_id FROM erasures WHERE list_contains($1, salesforce_id)",
            [ids],
        ).fetchall()
    }
    return [r for r in rows if str(r.get("id")) not in erased] if erased else rows
