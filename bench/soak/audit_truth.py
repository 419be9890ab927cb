"""The audit log against the CRMs themselves, and values crmsync cleared that nobody cleared.

For each field of each record crmsync wrote, its latest audit row (`confirmed` or `failed`) is compared with
what the CRM holds now, unless a person edited that field on that side afterwards (the soak's model knows):
a `confirmed` write must be what the CRM holds, a `failed` one must not have landed. A confirmed write
that empties a field is crmsync's own clear: the model must hold a clear of that field by a person (or a
value never set on the source), else it is a value cleared by crmsync alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .automation import comparable
from .model import Entity, World, norm
from .oracle import Snapshot
from .state_checks import connect

LATEST_WRITES = """
    SELECT pair, target, record_id, field, before_value, after_value, outcome,
           epoch(coalesce(confirmed_at, intended_at)) AS at, run_id
    FROM audit_log
    WHERE outcome IN ('confirmed', 'failed') AND record_id IS NOT NULL AND field NOT LIKE '@%'
    QUALIFY row_number() OVER (PARTITION BY target, record_id, field ORDER BY intended_at DESC) = 1"""


@dataclass(frozen=True)
class AuditRow:
    pair: str
    target: str
    record_id: str
    field: str
    before_value: str | None
    after_value: str | None
    outcome: str
    at: float
    run_id: str


def latest_writes(state_db: str) -> list[AuditRow]:
    with connect(state_db) as con:
        return [AuditRow(*row) for row in con.execute(LATEST_WRITES).fetchall()]


def check(state_db: str, world: World, snap: Snapshot, automation: bool) -> dict[str, list[dict[str, Any]]]:
    """`audit_mismatches` (the log and the CRM disagree) and `cleared_by_crmsync` (an unexplained clear)."""
    out: dict[str, list[dict[str, Any]]] = {"audit_mismatches": [], "cleared_by_crmsync": []}
    for row in latest_writes(state_db):
        if row.pair not in world.fields:
            continue
        fields = {(f.hubspot if row.target == "hubspot" else f.salesforce): f for f in world.fields[row.pair]}
        f = fields.get(row.field)
        records = snap.hs(row.pair) if row.target == "hubspot" else snap.sf(row.pair)
        if f is None or row.record_id not in records:
            continue  # not a mapped field (cross-reference, association), or the record is gone
        entity = _entity(world, row)
        if entity is None or entity.gone or _edited_after(entity, f.hubspot, row.target, row.at):
            continue

        def form(value: Any, pair: str = row.pair, hs_field: str = f.hubspot) -> str | None:
            return comparable(pair, hs_field, norm(value), expected=True) if automation else norm(value)

        holds = form(records[row.record_id].get(row.field))
        detail = {"pair": row.pair, "target": row.target, "record_id": row.record_id, "field": row.field,
                  "before": row.before_value, "after": row.after_value, "outcome": row.outcome,
                  "crm_holds": holds, "run_id": row.run_id, "key": entity.key}  # fmt: skip
        if row.outcome == "confirmed" and holds != form(row.after_value):
            out["audit_mismatches"].append({**detail, "why": "confirmed, but the CRM holds another value"})
        if row.outcome == "failed" and holds == form(row.after_value) != form(row.before_value):
            out["audit_mismatches"].append({**detail, "why": "failed, but the CRM holds the written value"})
        cleared = (
            row.outcome == "confirmed"
            and norm(row.after_value) is None
            and norm(row.before_value) is not None
        )
        if cleared and not _cleared_by_someone(entity, f.hubspot):
            out["cleared_by_crmsync"].append(detail)
    return out


def _entity(world: World, row: AuditRow) -> Entity | None:
    for e in world.entities[row.pair].values():
        if (row.target == "hubspot" and e.hs_id == row.record_id) or (
            row.target == "salesforce" and e.sf_id == row.record_id
        ):
            return e
    return None


def _edited_after(entity: Entity, hs_field: str, side: str, at: float) -> bool:
    """A person (or an undo the soak ran) changed this field on this side after crmsync's write. A create
    after the write counts too: a re-created HubSpot contact's entity takes over the Salesforce record of
    the archived one, its values recorded as created then (life_edits.py `_recreate`), and a person's edit
    made there before is in the archived entity's events, not this one's (the soak's seed 13, p2908)."""
    return any(
        ev.side == side and ev.t >= at - 1.0 and (ev.kind != "create" or ev.t > at + 1.0)
        for ev in entity.events.get(hs_field, [])
    )


def _cleared_by_someone(entity: Entity, hs_field: str) -> bool:
    """A person cleared the field on either side, an undo put an empty value back, or a side was created
    without it (so an empty value may have crossed by the field's direction)."""
    return any(ev.value is None for ev in entity.events.get(hs_field, []))
