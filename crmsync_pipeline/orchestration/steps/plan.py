"""The plan asset's step (erasures detected, schemas read, the plan made and preflighted, a preview
built) and its blocking check, plan_within_threshold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import dagster as dg

from crmsync_pipeline.erasure.detect import detect_vanished
from crmsync_pipeline.plan.approvals import HELD, approve_command, held_message, judge_plan
from crmsync_pipeline.plan.ping_pong import HubSpotVersion
from crmsync_pipeline.plan.preflight import preflight
from crmsync_pipeline.plan.record_merges import merges_seen
from crmsync_pipeline.plan.stage import plan_stage
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.run_context import RunContext

from ..alerts import held_alert, send_alert
from ..run_log import hold_run
from .schemas import Schemas, current_schemas, cut_lengths

PREVIEW_HEADER = [
    "| target | action | record | field | reason |",
    "|---|---|---|---|---|",
]


def plan_step(ctx: RunContext) -> dict[str, Any]:
    pair = ctx.pair
    vanished = detect_vanished(
        ctx.state_path, ctx.hubspot, ctx.salesforce, ctx.mapping, ctx.pair_name, ctx.run_id
    )
    schemas = current_schemas(ctx)
    report = plan_stage(
        ctx.state_path,
        ctx.mapping,
        ctx.pair_name,
        ctx.run_id,
        cut_lengths(pair, schemas["salesforce"]),
        property_history=lambda ids, props: ctx.hubspot.property_times(pair.hubspot, ids, props),
        property_versions=lambda ids, props: {
            key: HubSpotVersion.of(entry)
            for key, entry in ctx.hubspot.property_versions(pair.hubspot, ids, props).items()
        },
    )
    rejected = _preflight(ctx, schemas)
    if report.rebased:
        ctx.log.info(
            f"the transform or value map of {', '.join(report.rebased)} changed: values that agree in the "
            "new form are in sync again, those that differ are judged by the first-link rules"
        )
    return {
        "linked records": report.linked,
        "field updates": dict(report.updates.updates),
        "records to update": dict(report.updates.records),
        "records to create": report.creates,
        "cross-references to write": report.cross_references,
        "conflicts": report.updates.conflicts,
        "held for review": report.updates.held,
        "ping-pong loops found (field held for review)": report.ping_pong.opened,
        "writes the CRM did not apply (field held until a side changes)": report.not_applied.held,
        "value issues": report.value_issues,
        "fields whose form changed (base taken afresh)": ", ".join(report.rebased) or "none",
        "orphaned links (deleted on one side, reported)": report.orphans,
        "deletes (by the pair's deletes: policy)": report.deletes,
        "gone for good (GDPR or hard delete) seen": vanished,
        "rejected by preflight": dict(rejected),
        "record merges seen (by action)": merges_seen(ctx.state_path, ctx.run_id, ctx.pair_name),
        "api calls": ctx.meter.total(),
        "preview": dg.MetadataValue.md(plan_preview(ctx)),
    }


def _preflight(ctx: RunContext, schemas: Schemas) -> Counter:
    """Planned writes each CRM would refuse, marked in plan_rows; counted by error."""
    with ctx.connect() as con:
        return sum(
            (
                preflight(con, ctx.run_id, ctx.pair_name, ctx.pair, target, schemas[target])
                for target in ("salesforce", "hubspot")
            ),
            Counter(),
        )


def plan_preview(ctx: RunContext) -> str:
    """The first planned writes as a Markdown table: ids, field names and rules, never the values.
    Dagster keeps asset metadata for good, out of reach of an erasure; the values are in plan_rows."""
    with ctx.connect() as con:
        rows = con.execute(
            sql("orchestration/plan_preview.sql"), {"run_id": ctx.run_id, "pair": ctx.pair_name}
        ).fetchall()
    lines = PREVIEW_HEADER + [
        "| " + " | ".join("" if v is None else str(v).replace("|", "/")[:40] for v in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    """A check's outcome: passed, what it says in a sentence, and the metadata it reports."""

    passed: bool
    description: str
    metadata: dict[str, Any]


def within_threshold(ctx: RunContext, job: str) -> Verdict:
    """Whether the plan may be written: it changes existing values on (or deletes) no more than the pair's
    thresholds allow of its linked records, or a person approved this very plan. A held plan marks the
    run `held` and raises an alert naming the command that releases it."""
    thresholds = ctx.pair.thresholds
    with ctx.connect() as con:
        verdict = judge_plan(con, ctx.run_id, ctx.pair_name, thresholds, job)
    weight = verdict.weight
    metadata: dict[str, Any] = {
        "verdict": verdict.verdict,
        "linked records": weight.linked,
        "records whose values would change": weight.overwrites,
        "by field (records)": dg.MetadataValue.json(weight.by_field),
        "records deleted on one side (to delete, restore or erase)": weight.deletes,
        "changes carried on from a plan let through before (not counted)": weight.carried_on,
    }
    if verdict.verdict != HELD:
        description = f"{verdict.verdict}: {weight.overwrites} of {weight.linked} linked records change"
        return Verdict(
            True,
            description,
            metadata | {"approval": "approved" if verdict.verdict != "passed" else "not needed"},
        )
    message = held_message(verdict, thresholds)
    command = approve_command(ctx.run_id)
    hold_run(ctx.state_path, ctx.run_id, message, command)
    if job == "sync":  # a dry run's hold is read by the person who started it, in the terminal or the UI
        send_alert(held_alert(ctx.run_id, job, message, command, weight.by_field), ctx.log)
    return Verdict(False, f"{message}. Approve with: {command}", metadata | {"approval": command})
