"""What `crmsync plan` would write, record by record: per pair and target CRM, the first records (creates,
then updates, then deletes, archives, erasures and restores) with each field, its value now and the value
it would get, and the rule that decided (plan_rows.reason). Values of an erased person are never shown:
a record with an id in table erasures, a record this run erases, or one whose email hashes to an erased
person's (state/erasures.py) shows its field names only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import rich.markup
from rich.console import Console

from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.erasures import email_hash, erased_hashes

from .values import change, shown

FIELDS_PER_RECORD = 12  # a create of a wide object lists its first fields; plan_rows has them all
HIDDEN = "[values hidden: erased person]"
CRM = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


class DetailRow(NamedTuple):
    """One row of sql/cli/plan_details.sql."""

    pair: str
    target: str
    record_ref: str
    action: str
    hubspot_id: str | None
    salesforce_object: str | None
    salesforce_id: str | None
    field: str
    target_field: str
    old_value: str | None
    new_value: str | None
    reason: str
    preflight_error: str | None
    records: int  # records the (pair, target) has in the plan
    erased: bool


@dataclass(frozen=True)
class FieldLine:
    """One field a record would get (a row of sql/cli/plan_details.sql)."""

    name: str  # the field on the target
    old: str | None
    new: str | None
    reason: str
    refused: str | None  # preflight's code: never sent


@dataclass
class RecordPlan:
    pair: str
    target: str
    ref: str
    action: str
    hubspot_id: str | None
    salesforce_object: str | None
    salesforce_id: str | None
    erased: bool
    fields: list[FieldLine] = field(default_factory=list)

    def heading(self) -> str:
        sobject = self.salesforce_object or "record"
        if self.target == "salesforce":
            if self.action == "create":
                return f"create {sobject} from HubSpot {self.ref}"
            return f"{self.action} {sobject} {self.ref} (HubSpot {self.hubspot_id or '-'})"
        if self.action == "create":
            return f"create from Salesforce {sobject} {self.ref}"
        return f"{self.action} {self.ref} (Salesforce {sobject} {self.salesforce_id or '-'})"


def plan_records(
    state_path: Path, run_id: str, limit: int
) -> dict[tuple[str, str], tuple[int, list[RecordPlan]]]:
    """(pair, target) -> (records planned in all, the first `limit` of them with their fields)."""
    with db.connect(state_path, read_only=True) as con:
        rows = con.execute(sql("cli/plan_details.sql"), {"run_id": run_id, "limit": limit}).fetchall()
        hashes = {pair: erased_hashes(con, pair) for pair in {r[0] for r in rows}}
        out: dict[tuple[str, str], tuple[int, list[RecordPlan]]] = {}
        records: dict[tuple[str, str, str], RecordPlan] = {}
        for row in map(DetailRow._make, rows):
            key = (row.pair, row.target, row.record_ref)
            if key not in records:
                records[key] = RecordPlan(
                    row.pair, row.target, row.record_ref, row.action, row.hubspot_id,
                    row.salesforce_object, row.salesforce_id, row.erased,
                )  # fmt: skip
                out.setdefault((row.pair, row.target), (row.records, []))[1].append(records[key])
            records[key].erased = records[key].erased or row.erased
            if row.field == "@record":
                continue  # the record-level action is the heading; its old value is a whole record
            records[key].fields.append(
                FieldLine(row.target_field, row.old_value, row.new_value, row.reason, row.preflight_error)
            )
        for record in records.values():
            record.erased = record.erased or _email_erased(con, record, hashes.get(record.pair, set()))
    return out


def _email_erased(con: duckdb.DuckDBPyConnection, record: RecordPlan, hashes: set[str]) -> bool:
    if not hashes:
        return False
    values = [v for f in record.fields for v in (f.old, f.new) if v and "@" in v]
    return any(email_hash(con, v) in hashes for v in values)


def print_plan_details(console: Console, state_path: Path, run_id: str, limit: int) -> None:
    """The records each (pair, target) would get, `limit` of them per side."""
    if limit <= 0:
        return
    for (pair, target), (total, records) in plan_records(state_path, run_id, limit).items():
        more = f"; the first {len(records)} shown (--limit N for more)" if total > len(records) else ""
        console.print(
            f"[bold]{pair} -> {CRM[target]}[/bold]: {total} record(s) would be written{more}", highlight=False
        )
        for record in records:
            _print_record(console, record)


def _print_record(console: Console, record: RecordPlan) -> None:
    note = f"  {HIDDEN}" if record.erased else ""
    console.print(rich.markup.escape(f"  {record.heading()}{note}"), highlight=False)
    for line in record.fields[:FIELDS_PER_RECORD]:
        console.print(rich.markup.escape(_field_text(record, line)), highlight=False, soft_wrap=True)
    if len(record.fields) > FIELDS_PER_RECORD:
        console.print(
            f"      ... and {len(record.fields) - FIELDS_PER_RECORD} more field(s) (table plan_rows)",
            highlight=False,
        )


def _field_text(record: RecordPlan, line: FieldLine) -> str:
    if record.erased:
        values = ""
    elif record.action == "create":
        values = f" {shown(line.new)}"
    else:
        values = f" {change(line.old, line.new)}"
    refused = f"  REFUSED by preflight: {line.refused}, not sent" if line.refused else ""
    return f"    {line.name}:{values}  [{line.reason}]{refused}"
