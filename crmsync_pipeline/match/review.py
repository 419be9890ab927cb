"""What matching cannot decide alone: records sharing a key (ambiguous, sent to review), a person who is
both a Contact and a Lead (the Lead reported as a duplicate), and Leads converted in Salesforce (their
HubSpot record relinked to the new Contact)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.match.moved_links import forget_base_where_empty
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items


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


def open_duplicates(con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str, now: datetime) -> int:
    """Salesforce records that share a key with a linked record of a preferred sObject (its Lead)."""
    rows = con.execute(sql("match/duplicate_leads.sql"), {"pair": pair_name}).fetchall()
    return open_review_items(
        con,
        [
            ReviewItem(
                f"duplicate:{pair_name}:{dup}",
                "duplicate_lead",
                pair_name,
                hubspot_id,
                [dup],
                {"duplicate_object": dup_object, "kept": linked, "key": key_kind},
            )
            for dup, dup_object, hubspot_id, linked, key_kind in rows
        ],
        run_id,
        now,
    )


def hold_unlinked_duplicates(
    con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str, now: datetime
) -> int:
    """Unlinked Salesforce records sharing a key: one may be created in HubSpot, the others wait in review
    (HubSpot would refuse a second contact with the same email anyway)."""
    rows = con.execute(sql("match/unlinked_salesforce_duplicates.sql"), {"pair": pair_name}).fetchall()
    return open_review_items(
        con,
        [
            ReviewItem(
                f"duplicate:{pair_name}:{record_id}",
                "duplicate_lead" if kept else "ambiguous_match",
                pair_name,
                None,
                [record_id],
                {"duplicate_object": sobject, "kept": kept, "key": key_kind},
            )
            for record_id, sobject, key_kind, kept in rows
        ],
        run_id,
        now,
    )


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
        sql("match/relink_converted_leads.sql").format(salesforce_table=quoted(table)),
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


def _converted_links(con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str) -> int:
    return con.execute(
        "SELECT count(*) FROM links WHERE pair = ? AND matched_by = 'converted_lead' AND run_id = ?",
        [pair_name, run_id],
    ).fetchall()[0][0]
