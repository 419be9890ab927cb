"""Turn merge decisions into the plan: one `plan_rows` row per record x field x target to write (the
dry-run output), a `conflicts` row wherever both sides changed, held fields in review, and base moved
at once where both sides already agree (so a re-run after a crash converges instead of writing)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from crmsync_pipeline.config import (
    FieldMapping,
    ObjectPair,
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    canonical_text,
    written_as_typed,
)
from crmsync_pipeline.plan.field_state import ValueIssue, from_canonical_text, listed_value, transform_context
from crmsync_pipeline.plan.merge import FieldDecision, settle_in_sync
from crmsync_pipeline.plan.rows import PlanRow, insert_plan_rows
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items

if TYPE_CHECKING:
    from crmsync_pipeline.plan.lookups import Lookup

WRITES = {"write_salesforce": Side.SALESFORCE, "write_hubspot": Side.HUBSPOT}


@dataclass
class PlanSummary:
    updates: Counter[str] = field(default_factory=Counter)  # target -> field writes planned
    records: Counter[str] = field(default_factory=Counter)  # target -> records to update
    in_sync: int = 0
    issues: list[ValueIssue] = field(default_factory=list)  # values the target side cannot take
    conflicts: int = 0
    held: int = 0


def plan_updates(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair: ObjectPair,
    owners: OwnerDirectory,
    decisions: Iterable[FieldDecision],
    now: datetime,
    lookups: Mapping[str, Lookup] | None = None,
) -> PlanSummary:
    """`decisions` come from decide_fields over this connection's `field_state`; its in-sync rows may be
    left out: base moves for all of them here, in SQL. `lookups` plans the pair's lookup associations,
    merged as fields named `@association:<pair>`."""
    by_name = {f.name: f for f in pair.fields}
    summary = PlanSummary()
    plan: list[PlanRow] = []
    conflicts, held = [], []
    touched: dict[str, set[str]] = {"hubspot": set(), "salesforce": set()}
    for d in decisions:
        if d.decision in WRITES:
            target = WRITES[d.decision]
            try:
                if lookups and d.field in lookups:
                    plan.extend(lookups[d.field].update_rows(run_id, d, target, now))
                else:
                    plan.append(_update_row(run_id, pair, owners, by_name[d.field], d, target, now))
            except TransformError as err:  # e.g. an owner with no counterpart on the target side
                summary.issues.append(_issue(d, target, err))
                continue
            touched[target.value].add(d.salesforce_id if target is Side.SALESFORCE else d.hubspot_id)
        elif d.decision == "hold":
            held.append(_held_item(d))
        if d.is_conflict:
            conflicts.append(_conflict_row(run_id, d, now))
    insert_plan_rows(con, plan)
    summary.in_sync = settle_in_sync(con, run_id, now)
    if conflicts:
        insert_rows(con, "conflicts", conflicts)
    open_review_items(con, held, run_id, now)
    for target, records in touched.items():
        summary.records[target] = len(records)
    summary.updates.update(row.target for row in plan)
    summary.conflicts, summary.held = len(conflicts), len(held)
    return summary


def left_out(pair: ObjectPair, owners: OwnerDirectory, d: FieldDecision) -> ValueIssue | None:
    """The value issue the plan reports INSTEAD of writing decision `d` (the target side cannot take the
    value, e.g. a Salesforce owner with no HubSpot owner), or None when the write would be planned.
    Health's drift check asks it, so a field the plan leaves out is reported once, as a value issue."""
    target = WRITES.get(d.decision)
    mapped = {f.name: f for f in pair.fields}.get(d.field)
    if target is None or mapped is None:  # lookups are planned by their own rules
        return None
    try:
        _update_row("", pair, owners, mapped, d, target, datetime.now(UTC))
    except TransformError as err:
        return _issue(d, target, err)
    return None


def _issue(d: FieldDecision, target: Side, err: TransformError) -> ValueIssue:
    """The source value the target side cannot take."""
    source = Side.HUBSPOT if target is Side.SALESFORCE else Side.SALESFORCE
    record = d.hubspot_id if source is Side.HUBSPOT else d.salesforce_id
    raw = d.hubspot_raw if source is Side.HUBSPOT else d.salesforce_raw
    return ValueIssue(source.value, record, d.field, raw, str(err))


def _conflict_row(run_id: str, d: FieldDecision, now: datetime) -> tuple:
    """A `conflicts` row: both values, their times, and who won (`review` while held)."""
    winner = {"write_salesforce": "hubspot", "write_hubspot": "salesforce"}.get(d.decision, "review")
    return (
        run_id,
        d.pair,
        d.hubspot_id,
        d.salesforce_id,
        d.field,
        d.base_value,
        d.hubspot_value,
        d.salesforce_value,
        d.hubspot_changed_at,
        d.salesforce_changed_at,
        winner,
        d.reason,
        now if winner != "review" else None,
    )


def _update_row(
    run_id: str,
    pair: ObjectPair,
    owners: OwnerDirectory,
    mapped: FieldMapping,
    d: FieldDecision,
    target: Side,
    now: datetime,
) -> PlanRow:
    ctx = transform_context(pair, owners, d.pipeline)
    source_raw = d.hubspot_raw if target is Side.SALESFORCE else d.salesforce_raw
    new_value = (
        written_as_typed(mapped.transformer, source_raw)
        or _source_listed(mapped, d, target, ctx)
        or as_text(from_canonical_text(mapped, target, d.agreed_value, ctx))
    )
    if new_value in (None, "") and mapped.default.for_side(target) is not None:
        new_value = str(
            mapped.default.for_side(target)
        )  # a clear reaches a required field as its placeholder
    if target is Side.SALESFORCE:
        ref, target_field, old_value = d.salesforce_id, mapped.salesforce, d.salesforce_raw
    else:
        ref, target_field, old_value = d.hubspot_id, mapped.hubspot, d.hubspot_raw
    return PlanRow(
        run_id=run_id,
        pair=d.pair,
        target=target.value,
        action="update",
        record_ref=ref,
        hubspot_id=d.hubspot_id,
        salesforce_object=d.salesforce_object,
        salesforce_id=d.salesforce_id,
        field=d.field,
        target_field=target_field,
        old_value=old_value,
        new_value=new_value,
        canonical_value=d.agreed_value,
        reason=d.reason,
        planned_at=now,
    )


def _source_listed(mapped: FieldMapping, d: FieldDecision, target: Side, ctx: TransformContext) -> str | None:
    """The winning side's own value as the value map lists it for `target` (`Closed - Converted` reaches
    HubSpot as OPEN_DEAL, as mapped, not as IN_PROGRESS, the first HubSpot value of its class)."""
    source = Side.SALESFORCE if target is Side.HUBSPOT else Side.HUBSPOT
    value, raw = (
        (d.salesforce_value, d.salesforce_raw)
        if source is Side.SALESFORCE
        else (d.hubspot_value, d.hubspot_raw)
    )
    if d.agreed_value is None or value != d.agreed_value:
        return None
    return listed_value(mapped, source, raw, ctx)


def as_text(value: object) -> str | None:
    """Target-form values are kept as text; the writers give them the target field's type."""
    return value if isinstance(value, str) or value is None else canonical_text(value)


def _held_item(d: FieldDecision) -> ReviewItem:
    return ReviewItem(
        f"held:{d.pair}:{d.hubspot_id}:{d.field}",
        "held_conflict",
        d.pair,
        d.hubspot_id,
        [d.salesforce_id],
        {
            "field": d.field,
            "hubspot": d.hubspot_value,
            "salesforce": d.salesforce_value,
            "base": d.base_value,
        },
    )
