"""A link a merge moved to a survivor outside its side's inclusion rule (issue 15). A person merged a
linked record into an unlinked one, and the link followed the survivor (plan/record_merges.py); but the
survivor's own values (often another email and name: the record a dedup tool kept) can cross only while
its side's rule admits it, and a survivor outside the rule (an email in an excluded domain) sends
nothing. The fields it differs on would then stay apart for good, and the Drift check leaves excluded
records alone, so nobody would know.

Such a link opens a review item (kind `merge_survivor_excluded`) naming both records and each field that
cannot cross, with both values. It settles by itself once nothing is stranded any more (the survivor
admitted again, the sides brought equal by hand) or the link is gone. The fields the survivor lacks are
filled from the other side meanwhile (a side outside its rule still receives)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb

from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items

KIND = "merge_survivor_excluded"


def item_id(pair_name: str, hubspot_id: str, salesforce_id: str) -> str:
    return f"{KIND}:{pair_name}:{hubspot_id}:{salesforce_id}"


def review_stranded_survivors(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    decisions: list[FieldDecision],
    admitted: Callable[[FieldDecision], bool],
    run_id: str,
    now: datetime,
) -> int:
    """Open an item per moved link whose survivor's values the inclusion rule keeps from crossing (the
    `decisions` `admitted` refuses), settle those with nothing stranded now. Returns the items open."""
    moved = _moved_links(con, pair_name)
    stranded: dict[tuple[str, str], list[FieldDecision]] = {}
    for d in decisions:
        if (d.hubspot_id, d.salesforce_id) in moved and not admitted(d):
            stranded.setdefault((d.hubspot_id, d.salesforce_id), []).append(d)
    _settle(con, pair_name, {item_id(pair_name, h, s) for h, s in stranded}, now)
    items = [_item(pair_name, h, s, moved[(h, s)], fields) for (h, s), fields in sorted(stranded.items())]
    open_review_items(con, items, run_id, now, refresh=True)
    return len(items)


def _moved_links(con: duckdb.DuckDBPyConnection, pair_name: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(HubSpot id, Salesforce id) of the links a merge moved to its survivor -> (side, loser id)."""
    rows = con.execute(
        """SELECT l.hubspot_id, l.salesforce_id, m.side, m.loser_id
           FROM record_merges m JOIN links l ON l.pair = m.pair
            AND ((m.side = 'salesforce' AND l.salesforce_id = m.survivor_id)
              OR (m.side = 'hubspot' AND l.hubspot_id = m.survivor_id))
           WHERE m.pair = ? AND m.action = 'relinked'""",
        [pair_name],
    ).fetchall()
    return {(str(h), str(s)): (str(side), str(loser)) for h, s, side, loser in rows}


def _settle(con: duckdb.DuckDBPyConnection, pair_name: str, still_open: set[str], now: datetime) -> None:
    open_items = con.execute(
        "SELECT item_id FROM review_items WHERE pair = ? AND kind = ? AND settled_at IS NULL",
        [pair_name, KIND],
    ).fetchall()
    done = [(now, i) for (i,) in open_items if i not in still_open]
    if done:
        con.executemany(
            "UPDATE review_items SET settled_at = ?, resolution = 'in_sync' WHERE item_id = ? AND settled_at IS NULL",
            done,
        )


def _item(
    pair_name: str, hubspot_id: str, salesforce_id: str, merge: tuple[str, str], fields: list[FieldDecision]
) -> ReviewItem:
    side, loser = merge
    survivor = salesforce_id if side == "salesforce" else hubspot_id
    detail = {
        "merged_in": side,
        "loser": loser,
        "survivor": survivor,
        "hubspot_id": hubspot_id,
        "salesforce_id": salesforce_id,
        "salesforce_object": fields[0].salesforce_object,
        "fields": [
            {"field": d.field, "hubspot": d.hubspot_raw, "salesforce": d.salesforce_raw, "should": d.decision}
            for d in fields
        ],
        "why": f"the merge's survivor {survivor} is outside the {side} inclusion rule: it sends nothing, "
        "so these fields stay apart",
        "todo": f"edit {survivor} in {side.title()} so the rule admits it (the next sync carries its values), "
        "or make both records agree by hand; the item settles by itself. `--skip` closes it",
    }
    return ReviewItem(item_id(pair_name, hubspot_id, salesforce_id), KIND, pair_name, hubspot_id, [], detail)


__all__ = ["KIND", "item_id", "review_stranded_survivors"]
