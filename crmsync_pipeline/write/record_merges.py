"""The writes step of `merges: mirror`: the other side's pair of a merge seen in the plan is merged too
(Salesforce through SOAP merge(), HubSpot through its merge endpoint), survivor = the record linked to
the survivor. A failure keeps the CRM's code in `record_merges` and sync_errors (ref: the other side's
loser) and the merge is tried again next run, up to MIRROR_ATTEMPTS calls; then a review item asks a
person (who may also merge by hand meanwhile: the plan settles it). The other side's loser stays held
from creates either way. State connections are closed during each CRM call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.merges import MergeAnswer, hubspot_merge, salesforce_merge
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.plan.record_merge_links import (
    drop_hubspot_rows,
    follow_hubspot_survivor,
    follow_hubspot_survivor_in_junctions,
    follow_salesforce_survivor_in_junctions,
    rekey_hubspot_link,
)
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.sync_errors import keep_results

MIRROR_ATTEMPTS = 3  # a refusal that outlives three runs is not a passing outage: a person decides


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
    """Carry out every planned mirror merge of the pair (planned by this run or an earlier dry run), and
    try again those that failed fewer than MIRROR_ATTEMPTS times."""
    with connect() as con:
        pending = con.execute(
            """SELECT side, loser_id, survivor_id, salesforce_object, other_loser_id, other_survivor_id
               FROM record_merges WHERE pair = ? AND action = 'mirror'
                AND (status = 'planned' OR (status = 'failed' AND coalesce(attempts, 0) < ?))
               ORDER BY seen_at, loser_id""",
            [pair_name, MIRROR_ATTEMPTS],
        ).fetchall()
    done = MirroredMerges()
    for side, loser, survivor, sobject, other_loser, other_survivor in pending:
        other = "salesforce" if side == "hubspot" else "hubspot"
        try:
            if side == "hubspot":
                answer = salesforce_merge(salesforce, sobject, other_survivor, [other_loser])
            else:
                answer = hubspot_merge(hubspot, pair.hubspot, other_survivor, other_loser)
        except CrmError as err:
            failure = WriteResult.failed(other_loser, err.code, err.message, err.fields or ())
            with connect() as con:
                keep_results(con, run_id, pair_name, other, "merge", [(other_loser, failure)], _now())
                _failed(con, pair_name, side, loser, survivor, other_loser, other_survivor, err, run_id)
            done.failed += 1
            continue
        merged = WriteResult.ok(other_loser)
        with connect() as con:
            keep_results(con, run_id, pair_name, other, "merge", [(other_loser, merged)], _now())
            _merged(con, pair_name, pair, side, loser, survivor, other_loser, other_survivor, answer)
        done.merged += 1
    return done


def _merged(
    con, pair_name, pair, side, loser, survivor, other_loser, other_survivor, answer: MergeAnswer
) -> None:  # type: ignore[no-untyped-def]
    """Both sides now hold the survivors: the state follows, junction pairs (a deal's contacts) included."""
    if side == "salesforce":  # the HubSpot pair was merged: its loser is gone, its associations moved
        follow_hubspot_survivor(con, pair_name, pair.hubspot, other_loser, other_survivor)
        follow_hubspot_survivor_in_junctions(con, other_loser, other_survivor)
        drop_hubspot_rows(con, pair_name, [other_loser])
        if answer.survivor_id != other_survivor:  # HubSpot may give a merge's survivor a new id
            rekey_hubspot_link(con, pair_name, other_survivor, answer.survivor_id)
            follow_hubspot_survivor(con, pair_name, pair.hubspot, other_survivor, answer.survivor_id)
            follow_hubspot_survivor_in_junctions(con, other_survivor, answer.survivor_id)
    else:  # the Salesforce pair was merged: its loser's junction rows now name the master
        follow_salesforce_survivor_in_junctions(con, other_loser, other_survivor)
        follow_hubspot_survivor_in_junctions(con, loser, survivor)
    con.execute(
        """UPDATE record_merges SET status = 'done', done_at = ?, error_code = NULL, error_message = NULL,
           attempts = coalesce(attempts, 0) + 1 WHERE pair = ? AND side = ? AND loser_id = ?""",
        [_now(), pair_name, side, loser],
    )
    con.execute(  # a review item an earlier failure opened (before failures were retried) is settled
        "UPDATE review_items SET settled_at = ?, resolution = 'merged' WHERE item_id = ? AND settled_at IS NULL",
        [_now(), f"merge:{pair_name}:{side}:{loser}"],
    )


def _failed(
    con, pair_name, side, loser, survivor, other_loser, other_survivor, err: CrmError, run_id
) -> None:  # type: ignore[no-untyped-def]
    [(attempts,)] = con.execute(
        """UPDATE record_merges SET status = 'failed', error_code = ?, error_message = ?,
           attempts = coalesce(attempts, 0) + 1 WHERE pair = ? AND side = ? AND loser_id = ? RETURNING attempts""",
        [err.code, err.message, pair_name, side, loser],
    ).fetchall()
    if attempts < MIRROR_ATTEMPTS:
        return  # tried again next run
    other = "salesforce" if side == "hubspot" else "hubspot"
    detail = {
        "merged_in": side,
        "loser": loser,
        "survivor": survivor,
        f"{other}_loser": other_loser,
        f"{other}_survivor": other_survivor,
        "why": f"{other} merge failed {attempts} times: {err.code}: {err.message}",
        "error_code": err.code,
        "todo": f"merge {other_loser} into {other_survivor} in {other.title()}, or link {other_loser}",
    }
    hubspot_id, salesforce_ids = (survivor, [other_loser]) if side == "hubspot" else (other_loser, [])
    item = ReviewItem(
        f"merge:{pair_name}:{side}:{loser}", "merge", pair_name, hubspot_id, salesforce_ids, detail
    )
    open_review_items(con, [item], run_id, _now())


def _now() -> datetime:
    return datetime.now(UTC)
