"""A new record whose key matches a twin already linked to another record (its partner). The key loop
cannot link it (the twin is taken) and the plan would create it a second time. Two causes:

- the partner is gone and crmsync has not seen it yet: HubSpot's archives are listed at most once per
  CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES (extract/archives.py), and a Salesforce hard delete never shows
  in queryAll. A person archived a contact and created it again within the hour. One targeted read of
  just those partners (a HubSpot batch read answers only live records, a merged-away id answers its
  survivor; a Salesforce queryAll of the ids) confirms it; the snapshot is marked as the archive check
  would have marked it, and match/recreated.py relinks the new record in the same run;
- the partner is live: the same person twice on one side (in HubSpot, two contacts with one name at one
  company, as HubSpot refuses a second contact with an email). The new record is never created: a
  review item (`duplicate_hubspot` / `duplicate_salesforce`) names the kept, linked record, its twin
  and the duplicate, and holds the duplicate until decided.

Only the few records in this case cost a call, once: a record held by its item is not read again (the
archive check or a person settles it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import duckdb

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.salesforce_deletes import existing_ids
from crmsync_pipeline.match.merge_losers import hubspot_survivor_of, salesforce_survivor_of
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

KINDS = {"hubspot": "duplicate_hubspot", "salesforce": "duplicate_salesforce"}  # by the duplicate's side


@dataclass(frozen=True)
class LinkedTwinMatch:
    new_id: str
    new_side: str  # hubspot | salesforce: the new record's side, which is also its partner's
    twin_id: str  # the other side's linked record sharing the key
    partner_id: str  # the record the twin is linked to
    partner_sobject: str | None  # the partner's sObject when it is a Salesforce record
    partner_gone: bool  # the snapshot already knows the partner is archived / deleted
    held: bool  # already held by this check's own open item
    key_kind: str


class PartnerReads(Protocol):
    """Targeted reads of a few partner ids: which of them are still live."""

    def live_hubspot(self, ids: list[str]) -> set[str]: ...

    def live_salesforce(self, sobject: str, ids: list[str]) -> set[str]: ...


@dataclass
class ConnectorReads:
    """PartnerReads through the run's connectors (counted like every call; opened at the first read)."""

    object_type: str
    hubspot: Callable[[], HubSpotConnector]
    salesforce: Callable[[], SalesforceConnector]

    def live_hubspot(self, ids: list[str]) -> set[str]:
        # HubSpot answers an archived id with an error and a merged-away id with its survivor (another
        # id): only the ids answered as themselves are live
        return {r["id"] for r in self.hubspot().batch_read(self.object_type, ids, [])} & set(ids)

    def live_salesforce(self, sobject: str, ids: list[str]) -> set[str]:
        found = existing_ids(self.salesforce(), sobject, ids)  # a merge loser is deleted too
        return {i for i, deleted in found.items() if not deleted}


def linked_twin_matches(
    con: duckdb.DuckDBPyConnection, pair_name: str, tables: SnapshotTables
) -> list[LinkedTwinMatch]:
    statement = sql("match/linked_twin_matches.sql").format(
        hubspot_table=quoted(tables.hubspot),
        salesforce_table=quoted(tables.salesforce),
        kinds="(" + ", ".join(f"'{k}'" for k in KINDS.values()) + ")",
        merge_survivor=_merge_survivor(con, tables),
    )
    return [LinkedTwinMatch(*row) for row in con.execute(statement, {"pair": pair_name}).fetchall()]


def _merge_survivor(con: duckdb.DuckDBPyConnection, tables: SnapshotTables) -> str:
    """The new record merged the partner into itself (HubSpot's survivor lists it, Salesforce's loser
    names it its master): not a re-creation nor a duplicate, the plan moves the link to it."""
    hubspot = hubspot_survivor_of(con, tables.hubspot, "nh", "t.partner_id")
    salesforce = salesforce_survivor_of(con, tables.salesforce, "ps", "n.record_id")
    return f"(({hubspot}) OR ({salesforce}))"


def confirm_gone_partners(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    tables: SnapshotTables,
    reads: PartnerReads | None,
    run_id: str,
    now: datetime,
) -> int:
    """Read the partners of new records that match a linked twin; mark the gone ones in the snapshot
    and drop them from `match_keys`, so that match/recreated.py can relink. Returns how many were gone."""
    matches = linked_twin_matches(con, pair_name, tables)
    unread = [m for m in matches if not m.held and not m.partner_gone]
    gone_hubspot = _gone_hubspot(reads, unread)
    gone_salesforce = _gone_salesforce(reads, unread)
    _mark_gone(con, tables, gone_hubspot, gone_salesforce, run_id, now)
    return len(gone_hubspot | gone_salesforce)


def settle_recreated(
    con: duckdb.DuckDBPyConnection, pair_name: str, new_ids: list[str], now: datetime
) -> None:
    """The held records match/recreated.py just gave a gone partner's place: their items settle, so the
    key loop links them."""
    ids = [f"{kind}:{pair_name}:{i}" for i in new_ids for kind in KINDS.values()]
    _settle_items(con, pair_name, ids, "settled: the kept record is gone; this record took its place", now)


def hold_linked_twin_duplicates(
    con: duckdb.DuckDBPyConnection, pair_name: str, tables: SnapshotTables, run_id: str, now: datetime
) -> int:
    """After relinking: every new record still matching a linked twin waits in review, never created.
    This check's open items no longer found settle. Returns how many records are held."""
    matches = linked_twin_matches(con, pair_name, tables)
    items: dict[str, ReviewItem] = {}
    for m in matches:
        items.setdefault(_item_id(pair_name, m), _item(pair_name, m))
    open_review_items(con, items.values(), run_id, now, refresh=True)
    open_ids = con.execute(
        f"SELECT item_id FROM review_items WHERE pair = ? AND settled_at IS NULL AND kind IN "
        f"({', '.join('?' for _ in KINDS)})",
        [pair_name, *KINDS.values()],
    ).fetchall()
    _settle_items(
        con,
        pair_name,
        [i for (i,) in open_ids if i not in items],
        "settled: the record is linked, or no longer shares a key with a linked record",
        now,
    )
    return len(items)


def _gone_hubspot(reads: PartnerReads | None, matches: list[LinkedTwinMatch]) -> set[str]:
    ids = sorted({m.partner_id for m in matches if m.new_side == "hubspot"})
    if reads is None or not ids:
        return set()
    return set(ids) - reads.live_hubspot(ids)


def _gone_salesforce(reads: PartnerReads | None, matches: list[LinkedTwinMatch]) -> set[str]:
    by_sobject: dict[str, set[str]] = {}
    for m in matches:
        if m.new_side == "salesforce" and m.partner_sobject:
            by_sobject.setdefault(m.partner_sobject, set()).add(m.partner_id)
    if reads is None:
        return set()
    gone: set[str] = set()
    for sobject, ids in sorted(by_sobject.items()):
        gone |= ids - reads.live_salesforce(sobject, sorted(ids))
    return gone


def _mark_gone(
    con: duckdb.DuckDBPyConnection,
    tables: SnapshotTables,
    gone_hubspot: set[str],
    gone_salesforce: set[str],
    run_id: str,
    now: datetime,
) -> None:
    """What the archive check (or a queryAll of the delete) would have recorded: the rest of the run
    (deletes, orphans, merges) sees the partner gone, consistently."""
    for side, table, flag, ids in (
        ("hubspot", tables.hubspot, "_archived", gone_hubspot),
        ("salesforce", tables.salesforce, "_deleted", gone_salesforce),
    ):
        if not ids:
            continue
        stamps = {
            c: v for c, v in (("_extracted_at", now), ("_run_id", run_id)) if column_exists(con, table, c)
        }
        assignments = [f"{flag} = true", *(f"{c} = ${c[1:]}" for c in stamps)]
        con.execute(
            f"UPDATE {quoted(table)} SET {', '.join(assignments)} WHERE id IN (SELECT unnest($ids::VARCHAR[]))",
            {"ids": sorted(ids), **{c[1:]: v for c, v in stamps.items()}},
        )
        con.execute(
            "DELETE FROM match_keys WHERE side = $side AND record_id IN (SELECT unnest($ids::VARCHAR[]))",
            {"side": side, "ids": sorted(ids)},
        )


def _item_id(pair_name: str, m: LinkedTwinMatch) -> str:
    return f"{KINDS[m.new_side]}:{pair_name}:{m.new_id}"


def _item(pair_name: str, m: LinkedTwinMatch) -> ReviewItem:
    other = "salesforce" if m.new_side == "hubspot" else "hubspot"
    state = "gone" if m.partner_gone else "live"
    detail = {
        "duplicate_side": m.new_side,
        "kept": m.partner_id,
        f"kept_{other}_id": m.twin_id,
        "key": m.key_kind,
        "why_kept": f"linked to {other} record {m.twin_id}, which shares the {m.key_kind} key ({state})",
    }
    if m.new_side == "hubspot":
        return ReviewItem(_item_id(pair_name, m), KINDS["hubspot"], pair_name, m.new_id, [], detail)
    return ReviewItem(_item_id(pair_name, m), KINDS["salesforce"], pair_name, None, [m.new_id], detail)


def _settle_items(
    con: duckdb.DuckDBPyConnection, pair_name: str, item_ids: list[str], resolution: str, now: datetime
) -> None:
    if item_ids:
        con.execute(
            """UPDATE review_items SET settled_at = $now, resolution = $resolution
               WHERE pair = $pair AND settled_at IS NULL AND item_id IN (SELECT unnest($ids::VARCHAR[]))""",
            {"now": now, "resolution": resolution, "pair": pair_name, "ids": sorted(set(item_ids))},
        )
