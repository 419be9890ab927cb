"""Merges while syncing: a person merged two records on one side (HubSpot: the survivor's
`hs_merged_object_ids`; Salesforce: a deleted row's `MasterRecordId`) and at least the loser was linked.

- Only the loser was linked: its link (and base) moves to the survivor. The CRM's merge already filled
  the survivor's empty fields from the loser; the plan that follows judges those as changes by the
  fields' rules and writes them to the other side.
- Both were linked, to two records on the other side (a linked Lead converted into a linked Contact is
  such a merge too: the Lead is the loser, never left linked): the loser's link closes and the survivor keeps
  its own. With the pair's `merges: mirror` the other side's two records are merged as well (survivor:
  the survivor's partner), by the writes step (crmsync_pipeline/write/record_merges.py); with
  `merges: review` (the default) a review item asks a person to.
Either way the loser's last known values go to the audit log, and neither the loser nor the other
side's loser-to-be is ever created again. Runs inside the plan stage's transaction, before creates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.config.pairs import MergeAction
from crmsync_pipeline.connectors.merges import HUBSPOT_MERGEABLE, SALESFORCE_MERGEABLE
from crmsync_pipeline.match.moved_links import forget_base_where_empty, linked_merge_survivors
from crmsync_pipeline.plan.record_merge_links import (
    audit_loser_values,
    close_link,
    drop_hubspot_rows,
    drop_merged_hubspot_rows,
    follow_hubspot_survivor,
    follow_hubspot_survivor_in_junctions,
    follow_salesforce_survivor_in_junctions,
    relink_hubspot,
    relink_salesforce,
)
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.state.sync_errors import forget_errors


@dataclass
class MergeReport:
    relinked: int = 0
    mirrored: int = 0  # other-side merges planned for the writes step
    reviewed: int = 0
    held: dict[Side, set[str]] = field(default_factory=lambda: {Side.HUBSPOT: set(), Side.SALESFORCE: set()})


@dataclass(frozen=True)
class SeenMerge:
    side: Side
    loser_id: str
    survivor_id: str
    salesforce_object: str
    loser_partner: str  # what the loser was linked to on the other side
    how: str = "merge"  # or "lead_conversion": a linked Lead converted into a linked Contact


def handle_record_merges(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, run_id: str, now: datetime
) -> MergeReport:
    report = MergeReport()
    tables = SnapshotTables.of(pair_name)
    if (
        table_exists(con, "record_merges")
        and table_exists(con, tables.hubspot)
        and table_exists(con, tables.salesforce)
    ):
        for merge in seen_merges(con, pair_name):
            action = _handle(con, pair_name, pair, merge, run_id, now)
            report.relinked += action == "relinked"
            report.mirrored += action == "mirror"
            report.reviewed += action == "review"
        settle_merged_by_hand(con, pair_name, now)
        drop_merged_hubspot_rows(con, pair_name)
    report.held = held_records(con, pair_name)
    return report


def merges_seen(state_path: Path, run_id: str, pair_name: str) -> dict[str, int]:
    """Merges this run's plan acted on, by action (relinked, mirror, review), for the plan's metadata."""
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT action, count(*) FROM record_merges WHERE run_id = ? AND pair = ? GROUP BY action",
            [run_id, pair_name],
        ).fetchall()
    return {action: int(n) for action, n in rows}


def seen_merges(con: duckdb.DuckDBPyConnection, pair_name: str) -> list[SeenMerge]:
    tables = SnapshotTables.of(pair_name)
    seen = []
    if column_exists(con, tables.hubspot, "hs_merged_object_ids"):
        rows = con.execute(sql("plan/record_merge_hubspot.sql").format(hubspot_table=quoted(tables.hubspot)),
                           {"pair": pair_name}).fetchall()  # fmt: skip
        seen += [SeenMerge(Side.HUBSPOT, *r) for r in rows]
    if column_exists(con, tables.salesforce, "_master_record_id"):
        rows = con.execute(sql("plan/record_merge_salesforce.sql").format(salesforce_table=quoted(tables.salesforce)),
                           {"pair": pair_name}).fetchall()  # fmt: skip
        seen += [SeenMerge(Side.SALESFORCE, *r) for r in rows]
    if column_exists(con, tables.salesforce, "IsConverted") and column_exists(
        con, tables.salesforce, "ConvertedContactId"
    ):
        statement = sql("plan/record_merge_converted.sql").format(
            salesforce_table=quoted(tables.salesforce),
            merge_survivors=linked_merge_survivors(con, tables.salesforce),
        )
        # handled after the merges above: a survivor one of them links is the conversion's partner
        rows = con.execute(statement, {"pair": pair_name}).fetchall()
        seen += [SeenMerge(Side.SALESFORCE, *r, how="lead_conversion") for r in rows]
    return seen


def settle_merged_by_hand(con: duckdb.DuckDBPyConnection, pair_name: str, now: datetime) -> int:
    """A merge left to a person is done once they merged the other side's pair themselves."""
    tables = SnapshotTables.of(pair_name)
    if column_exists(con, tables.hubspot, "hs_merged_object_ids"):
        merged_ids = f"""SELECT trim(unnest(string_split(hs_merged_object_ids, ';'))) FROM {quoted(tables.hubspot)}
                         WHERE hs_merged_object_ids IS NOT NULL"""
    else:
        merged_ids = "SELECT NULL"
    statement = sql("plan/record_merge_settled.sql").format(
        salesforce_table=quoted(tables.salesforce), hubspot_merged_ids=merged_ids
    )
    settled = con.execute(statement, {"pair": pair_name}).fetchall()
    for side, loser, other_loser in settled:
        con.execute(
            "UPDATE record_merges SET status = 'done', done_at = ? WHERE pair = ? AND side = ? AND loser_id = ?",
            [now, pair_name, side, loser],
        )
        other = Side.SALESFORCE if side == Side.HUBSPOT.value else Side.HUBSPOT
        forget_errors(con, pair_name, other.value, [other_loser])  # a failed mirror, now done by hand
        con.execute(
            "UPDATE review_items SET settled_at = ?, resolution = 'merged' WHERE item_id = ? AND settled_at IS NULL",
            [now, f"merge:{pair_name}:{side}:{loser}"],
        )
    return len(settled)


def held_records(con: duckdb.DuckDBPyConnection, pair_name: str) -> dict[Side, set[str]]:
    held: dict[Side, set[str]] = {Side.HUBSPOT: set(), Side.SALESFORCE: set()}
    if table_exists(con, "record_merges"):
        for side, record_id in con.execute(sql("plan/record_merge_held.sql"), {"pair": pair_name}).fetchall():
            held[Side(side)].add(record_id)
    return held


def _handle(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, m: SeenMerge, run_id: str, now: datetime
) -> str:
    """Act on one merge (links re-read each time: an earlier merge of this run may have moved them)."""
    partner = _survivor_partner(con, pair_name, m)
    audit_loser_values(con, pair_name, pair, m.side, m.loser_id, m.survivor_id, run_id, now)
    if m.side is Side.SALESFORCE:  # Salesforce re-parented the loser's junction rows already
        follow_salesforce_survivor_in_junctions(con, m.loser_id, m.survivor_id)
    if partner is None:
        _relink(con, pair_name, pair, m, run_id, now)
        action, status, other_survivor = "relinked", "done", None
    else:
        other_survivor, survivor_object = partner
        close_link(con, pair_name, m.loser_id if m.side is Side.HUBSPOT else m.loser_partner)
        if m.side is Side.HUBSPOT:
            follow_hubspot_survivor(con, pair_name, pair.hubspot, m.loser_id, m.survivor_id)
        refusal = _mirror_refusal(pair, m, survivor_object)
        if refusal is None:
            other_side = Side.SALESFORCE if m.side is Side.HUBSPOT else Side.HUBSPOT
            audit_loser_values(con, pair_name, pair, other_side, m.loser_partner, other_survivor, run_id, now)
            action, status = "mirror", "planned"
        else:
            _open_review(con, pair_name, m, other_survivor, refusal, run_id, now)
            action, status = "review", "open"
    if m.side is Side.HUBSPOT:
        drop_hubspot_rows(con, pair_name, [m.loser_id])
    con.execute(
        """INSERT OR REPLACE INTO record_merges (pair, side, loser_id, survivor_id, salesforce_object, action,
           other_loser_id, other_survivor_id, status, seen_at, run_id, done_at, attempts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""",
        [pair_name, m.side.value, m.loser_id, m.survivor_id, m.salesforce_object, action, m.loser_partner,
         other_survivor, status, now, run_id, now if status == "done" else None],
    )  # fmt: skip
    return action


def _survivor_partner(con: duckdb.DuckDBPyConnection, pair_name: str, m: SeenMerge) -> tuple[str, str] | None:
    """What the survivor is linked to on the other side (its id and Salesforce object), if anything."""
    if m.side is Side.HUBSPOT:
        query = "SELECT salesforce_id, salesforce_object FROM links WHERE pair = ? AND hubspot_id = ?"
    else:
        query = "SELECT hubspot_id, salesforce_object FROM links WHERE pair = ? AND salesforce_id = ?"
    rows = con.execute(query, [pair_name, m.survivor_id]).fetchall()
    return rows[0] if rows else None


def _relink(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, m: SeenMerge, run_id: str, now: datetime
) -> None:
    """Only the loser was linked: its link moves to the survivor. Whatever the CRM's merge did with the
    loser's values, a field the survivor holds empty is filled from the other side, never cleared there:
    its base (the loser's) is forgotten (match/moved_links.py)."""
    if m.side is Side.HUBSPOT:
        relink_hubspot(con, pair_name, m.loser_id, m.survivor_id, run_id, now)
        follow_hubspot_survivor(con, pair_name, pair.hubspot, m.loser_id, m.survivor_id)
        follow_hubspot_survivor_in_junctions(con, m.loser_id, m.survivor_id)
        forget_base_where_empty(con, pair_name, pair, Side.HUBSPOT, m.survivor_id, m.survivor_id)
    else:
        relink_salesforce(con, pair_name, m.loser_id, m.survivor_id, m.salesforce_object, run_id, now)
        forget_base_where_empty(con, pair_name, pair, Side.SALESFORCE, m.survivor_id, m.loser_partner)


def _mirror_refusal(pair: ObjectPair, m: SeenMerge, survivor_object: str) -> str | None:
    """Why the other side's pair cannot be merged by crmsync (None: it can)."""
    if pair.merges is not MergeAction.MIRROR:
        return "merges: review"
    if m.side is Side.HUBSPOT:
        if survivor_object != m.salesforce_object:
            return f"a {m.salesforce_object} cannot be merged into a {survivor_object}"
        if m.salesforce_object not in SALESFORCE_MERGEABLE:
            return f"Salesforce does not merge {m.salesforce_object} records"
    elif pair.hubspot not in HUBSPOT_MERGEABLE:
        return f"HubSpot {pair.hubspot} cannot be merged through the API"
    return None


def _open_review(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    m: SeenMerge,
    other_survivor: str,
    reason: str,
    run_id: str,
    now: datetime,
) -> None:
    other = "salesforce" if m.side is Side.HUBSPOT else "hubspot"
    detail = {
        "merged_in": m.side.value,
        "loser": m.loser_id,
        "survivor": m.survivor_id,
        f"{other}_loser": m.loser_partner,
        f"{other}_survivor": other_survivor,
        "why": reason,
        "how": m.how,
        "todo": f"merge {m.loser_partner} into {other_survivor} in {other.title()}, or link {m.loser_partner}",
    }
    if m.side is Side.HUBSPOT:  # the Salesforce loser-to-be is held from linking and creating
        item = ReviewItem(f"merge:{pair_name}:hubspot:{m.loser_id}", "merge", pair_name, m.survivor_id,
                          [m.loser_partner], detail)  # fmt: skip
    else:
        item = ReviewItem(f"merge:{pair_name}:salesforce:{m.loser_id}", "merge", pair_name, m.loser_partner,
                          [], detail)  # fmt: skip
    open_review_items(con, [item], run_id, now)
