"""The writes step of `merges: mirror`: the other side's pair of a merge seen in the plan is merged too
(Salesforce through SOAP merge(), HubSpot through its merge endpoint), survivor = the record linked to
the survivor. A failure keeps the CRM's code in `record_merges` and sync_errors (ref: the other side's
loser) and the merge is tried again next run, up to MIRROR_ATTEMPTS calls; then a review item asks a
person (who may also merge by hand meanwhile: the plan settles it). The other side's loser stays held
from creates either way. State connections are closed during each CRM call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

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
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.sync_errors import keep_results

MIRROR_ATTEMPTS = 3  # a refusal that outlives three runs is not a passing outage: a person decides


@dataclass
class MirroredMerges:
    merged: int = 0
    failed: int = 0


@dataclass(frozen=True)
class MirrorMerge:
    """A row of `record_merges` to mirror: `side` merged `loser` into `survivor`; the other side's
    `other_loser` is to be merged into `other_survivor`."""

    side: str  # hubspot | salesforce: where the merge was seen
    loser: str
    survivor: str
    salesforce_object: str | None
    other_loser: str
    other_survivor: str

    @property
    def other(self) -> str:
        return "salesforce" if self.side == "hubspot" else "hubspot"


def apply_record_merges(
    connect: Connect,
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
    for merge in (MirrorMerge(*row) for row in pending):  # the SELECT's columns are the fields, in order
        try:
            answer = _merge_other_side(hubspot, salesforce, pair, merge)
        except CrmError as err:
            failure = WriteResult.failed(merge.other_loser, err.code, err.message, err.fields or ())
            with connect() as con:
                keep_results(
                    con, run_id, pair_name, merge.other, "merge", [(merge.other_loser, failure)], _now()
                )
                _failed(con, pair_name, merge, err, run_id)
            done.failed += 1
            continue
        merged = WriteResult.ok(merge.other_loser)
        with connect() as con:
            keep_results(con, run_id, pair_name, merge.other, "merge", [(merge.other_loser, merged)], _now())
            _merged(con, pair_name, pair, merge, answer)
        done.merged += 1
    return done


def _merge_other_side(
    hubspot: HubSpotConnector, salesforce: SalesforceConnector, pair: ObjectPair, merge: MirrorMerge
) -> MergeAnswer:
    if merge.side == "hubspot":
        return salesforce_merge(
            salesforce, merge.salesforce_object, merge.other_survivor, [merge.other_loser]
        )
    return hubspot_merge(hubspot, pair.hubspot, merge.other_survivor, merge.other_loser)


def _merged(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, merge: MirrorMerge, answer: MergeAnswer
) -> None:
    """Both sides now hold the survivors: the state follows, junction pairs (a deal's contacts) included."""
    other_loser, other_survivor = merge.other_loser, merge.other_survivor
    if merge.side == "salesforce":  # the HubSpot pair was merged: its loser is gone, its associations moved
        follow_hubspot_survivor(con, pair_name, pair.hubspot, other_loser, other_survivor)
        follow_hubspot_survivor_in_junctions(con, other_loser, other_survivor)
        drop_hubspot_rows(con, pair_name, [other_loser])
        if answer.survivor_id != other_survivor:  # HubSpot may give a merge's survivor a new id
            rekey_hubspot_link(con, pair_name, other_survivor, answer.survivor_id)
            follow_hubspot_survivor(con, pair_name, pair.hubspot, other_survivor, answer.survivor_id)
            follow_hubspot_survivor_in_junctions(con, other_survivor, answer.survivor_id)
    else:  # the Salesforce pair was merged: its loser's junction rows now name the master
        follow_salesforce_survivor_in_junctions(con, other_loser, other_survivor)
        follow_hubspot_survivor_in_junctions(con, merge.loser, merge.survivor)
    con.execute(
        """UPDATE record_merges SET status = 'done', done_at = ?, error_code = NULL, error_message = NULL,
           attempts = coalesce(attempts, 0) + 1 WHERE pair = ? AND side = ? AND loser_id = ?""",
        [_now(), pair_name, merge.side, merge.loser],
    )
    con.execute(  # a review item an earlier failure opened (before failures were retried) is settled
        "UPDATE review_items SET settled_at = ?, resolution = 'merged' WHERE item_id = ? AND settled_at IS NULL",
        [_now(), f"merge:{pair_name}:{merge.side}:{merge.loser}"],
    )


def _failed(
    con: duckdb.DuckDBPyConnection, pair_name: str, merge: MirrorMerge, err: CrmError, run_id: str
) -> None:
    """Count the failed attempt; past MIRROR_ATTEMPTS a review item asks a person."""
    [(attempts,)] = con.execute(
        """UPDATE record_merges SET status = 'failed', error_code = ?, error_message = ?,
           attempts = coalesce(attempts, 0) + 1 WHERE pair = ? AND side = ? AND loser_id = ? RETURNING attempts""",
        [err.code, err.message, pair_name, merge.side, merge.loser],
    ).fetchall()
    if attempts < MIRROR_ATTEMPTS:
        return  # tried again next run
    other = merge.other
    detail = {
        "merged_in": merge.side,
        "loser": merge.loser,
        "survivor": merge.survivor,
        f"{other}_loser": merge.other_loser,
        f"{other}_survivor": merge.other_survivor,
        "why": f"{other} merge failed {attempts} times: {err.code}: {err.message}",
        "error_code": err.code,
        "todo": f"merge {merge.other_loser} into {merge.other_survivor} in {other.title()}, or link {merge.other_loser}",
    }
    hubspot_id, salesforce_ids = (
        (merge.survivor, [merge.other_loser]) if merge.side == "hubspot" else (merge.other_loser, [])
    )
    item = ReviewItem(
        f"merge:{pair_name}:{merge.side}:{merge.loser}",
        "merge",
        pair_name,
        hubspot_id,
        salesforce_ids,
        detail,
    )
    open_review_items(con, [item], run_id, _now())


def _now() -> datetime:
    return datetime.now(UTC)
