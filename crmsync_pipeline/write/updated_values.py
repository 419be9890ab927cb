"""Values CRM automation rewrote in the save of crmsync's own update (a Salesforce before-save flow or
trigger, an Automated Process save, a HubSpot workflow that ran by the time of the read) are carried
across in the run that wrote them, never left for the next cycle to discover (docs/design.md, "Values
automation rewrites on save"): the sync after any sync writes nothing.

After both CRMs' update phases (write/both_sides.py), the records crmsync updated on each side are read
back (one SOQL query per 200 ids, one HubSpot batch read per 100), set beside the other side's values and
the base the writes recorded (the same field_state and three-way merge as the plan, as
write/created_values.py does for creates), and where the merge carries the updated side's value to the
other side (the rewrite is a change of that side: two_way, prefer_*, always_<updated side>) a follow-up
update is planned, reason `<direction>:rewritten_on_save`, and written by the last pass of apply_both.
Where the direction would write the source's value back over the rewrite (always_<source>), nothing is
planned here: that is a one-sided loop, held by the next plan (plan/ping_pong.py). Fields held for a
loop or a refused write are left alone. One round only: a rewrite of the follow-up by the other side's
automation is the next plan's (a two-sided loop)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.plan.ping_pong import held_fields
from crmsync_pipeline.plan.updates import plan_updates
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.write.created_values import (
    CreatedLink,
    preflight_follow_ups,
    read_back,
    read_back_decisions,
    sent_by_admitted,
)
from crmsync_pipeline.write.crm_writer import CrmWriter
from crmsync_pipeline.write.job import ApplyJob, ApplySummary
from crmsync_pipeline.write.stale_plans import max_plan_age

REWRITTEN = "rewritten_on_save"


def settle_updated(connect: Connect, writer: CrmWriter, run_id: str, pair_name: str, pair) -> int:  # type: ignore[no-untyped-def]
    """Plan the follow-up writes of what automation rewrote on `writer`'s side in this run's updates;
    returns how many field writes were planned."""
    reader = writer.target_reader()
    if reader is None:
        return 0
    job = ApplyJob(connect, writer, run_id, pair_name, pair, max_plan_age(), ApplySummary())
    with connect() as con:
        rows = con.execute(
            sql("write/updated_links.sql"), {"pair": pair_name, "run_id": run_id, "target": job.target}
        ).fetchall()
    links = [CreatedLink(*row) for row in rows]
    if not links:
        return 0
    stored = read_back(job, reader, links)  # outside any state connection: never held across a call
    with connect() as con:
        return _plan_carries(con, job, stored, datetime.now(UTC))


def _plan_carries(
    con: duckdb.DuckDBPyConnection, job: ApplyJob, stored: list[dict[str, str | None]], now: datetime
) -> int:
    with read_back_decisions(con, job, stored) as judged:
        if judged is None:
            return 0
        decisions, owners = judged
        carried = sent_by_admitted(job, _carries(con, job, decisions), stored, owners)
        if not carried:
            return 0
        summary = plan_updates(con, job.run_id, job.pair, owners, carried, now)
        preflight_follow_ups(con, job, now, REWRITTEN)
    return sum(summary.updates.values())


def _carries(
    con: duckdb.DuckDBPyConnection, job: ApplyJob, decisions: list[FieldDecision]
) -> list[FieldDecision]:
    """The rewrites the merge carries from the updated side to the other, named for the plan rows."""
    source = "hubspot" if job.target == "salesforce" else "salesforce"
    directions = {f.name: f.direction for f in job.pair.fields}
    held = held_fields(con, job.pair_name) | _unapplied(con, job)
    return [
        replace(d, reason=f"{directions[d.field].value}:{REWRITTEN}")
        for d in decisions
        if d.decision == f"write_{source}" and not d.is_conflict and d.field in directions
        and (d.hubspot_id, d.field) not in held
    ]  # fmt: skip


def _unapplied(con: duckdb.DuckDBPyConnection, job: ApplyJob) -> set[tuple[str, str]]:
    """Fields whose write to the updated side this run the CRM did not apply or refused: the value it
    kept is no rewrite to carry (plan/not_applied.py holds them from the next plan on)."""
    rows = con.execute(
        """SELECT DISTINCT p.hubspot_id, p.field FROM plan_rows p
           JOIN audit_log a ON a.run_id = p.run_id AND a.pair = p.pair AND a.target = p.target
            AND a.source_id = p.record_ref AND a.field = p.target_field
           WHERE p.run_id = ? AND p.pair = ? AND p.target = ? AND a.outcome IN ('not_applied', 'failed')""",
        [job.run_id, job.pair_name, job.target],
    ).fetchall()
    return {(str(h), str(f)) for h, f in rows}
