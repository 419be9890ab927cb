"""What a merge changes in the state: a link moved to the survivor (with its base), a loser's link closed,
HubSpot associations and lookup bases following the survivor (HubSpot moves a loser's associations
itself), the loser's last known values kept in the audit log, a merged-away HubSpot record dropped from
its mirror (its id now answers with the survivor)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.plan.lookups import LOOKUP_FIELD
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

MERGED = "merged"  # audit_log outcome of a loser's kept values: never undone, never re-applied


def relink_hubspot(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    loser_id: str,
    survivor_id: str,
    run_id: str,
    now: datetime,
) -> None:
    """The loser's link (and what both sides agreed on) now belongs to the unlinked HubSpot survivor."""
    con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, survivor_id])
    con.execute(
        "UPDATE base_values SET hubspot_id = ? WHERE pair = ? AND hubspot_id = ?",
        [survivor_id, pair_name, loser_id],
    )
    con.execute(
        "UPDATE links SET hubspot_id = ?, matched_by = 'merge', linked_at = ?, run_id = ? "
        "WHERE pair = ? AND hubspot_id = ?",
        [survivor_id, now, run_id, pair_name, loser_id],
    )


def relink_salesforce(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    loser_id: str,
    survivor_id: str,
    sobject: str,
    run_id: str,
    now: datetime,
) -> None:
    """The loser's link now names the unlinked Salesforce master; base is kept by HubSpot id."""
    con.execute(
        "UPDATE links SET salesforce_id = ?, salesforce_object = ?, matched_by = 'merge', linked_at = ?, "
        "run_id = ? WHERE pair = ? AND salesforce_id = ?",
        [survivor_id, sobject, now, run_id, pair_name, loser_id],
    )


def rekey_hubspot_link(con: duckdb.DuckDBPyConnection, pair_name: str, old_id: str, new_id: str) -> None:
    """HubSpot gave a merge's survivor a new id: the link, its base and its mirror row follow."""
    con.execute(
        "UPDATE links SET hubspot_id = ? WHERE pair = ? AND hubspot_id = ?", [new_id, pair_name, old_id]
    )
    con.execute(
        "UPDATE base_values SET hubspot_id = ? WHERE pair = ? AND hubspot_id = ?", [new_id, pair_name, old_id]
    )
    table = SnapshotTables.of(pair_name).hubspot
    if table_exists(con, table):
        if con.execute(f"SELECT count(*) FROM {quoted(table)} WHERE id = ?", [new_id]).fetchall()[0][0]:
            con.execute(f"DELETE FROM {quoted(table)} WHERE id = ?", [old_id])
        else:
            con.execute(f"UPDATE {quoted(table)} SET id = ? WHERE id = ?", [new_id, old_id])


def close_link(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> None:
    """The loser's link goes, with its base: the record it named is merged away."""
    con.execute("DELETE FROM links WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])


def follow_hubspot_survivor(
    con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_object: str, loser_id: str, survivor_id: str
) -> None:
    """HubSpot moved the loser's associations to the survivor; the mirror and the lookup bases of the
    pairs pointing at this one (Contact.AccountId -> a company) follow, so no lookup is judged changed."""
    if table_exists(con, "hubspot_associations"):
        con.execute(
            "UPDATE hubspot_associations SET from_id = ? WHERE from_object = ? AND from_id = ?",
            [survivor_id, hubspot_object, loser_id],
        )
        con.execute(
            "UPDATE hubspot_associations SET to_id = ? WHERE to_object = ? AND to_id = ?",
            [survivor_id, hubspot_object, loser_id],
        )
    con.execute(
        "UPDATE base_values SET value = ? WHERE field = ? AND value = ?",
        [survivor_id, LOOKUP_FIELD + pair_name, loser_id],
    )


def follow_salesforce_survivor_in_junctions(
    con: duckdb.DuckDBPyConnection, loser_id: str, survivor_id: str
) -> None:
    """Salesforce re-parents a merged record's junction rows (a Contact's OpportunityContactRoles) to
    the master: the junction mirror follows at once, so the deal's contacts are judged by the survivor
    even before the re-parented rows are read again, and no role is added or removed for a dead id."""
    if table_exists(con, "salesforce_junctions"):
        for column in ("this_id", "other_id"):
            con.execute(
                f"UPDATE salesforce_junctions SET {column} = ? WHERE {column} = ?", [survivor_id, loser_id]
            )


def follow_hubspot_survivor_in_junctions(
    con: duckdb.DuckDBPyConnection, loser_id: str, survivor_id: str
) -> None:
    """The deal-contact pairs both sides agreed on (base `@junction:<object>:<contact id>`) name the
    survivor instead of the merged-away contact. Only once both sides hold the survivor: a pair in base
    that one side lacks reads as a removal."""
    ids = {"loser": loser_id, "survivor": survivor_id}
    agreed = "starts_with(b.field, '@junction:') AND ends_with(b.field, ':' || $loser)"
    renamed = "left(b.field, length(b.field) - length($loser)) || $survivor"
    con.execute(  # the survivor was on the deal too: one pair now
        f"""DELETE FROM base_values b WHERE {agreed} AND EXISTS (SELECT 1 FROM base_values s
            WHERE s.pair = b.pair AND s.hubspot_id = b.hubspot_id AND s.field = {renamed})""",
        ids,
    )
    con.execute(f"UPDATE base_values b SET field = {renamed} WHERE {agreed}", ids)


def drop_hubspot_rows(con: duckdb.DuckDBPyConnection, pair_name: str, ids: list[str]) -> None:
    table = SnapshotTables.of(pair_name).hubspot
    if ids and table_exists(con, table):
        con.execute(f"DELETE FROM {quoted(table)} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids])


def drop_merged_hubspot_rows(con: duckdb.DuckDBPyConnection, pair_name: str) -> int:
    """Unlinked mirror rows of records a survivor names in hs_merged_object_ids: gone from HubSpot."""
    table = SnapshotTables.of(pair_name).hubspot
    if not (table_exists(con, table) and column_exists(con, table, "hs_merged_object_ids")):
        return 0
    t = quoted(table)
    merged = f"""SELECT trim(unnest(string_split(hs_merged_object_ids, ';'))) FROM {t}
                 WHERE hs_merged_object_ids IS NOT NULL AND NOT coalesce(_archived, false)"""
    ids = [
        r[0]
        for r in con.execute(
            f"""SELECT id FROM {t} WHERE id IN ({merged})
                AND id NOT IN (SELECT hubspot_id FROM links WHERE pair = ?)""",
            [pair_name],
        ).fetchall()
    ]
    drop_hubspot_rows(con, pair_name, ids)
    return len(ids)


def audit_loser_values(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    side: Side,
    loser_id: str,
    survivor_id: str,
    run_id: str,
    now: datetime,
) -> int:
    """One audit row per mapped field the loser held a value in: before = the loser's value, after = the
    survivor's (as last mirrored), source_id = the survivor (so erasing the survivor's person scrubs them
    too), outcome `merged` (never undone, never re-applied)."""
    tables = SnapshotTables.of(pair_name)
    table = tables.hubspot if side is Side.HUBSPOT else tables.salesforce
    if not table_exists(con, table):
        return 0
    found = con.execute(f"SELECT * FROM {quoted(table)} WHERE id IN (?, ?)", [loser_id, survivor_id])
    columns = [d[0] for d in found.description]
    rows = {r[columns.index("id")]: dict(zip(columns, r, strict=True)) for r in found.fetchall()}
    loser, survivor = rows.get(loser_id), rows.get(survivor_id) or {}
    if loser is None:
        return 0
    names = {
        f.hubspot if side is Side.HUBSPOT else f.salesforce
        for f in pair.fields
        if side is Side.HUBSPOT or f.applies_to(str(loser.get("_sobject")))
    }
    audit = [
        (run_id, pair_name, side.value, loser_id, survivor_id, name, _text(loser[name]),
         _text(survivor.get(name)), False, now, now, MERGED)
        for name in sorted(names)
        if name in loser and loser[name] not in (None, "")
    ]  # fmt: skip
    insert_rows(con, "audit_log", audit)
    return len(audit)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
