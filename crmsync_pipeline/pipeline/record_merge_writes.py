"""The writes step of `merges: mirror`: the other side's pair of a merge seen in the plan is merged too
(Salesforce through SOAP merge(), HubSpot through its merge endpoint), survivor = the record linked to
the survivor. A failure keeps the CRM's code in `record_merges` and opens a review item; the other
side's loser stays held from creates either way. State connections are closed during each CRM call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.merges import MergeAnswer, hubspot_merge, salesforce_merge
from crmsync_pipeline.connectors.salesforce import SalesforceConnector

from .record_merge_links import drop_hubspot_rows, follow_hubspot_survivor, rekey_hubspot_link
from .review import ReviewItem, open_review_items


@dataclass
class MirroredMerges:
    merged: int = 0
    failed: int = 0


def apply_record_merges(
    connect: Callable[[], Any],
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    pair_name: str,
    pair: ObjectPair,
    run_id: str,
) -> MirroredMerges:
    """Carry out every planned mirror merge of the pair (planned by this run or an earlier dry run)."""
    with connect() as con:
        pending = con.execute(
            """SELECT side, loser_id, survivor_id, salesforce_object, other_loser_id, other_survivor_id
               FROM record_merges WHERE pair = ? AND action = 'mirror' AND status = 'planned'
               ORDER BY seen_at, loser_id""",
            [pair_name],
        ).fetchall()
    done = MirroredMerges()
    for side, loser, survivor, sobject, other_loser, other_survivor in pending:
        try:
            if side == "hubspot":
                answer = salesforce_merge(salesforce, sobject, other_survivor, [other_loser])
            else:
                answer = hubspot_merge(hubspot, pair.hubspot, other_survivor, other_loser)
        except CrmError as err:
            with connect() as con:
                _failed(con, pair_name, side, loser, survivor, other_loser, other_survivor, err, run_id)
            done.failed += 1
            continue
        with connect() as con:
            _merged(con, pair_name, pair, side, loser, other_loser, other_survivor, answer)
        done.merged += 1
    return done


def _merged(con, pair_name, pair, side, loser, other_loser, other_survivor, answer: MergeAnswer) -> None:  # type: ignore[no-untyped-def]
    if side == "salesforce":  # the HubSpot pair was merged: its loser is gone, its associations moved
        follow_hubspot_survivor(con, pair_name, pair.hubspot, other_loser, other_survivor)
        drop_hubspot_rows(con, pair_name, [other_loser])
        if answer.survivor_id != other_survivor:  # HubSpot may give a merge's survivor a new id
            rekey_hubspot_link(con, pair_name, other_survivor, answer.survivor_id)
            follow_hubspot_survivor(con, pair_name, pair.hubspot, other_survivor, answer.survivor_id)
    con.execute(
        "UPDATE record_merges SET status = 'done', done_at = ? WHERE pair = ? AND side = ? AND loser_id = ?",
        [datetime.now(UTC), pair_name, side, loser],
    )


def _failed(
    con, pair_name, side, loser, survivor, other_loser, other_survivor, err: CrmError, run_id
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    con.execute(
        """UPDATE record_merges SET status = 'failed', error_code = ?, error_message = ?
           WHERE pair = ? AND side = ? AND loser_id = ?""",
        [err.code, err.message, pair_name, side, loser],
    )
    other = "salesforce" if side == "hubspot" else "hubspot"
    detail = {
        "merged_in": side,
        "loser": loser,
        "survivor": survivor,
        f"{other}_loser": other_loser,
        f"{other}_survivor": other_survivor,
        "why": f"{other} merge failed: {err.code}: {err.message}",
        "error_code": err.code,
    }
    hubspot_id, salesforce_ids = (survivor, [other_loser]) if side == "hubspot" else (other_loser, [])
    item = ReviewItem(
        f"merge:{pair_name}:{side}:{loser}", "merge", pair_name, hubspot_id, salesforce_ids, detail
    )
    open_review_items(con, [item], run_id, now)
