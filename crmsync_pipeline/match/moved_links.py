"""A link that moves to another record (a merge's survivor, the Contact a Lead was converted into) keeps
the base the loser agreed on. Where the new record holds nothing in a field whose base holds a value,
that empty was never set on the new record: a CRM's merge keeps the master's values blanks included, and
a conversion does not copy custom fields. Judged against the loser's base it would read as a clear and
blank the other side (issue 15). So base goes for those fields only: the next plan takes them as a first
link, where a value never set never blanks the other side and the other side's value fills the new
record (`fill_empty`). Fields the new record does hold keep their base and are judged as changes."""

from __future__ import annotations

from typing import Any

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

# the base field of a lookup association (plan/lookups.py's LOOKUP_FIELD; match sits below plan)
ASSOCIATION_FIELD = "@association:"


def linked_merge_survivors(con: duckdb.DuckDBPyConnection, salesforce_table: str) -> str:
    """A subquery (parameter $pair) of the Salesforce records that are the master of a linked record merged
    away: the merge's link moves to them in the plan stage (plan/record_merges.py). A Lead converted into
    such a record in the same cycle finds it taken: a Contact's link outranks a Lead's (the kept record
    of a Lead and a Contact is the Contact), so the conversion is a merge of two linked records there,
    whichever of the merge and the conversion came first (soak s11, p266 and p904)."""
    if not column_exists(con, salesforce_table, "_master_record_id"):
        return "SELECT NULL::VARCHAR WHERE false"
    return f"""SELECT m._master_record_id FROM {quoted(salesforce_table)} m
               JOIN links ml ON ml.pair = $pair AND ml.salesforce_id = m.id
               WHERE coalesce(m._deleted, false) AND m._master_record_id IS NOT NULL
                 AND m._master_record_id <> m.id"""


def forget_base_where_empty(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    side: Side,
    record_id: str,
    hubspot_id: str,
) -> list[str]:
    """Forget the base of link `hubspot_id` for every field `record_id` (the record the link moved to, on
    `side`) holds empty while base holds a value; all of it when the record was not read yet. Returns the
    fields forgotten."""
    record = _snapshot_row(con, SnapshotTables.of(pair_name).on(side), record_id)
    agreed = con.execute(
        "SELECT field FROM base_values WHERE pair = ? AND hubspot_id = ? AND value IS NOT NULL ORDER BY field",
        [pair_name, hubspot_id],
    ).fetchall()
    fields = [f for (f,) in agreed if record is None or f in _empty_fields(pair, side, record)]
    if fields:
        con.execute(
            "DELETE FROM base_values WHERE pair = ? AND hubspot_id = ? AND field IN (SELECT unnest(?::VARCHAR[]))",
            [pair_name, hubspot_id, fields],
        )
    return fields


def _snapshot_row(con: duckdb.DuckDBPyConnection, table: str, record_id: str) -> dict[str, Any] | None:
    if not table_exists(con, table):
        return None
    found = con.execute(f"SELECT * FROM {quoted(table)} WHERE id = ?", [record_id])
    columns = [d[0] for d in found.description]
    rows = found.fetchall()
    return dict(zip(columns, rows[0], strict=True)) if rows else None


def _empty_fields(pair: ObjectPair, side: Side, record: dict[str, Any]) -> set[str]:
    """The base field names whose column the record holds empty (an empty value is canonical NULL under
    every transform). HubSpot associations are not columns: HubSpot's merge moves them itself."""
    sobject = str(record.get("_sobject"))
    empty: set[str] = set()
    for mapped in pair.fields:
        if side is Side.SALESFORCE and not mapped.applies_to(sobject):
            continue
        if _is_empty(record.get(mapped.side_field(side))):
            empty.add(mapped.name)
    if side is Side.SALESFORCE:
        for association in pair.associations:
            applies = association.salesforce_objects is None or sobject in association.salesforce_objects
            if (
                association.salesforce_field
                and applies
                and _is_empty(record.get(association.salesforce_field))
            ):
                empty.add(ASSOCIATION_FIELD + association.to)
    return empty


def _is_empty(value: object) -> bool:
    return value is None or not str(value).strip()
