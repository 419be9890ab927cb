"""Undo of a run (docs/design.md): every field the run wrote goes back to the value the written side held
before the run, on both sides, and base is set to it, so the next sync has nothing to re-apply. Both
sides, because the run only carried a change across: leaving the source side as it is would have the
next sync carry it across again. A field someone changed since (the CRM's current value, read fresh,
differs from what the run wrote, in canonical form) is reported and left alone on both sides.

A field the run filled from the other side's value with no agreed value before it (a first link, a
newly mapped field, an empty never set) is put back on the written side only: the other side held that
value before the run, and an empty value never set never blanks data. Its base is forgotten, so such a
field is merged as a first link again (and filled again) unless the link is removed.

Records the run created are archived where it created them and their links and base removed; the
source record is held in review (kind `undone_create`) so the next sync does not create it again."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from crmsync_pipeline.config import (
    FieldMapping,
    Mapping,
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    canonical_text,
    written_as_typed,
)
from crmsync_pipeline.plan.field_state import from_canonical_text, pipeline_property, transform_context
from crmsync_pipeline.plan.updates import as_text
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.write.source_readers import SourceReader

# reasons of writes with no base before the run; filled_on_create carried what a CRM filled in on a
# record the same run created (write/created_values.py): undo archives that record and restores the
# written side only, never the created record's required value (Lead.Status) to empty
NO_AGREED_VALUE = ("first_link", "fill_empty", "filled_on_create")


@dataclass(frozen=True)
class FieldWrite:
    """One confirmed field write of the run (a row of sql/undo/field_writes.sql)."""

    pair: str
    target: str
    record_id: str
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    field: str
    target_field: str
    before_value: str | None
    after_value: str | None
    canonical_value: str | None
    reason: str

    @property
    def written(self) -> Side:
        return Side(self.target)

    @property
    def other(self) -> Side:
        return Side.SALESFORCE if self.written is Side.HUBSPOT else Side.HUBSPOT

    @property
    def other_id(self) -> str:
        return self.salesforce_id if self.other is Side.SALESFORCE else self.hubspot_id

    @property
    def had_agreed_value(self) -> bool:
        return not any(r in self.reason for r in NO_AGREED_VALUE)


@dataclass(frozen=True)
class CreatedRecord:
    """One record the run created (a row of sql/undo/created_records.sql)."""

    pair: str
    target: str
    record_id: str
    source_id: str
    salesforce_object: str
    hubspot_id: str


@dataclass
class FieldUndo:
    """What undo does with one field write. `status`: restore | left_out (a CRM would refuse the restore:
    undo/preflight.py; `error_code` says why) | changed_since (left alone) | gone (record deleted since) |
    unmapped | unreadable (a transform failed) | kept (cross-references, associations)."""

    write: FieldWrite
    status: str
    note: str = ""
    error_code: str | None = None
    restored: str | None = None  # canonical: becomes base
    # side -> (record id, field, value to write, value it holds now), in that side's own form
    writes: dict[Side, tuple[str, str, str | None, Any]] = field(default_factory=dict)

    @property
    def sets_base(self) -> bool:
        return self.status == "restore" and self.write.had_agreed_value


@dataclass
class UndoPlan:
    run_id: str
    fields: list[FieldUndo]
    creates: list[CreatedRecord]

    def by_status(self, status: str) -> list[FieldUndo]:
        return [f for f in self.fields if f.status == status]

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        for f in self.fields:
            counts[f.status] += 1
        side_writes: dict[str, int] = defaultdict(int)
        for f in self.by_status("restore"):
            for side in f.writes:
                side_writes[side.value] += 1
        return {
            "undoes": self.run_id,
            "fields": dict(counts),
            "field writes": dict(side_writes),
            "records to archive": len(self.creates),
        }


def load_run_writes(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> tuple[list[FieldWrite], list[CreatedRecord]]:
    writes = [
        FieldWrite(*row) for row in con.execute(sql("undo/field_writes.sql"), {"run_id": run_id}).fetchall()
    ]
    creates = [
        CreatedRecord(*row)
        for row in con.execute(sql("undo/created_records.sql"), {"run_id": run_id}).fetchall()
    ]
    created = {(c.pair, c.target, c.record_id) for c in creates}
    # a field written on a record the run also created goes with the record (archived, not restored)
    return [w for w in writes if (w.pair, w.target, w.record_id) not in created], creates


class RecordsUnread(Exception):
    """Records that exist but could not be read now (a transient error after the retries): undo cannot
    tell whether they changed since the run, so it plans nothing rather than call them gone."""

    def __init__(self, unread: dict[tuple[Side, str], str]):
        self.unread = unread
        listed = ", ".join(f"{side.value} {record_id} ({code})" for (side, record_id), code in unread.items())
        super().__init__(f"{len(unread)} record(s) could not be read now: {listed}")


def read_current(
    mapping: Mapping, writes: list[FieldWrite], hubspot: SourceReader, salesforce: SourceReader
) -> dict[tuple[Side, str], dict[str, Any]]:
    """The CRMs' current values of every field the run wrote, on both sides (batched reads), keyed by
    (side, record id). A record missing from the answer is gone (deleted or merged since): HubSpot said
    OBJECT_NOT_FOUND, or a Salesforce query by id left it out. A record a reader could not read (it keeps
    them in `unread`: a 207 INTERNAL_ERROR after its retries) raises RecordsUnread; a failed Salesforce
    query raises its CrmError."""
    wanted: dict[tuple[Side, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for w in writes:
        pair = mapping.pair(w.pair)
        mapped = next((f for f in pair.fields if f.name == w.field), None)
        if mapped is None:
            continue
        hubspot_fields = {mapped.hubspot} | ({pipeline_property(pair)} - {None})
        wanted[(Side.HUBSPOT, pair.hubspot)][w.hubspot_id] |= hubspot_fields
        wanted[(Side.SALESFORCE, w.salesforce_object)][w.salesforce_id].add(mapped.salesforce)
    out: dict[tuple[Side, str], dict[str, Any]] = {}
    for (side, obj), by_id in wanted.items():
        reader = hubspot if side is Side.HUBSPOT else salesforce
        fields = sorted({f for fs in by_id.values() for f in fs})
        for record_id, values in reader.read(obj, sorted(by_id), fields).items():
            out[(side, str(record_id))] = values
    unread = {
        (side, str(record_id)): code
        for side, reader in ((Side.HUBSPOT, hubspot), (Side.SALESFORCE, salesforce))
        for record_id, code in (getattr(reader, "unread", None) or {}).items()
    }
    if unread:
        raise RecordsUnread(unread)
    return out


def decide(
    mapping: Mapping, owners: OwnerDirectory, writes: list[FieldWrite], current: dict[tuple[Side, str], dict]
) -> list[FieldUndo]:
    return [_decide_one(mapping, owners, w, current) for w in writes]


def _decide_one(
    mapping: Mapping, owners: OwnerDirectory, w: FieldWrite, current: dict[tuple[Side, str], dict]
) -> FieldUndo:
    if w.field.startswith("@"):  # the link's own bookkeeping: it stays while the link does
        return FieldUndo(w, "kept", "cross-reference ids and associations are not reverted")
    pair = mapping.pair(w.pair)
    mapped = next((f for f in pair.fields if f.name == w.field), None)
    if mapped is None:
        return FieldUndo(w, "unmapped", "no longer in the mapping")
    ids = {Side.HUBSPOT: w.hubspot_id, Side.SALESFORCE: w.salesforce_id}
    now = {side: current.get((side, ids[side])) for side in Side}
    if now[w.written] is None or now[w.other] is None:
        return FieldUndo(w, "gone", "the record is no longer there")
    pipeline = now[Side.HUBSPOT].get(pipeline_property(pair) or "") if pair.deal_stages else None
    ctx = transform_context(pair, owners, pipeline)

    def canonical(side: Side, raw: Any) -> str | None:
        # the mapping's default counts as empty (plan/field_state.py `_canonical`): a placeholder crmsync
        # wrote is never data to carry to the other side
        default = mapped.default.for_side(side)
        if raw == "" or (default is not None and raw is not None and str(raw) == str(default)):
            return None
        return canonical_text(mapped.transformer.to_canonical(side, raw, ctx))

    try:
        written_now = canonical(w.written, now[w.written].get(w.target_field))
        other_now = canonical(w.other, now[w.other].get(mapped.side_field(w.other)))
        restored = canonical(w.written, w.before_value)
        if written_now == restored and (other_now == restored or not w.had_agreed_value):
            # already back (an undo that stopped half-way, or a person who reverted it): base follows
            return FieldUndo(w, "restore", "already back to its value before the run", restored)
        if written_now != canonical(w.written, w.after_value):
            return FieldUndo(w, "changed_since", f"{w.target} now holds {written_now!r}")
        if other_now != w.canonical_value:
            return FieldUndo(w, "changed_since", f"{w.other.value} now holds {other_now!r}")
        undo = FieldUndo(w, "restore", restored=restored)
        if written_now != restored:
            undo.writes[w.written] = (w.record_id, w.target_field, w.before_value, w.after_value)
        if w.had_agreed_value and other_now != restored:
            value = _restored_on(mapped, w, restored, ctx)
            other_field = mapped.side_field(w.other)
            undo.writes[w.other] = (ids[w.other], other_field, value, now[w.other].get(other_field))
        if not w.had_agreed_value:
            undo.note = "filled from the other side's value: restored on the written side only"
        return undo
    except TransformError as err:
        return FieldUndo(w, "unreadable", str(err))


def _restored_on(mapped: FieldMapping, w: FieldWrite, restored: str | None, ctx: TransformContext) -> Any:
    """The value the other side gets back. A phone goes back as it was typed, not as its digits; an
    empty value is that side's default where it has one (Lead.Company), else empty: never the written
    side's placeholder."""
    if restored is None:
        default = mapped.default.for_side(w.other)
        return as_text(from_canonical_text(mapped, w.other, None, ctx)) if default is None else str(default)
    return written_as_typed(mapped.transformer, w.before_value) or as_text(
        from_canonical_text(mapped, w.other, restored, ctx)
    )


def refusal(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """Why this run cannot be undone now, or None."""
    row = con.execute("SELECT status, trigger FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if (
        not row
        and not con.execute("SELECT count(*) FROM audit_log WHERE run_id = ?", [run_id]).fetchall()[0][0]
    ):
        return f"no run {run_id} in the state file"
    if row and row[0][1] == "undo":
        return f"{run_id} is itself an undo; run a sync to carry changes again"
    return None
