"""Applying a pair's plan to both CRMs at once. Each CRM's writes are independent of the other's
until the creates: a record created on one side needs its new id written back to the other as a
cross-reference. So both sides write side by side (Salesforce in a second thread), taking turns at
the state file (TakingTurns) while their CRM calls overlap: creates, then each side waits for the
other's creates, then both write their updates, the cross-references included. A last pass per side
picks up whatever cross-references are still unwritten (none, unless a side failed). A first sync of
100,000 contacts otherwise spent each Salesforce write phase with HubSpot's budget unused.

When one side fails, the other stops before its next batch; the first failure is raised."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state.connections import Connect, TakingTurns, one_database_instance
from crmsync_pipeline.write.apply import apply_plan
from crmsync_pipeline.write.crm_writer import CrmWriter
from crmsync_pipeline.write.job import ApplySummary, WritesHalted
from crmsync_pipeline.write.updated_values import settle_updated


def apply_both(
    connect: Connect,
    salesforce: CrmWriter,
    hubspot: CrmWriter,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
) -> tuple[ApplySummary, ApplySummary]:
    """The Salesforce and the HubSpot summaries of the pair's writes."""
    shared = TakingTurns(connect)
    halt = threading.Event()
    creates_done = threading.Barrier(2)

    def both_created() -> None:
        try:
            creates_done.wait()
        except threading.BrokenBarrierError:
            raise WritesHalted(f"{pair_name} writes stopped: the other CRM's writes failed") from None

    def side(writer: CrmWriter) -> ApplySummary:
        try:
            return apply_plan(shared, writer, run_id, pair_name, pair, halt=halt, after_creates=both_created)
        except BaseException:
            halt.set()
            creates_done.abort()
            raise

    with one_database_instance(connect):
        with ThreadPoolExecutor(1, thread_name_prefix="salesforce-writes") as beside:
            to_salesforce = beside.submit(side, salesforce)
            try:
                to_hubspot = side(hubspot)
            except WritesHalted:
                to_salesforce.result()  # raises the Salesforce failure that halted HubSpot's writes
                raise
        salesforce_summary = to_salesforce.result()
        # what automation rewrote in the records both sides just updated goes across in this run
        for writer in (salesforce, hubspot):
            settle_updated(connect, writer, run_id, pair_name, pair)
        # the follow-ups, and cross-references still unwritten (written in the first pass when both
        # sides' creates succeeded)
        salesforce_summary.add(apply_plan(connect, salesforce, run_id, pair_name, pair))
        to_hubspot.add(apply_plan(connect, hubspot, run_id, pair_name, pair))
    return salesforce_summary, to_hubspot
