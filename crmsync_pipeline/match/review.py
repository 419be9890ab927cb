"""What matching cannot decide alone: records sharing a key (ambiguous, sent to review), a person who is
both a Contact and a Lead (the Lead reported as a duplicate), and Leads converted in Salesforce (their
HubSpot record relinked to the new Contact)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.match.moved_links import forget_base_where_empty, linked_merge_survivors
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

DUPLICATE_PREFIX = "duplicate:"  # item ids: duplicate:<pair>:<the duplicate's Salesforce id>


def open_ambiguities(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    key_kind: str,
    rows: list[tuple],
    run_id: str,
    now: datetime,
) -> int:
    """HubSpot records whose key value several Salesforce records share (`rows` from match_by_key.sql)."""
    candidates: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for hubspot_id, salesforce_id, _, key_value, outcome in rows:
        if outcome == "ambiguous":
            candidates.setdefault(hubspot_id, []).append(salesforce_id)
            values[hubspot_id] = key_value
    return open_review_items(
        con,
        [
            ReviewItem(
                f"ambiguous_match:{pair_name}:{h}",
                "ambiguous_match",
                pair_name,
                h,
                sorted(ids),
                {"key": key_kind, "value": values[h].replace("\x1f", " | ")},
            )
            for h, ids in candidates.items()
        ],
        run_id,
        now,
    )


def open_duplicates(con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str, now: datetime) -> set[str]:
    """Unlinked Salesforce records that share a key with a linked record of the same or a preferred
    sObject (the person's Contact, or the Lead kept of two): `duplicate_lead` items naming it."""
    rows = con.execute(sql("match/duplicate_leads.sql"), {"pair": pair_name}).fetchall()
    items = [
        _duplicate_item(
            pair_name, dup, dup_object, hubspot_id, linked, key_kind, f"linked to HubSpot record {hubspot_id}"
        )
        for dup, dup_object, hubspot_id, linked, key_kind in rows
    ]
    open_review_items(con, items, run_id, now, refresh=True)
    return {i.item_id for i in items}


def hold_unlinked_duplicates(
    con: duckdb.DuckDBPyConnection, pair_name: str, salesforce_table: str, run_id: str, now: datetime
) -> set[str]:
    """Unlinked Salesforce records sharing a key: the kept one may be created in HubSpot, the others wait
    in review (HubSpot would refuse a second contact with the same email anyway)."""
    created_at = (
        "s._created_at" if "_created_at" in table_columns(con, salesforce_table) else "NULL::TIMESTAMPTZ"
    )
    statement = sql("match/unlinked_salesforce_duplicates.sql").format(
        salesforce_table=quoted(salesforce_table), created_at=created_at
    )
    rows = con.execute(statement, {"pair": pair_name}).fetchall()
    items = [
        _duplicate_item(pair_name, record_id, sobject, None, kept, key_kind, why)
        for record_id, sobject, key_kind, kept, why in rows
    ]
    open_review_items(con, items, run_id, now, refresh=True)
    return {i.item_id for i in items}


def _duplicate_item(
    pair_name: str, duplicate: str, sobject: str, hubspot_id: str | None, kept: str, key_kind: str, why: str
) -> ReviewItem:
    return ReviewItem(
        f"{DUPLICATE_PREFIX}{pair_name}:{duplicate}",
        "duplicate_lead",
        pair_name,
        hubspot_id,
        [duplicate],
        {"duplicate_object": sobject, "kept": kept, "why_kept": why, "key": key_kind},
    )


def settle_duplicates(con: duckdb.DuckDBPyConnection, pair_name: str, opened: set[str], now: datetime) -> int:
    """Close the pair's open duplicate items this run's match no longer finds (`opened` are the ones it
    found): the duplicate was merged, deleted, converted or linked, or no longer shares the key. Their
    resolution says whether the kept record is linked."""
    rows = con.execute(
        """UPDATE review_items r
           SET settled_at = $now,
               resolution = CASE WHEN (detail->>'kept') IN (SELECT salesforce_id FROM links WHERE pair = $pair)
                                 THEN 'settled: the kept record is linked, the duplicate no longer shares its key'
                                 ELSE 'settled: the duplicate no longer shares a key with another record' END
           WHERE r.pair = $pair AND r.settled_at IS NULL AND starts_with(r.item_id, $prefix)
             AND r.item_id NOT IN (SELECT unnest($opened::VARCHAR[]))
           RETURNING item_id""",
        {
            "pair": pair_name,
            "now": now,
            "prefix": f"{DUPLICATE_PREFIX}{pair_name}:",
            "opened": sorted(opened),
        },
    ).fetchall()
    return len(rows)


def relink_converted_leads(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, table: str, run_id: str, now: datetime
) -> int:
    """A Lead converted in Salesforce: its HubSpot record now belongs with the Contact."""
    if (
        "Lead" not in pair.salesforce
        or not {"IsConverted", "ConvertedContactId"} <= table_columns(con, table).keys()
    ):
        return 0
    before = _converted_links(con, pair_name, run_id)
    con.execute(
        sql("match/relink_converted_leads.sql").format(
            salesforce_table=quoted(table),
            merge_survivors=linked_merge_survivors(con, table),
            paired_contacts=_paired_contacts(con, pair_name, pair, table),
        ),
        {"pair": pair_name, "now": now, "run_id": run_id},
    )
    moved = con.execute(
        "SELECT hubspot_id, salesforce_id FROM links WHERE pair = ? AND matched_by = 'converted_lead' "
        "AND run_id = ? AND linked_at = ?",
        [pair_name, run_id, now],
    ).fetchall()
    for hubspot_id, contact_id in moved:  # a conversion is a merge, not a reset: nothing cleared
        forget_base_where_empty(con, pair_name, pair, Side.SALESFORCE, contact_id, hubspot_id)
    return _converted_links(con, pair_name, run_id) - before


def _paired_contacts(con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, table: str) -> str:
    """A subquery (contact_id, hubspot_id) of the Contacts whose cross-reference id names a live HubSpot
    record that names them back: a pair crmsync linked, whatever the state file says now."""
    xref = pair.xref
    hubspot = SnapshotTables.of(pair_name).hubspot
    if xref.salesforce_field not in table_columns(con, table) or xref.hubspot_property not in table_columns(
        con, hubspot
    ):
        return "SELECT NULL::VARCHAR AS contact_id, NULL::VARCHAR AS hubspot_id WHERE false"
    return (
        f"SELECT c.id AS contact_id, h.id AS hubspot_id FROM {quoted(table)} c "
        f"JOIN {quoted(hubspot)} h ON h.id = c.{quoted(xref.salesforce_field)} "
        f"AND h.{quoted(xref.hubspot_property)} = c.id AND NOT coalesce(h._archived, false) "
        "WHERE c._sobject = 'Contact'"
    )


def _converted_links(con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str) -> int:
    return con.execute(
        "SELECT count(*) FROM links WHERE pair = ? AND matched_by = 'converted_lead' AND run_id = ?",
        [pair_name, run_id],
    ).fetchall()[0][0]
