"""Settling review items and acting on one record: what `crmsync review` does to the state.

An open review item holds its records: they are neither linked nor created. Settling it:
- link H S: the two records are linked (matched_by 'review'); with no base yet, the next sync merges
  them as a first link, by each field's rule;
- create: the hold is lifted; the next sync creates the record on the other side;
- skip: the records stay out of sync for good (a settled 'skip' keeps holding them).
A `ping_pong` item (plan/ping_pong.py) holds one field of one link instead, and is settled with:
- resume: the field syncs again by its rule, from the values as they are (fix the automation first);
- keep_hubspot / keep_salesforce: that side's value (as of the detection) goes to the other side on
  the next sync, then the field syncs by its rule;
- skip: the field stays held for that link for good.
A new loop after a resolution is caught afresh: only writes made after it count.

An orphan (a linked record deleted on one side, under `deletes: report`) changes nothing on the other
side until settled: `propagate` deletes (archives) the live twin on the next sync, `create` re-creates
the deleted record from the live one (as `deletes: restore` would), `skip` leaves both sides as they
are for good; either way the lookups and deal contacts that named it are judged again once its link
closes (plan/orphans.py). A restore of the deleted record settles the item by itself.
Single-record actions: `link`, `unlink` (the link and its base are removed and the pair is held in
review, or the cross-reference ids would relink it on the next run), and `resync` (the link's base is
forgotten, so the next sync merges it afresh as a first link: each field's own rule decides, which a
forced one-way write could not; a two_way field goes to the side that changed that field last, by its
own change time where crmsync has one (HubSpot property history, Salesforce field times), not by a later
edit of another field of the record; its failures are forgotten too, so it is retried at once)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

SKIP = "skip"  # the resolution that keeps holding an item's records
PING_PONG = "ping_pong"
FIELD_ACTIONS = ("resume", "keep_hubspot", "keep_salesforce")  # settle a ping_pong item, the field resumes
PROPAGATE = "propagate"  # an orphan's delete is carried to the other side by the next sync


class ReviewError(ValueError):
    """A review action that cannot be done as asked (unknown item, record not found, already linked)."""


@dataclass(frozen=True)
class OpenItem:
    item_id: str
    kind: str
    pair: str
    hubspot_id: str | None
    salesforce_ids: list[str]
    detail: dict[str, Any]
    opened_at: datetime


def open_items(
    con: duckdb.DuckDBPyConnection, pair_name: str | None = None, kind: str | None = None
) -> list[OpenItem]:
    rows = con.execute(
        """SELECT item_id, kind, pair, hubspot_id, salesforce_ids, detail, opened_at FROM review_items
           WHERE settled_at IS NULL AND ($pair IS NULL OR pair = $pair) AND ($kind IS NULL OR kind = $kind)
           ORDER BY pair, kind, opened_at, item_id""",
        {"pair": pair_name, "kind": kind},
    ).fetchall()
    return [OpenItem(r[0], r[1], r[2], r[3], list(r[4] or []), json.loads(r[5] or "{}"), r[6]) for r in rows]


def resolve(
    con: duckdb.DuckDBPyConnection,
    item_id: str,
    action: str,
    hubspot_id: str | None = None,
    salesforce_id: str | None = None,
) -> str:
    """Settle one open item with 'link', 'create' or 'skip' ('resume', 'keep_hubspot', 'keep_salesforce'
    or 'skip' for a ping_pong item); returns the resolution recorded."""
    item = _open_item(con, item_id)
    if item.kind == PING_PONG:
        resolution = _resume_field(con, item, action)
    elif action in FIELD_ACTIONS:
        raise ReviewError(f"--{action.replace('_', ' ')} settles a ping_pong item; {item_id} is {item.kind}")
    elif action == "link":
        if not hubspot_id or not salesforce_id:
            raise ReviewError("--link needs a HubSpot id and a Salesforce id")
        link_records(con, item.pair, hubspot_id, salesforce_id, settle=False)
        resolution = f"link:{hubspot_id}:{salesforce_id}"
    elif action in ("create", SKIP):
        resolution = action
    elif action == PROPAGATE:
        if item.kind != "orphan":
            raise ReviewError(
                f"--propagate settles an orphan (a record deleted on one side), not a {item.kind}"
            )
        resolution = action
    else:
        raise ReviewError(f"unknown action {action!r}: link, create, propagate or skip")
    _settle(con, [item_id], resolution)
    return resolution


def _resume_field(con: duckdb.DuckDBPyConnection, item: OpenItem, action: str) -> str:
    """Settle a ping_pong item. 'keep_<side>' sets the field's base to the other side's value as detected,
    so that side's value is the change the next sync carries across."""
    if action not in (*FIELD_ACTIONS, SKIP):
        raise ReviewError(
            f"{item.item_id} is a ping_pong item: settle it with --resume, --keep hubspot, --keep salesforce "
            "or --skip"
        )
    if action.startswith("keep_"):
        other = "salesforce" if action == "keep_hubspot" else "hubspot"
        con.execute(
            """INSERT INTO base_values VALUES (?, ?, ?, ?, ?, 'review')
               ON CONFLICT (pair, hubspot_id, field) DO UPDATE
               SET value = excluded.value, agreed_at = excluded.agreed_at, run_id = excluded.run_id""",
            [
                item.pair,
                item.hubspot_id,
                item.detail["field"],
                item.detail.get(f"{other}_canonical"),
                datetime.now(UTC),
            ],
        )
    return action


def link_records(
    con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str, salesforce_id: str, settle: bool = True
) -> str:
    """Link two records by hand; returns the Salesforce object. Open items naming either are settled."""
    if not _exists(con, SnapshotTables.of(pair_name).hubspot, hubspot_id):
        raise ReviewError(f"no HubSpot record {hubspot_id} in {pair_name} (as of the last extract)")
    sobject = _salesforce_object(con, pair_name, salesforce_id)
    taken = con.execute(
        "SELECT hubspot_id, salesforce_id FROM links WHERE pair = ? AND (hubspot_id = ? OR salesforce_id = ?)",
        [pair_name, hubspot_id, salesforce_id],
    ).fetchall()
    if taken:
        raise ReviewError(
            f"already linked: HubSpot {taken[0][0]} <-> Salesforce {taken[0][1]} (unlink it first)"
        )
    con.execute(
        "INSERT INTO links VALUES (?, ?, ?, ?, 'review', ?, ?)",
        [pair_name, hubspot_id, sobject, salesforce_id, datetime.now(UTC), "review"],
    )
    if settle:
        naming = con.execute(
            """SELECT item_id FROM review_items WHERE pair = ? AND settled_at IS NULL
               AND (hubspot_id = ? OR list_contains(salesforce_ids, ?))""",
            [pair_name, hubspot_id, salesforce_id],
        ).fetchall()
        _settle(con, [r[0] for r in naming], f"link:{hubspot_id}:{salesforce_id}")
    return sobject


def unlink(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> str:
    """Remove a link and its base; both records are held in review until a person settles them."""
    row = con.execute(
        "SELECT salesforce_id FROM links WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id]
    ).fetchall()
    if not row:
        raise ReviewError(f"HubSpot record {hubspot_id} is not linked in {pair_name}")
    salesforce_id = row[0][0]
    con.execute("DELETE FROM links WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    now = datetime.now(UTC)
    item = ReviewItem(
        f"unlinked:{pair_name}:{hubspot_id}:{salesforce_id}:{now.timestamp():.0f}",
        "unlinked",
        pair_name,
        hubspot_id,
        [salesforce_id],
        {"was_linked_to": salesforce_id},
    )
    open_review_items(con, [item], "review", now)
    return salesforce_id


def resync(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> int:
    """Forget the link's base (and its failures); returns the fields forgotten."""
    row = con.execute(
        "SELECT salesforce_id FROM links WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id]
    ).fetchall()
    if not row:
        raise ReviewError(f"HubSpot record {hubspot_id} is not linked in {pair_name}")
    forgotten = con.execute(
        "SELECT count(*) FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id]
    ).fetchall()[0][0]
    con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    con.execute(
        "DELETE FROM sync_errors WHERE pair = ? AND record_ref IN (?, ?)", [pair_name, hubspot_id, row[0][0]]
    )
    return int(forgotten)


def _open_item(con: duckdb.DuckDBPyConnection, item_id: str) -> OpenItem:
    found = [i for i in open_items(con) if i.item_id == item_id]
    if not found:
        raise ReviewError(f"no open review item {item_id!r} (see `crmsync review --list`)")
    return found[0]


def _settle(con: duckdb.DuckDBPyConnection, item_ids: list[str], resolution: str) -> None:
    for item_id in item_ids:
        con.execute(
            "UPDATE review_items SET settled_at = ?, resolution = ? WHERE item_id = ? AND settled_at IS NULL",
            [datetime.now(UTC), resolution, item_id],
        )


def _exists(con: duckdb.DuckDBPyConnection, table: str, record_id: str) -> bool:
    return table_exists(con, table) and bool(
        con.execute(f"SELECT count(*) FROM {quoted(table)} WHERE id = ?", [record_id]).fetchall()[0][0]
    )


def _salesforce_object(con: duckdb.DuckDBPyConnection, pair_name: str, salesforce_id: str) -> str:
    table = SnapshotTables.of(pair_name).salesforce
    rows = (
        con.execute(
            f"SELECT _sobject FROM {quoted(table)} WHERE id = ? AND NOT coalesce(_deleted, false)",
            [salesforce_id],
        ).fetchall()
        if table_exists(con, table)
        else []
    )
    if not rows:
        raise ReviewError(f"no Salesforce record {salesforce_id} in {pair_name} (as of the last extract)")
    return str(rows[0][0])
