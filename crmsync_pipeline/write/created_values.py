"""Values a CRM fills in when crmsync creates a record there (a picklist default such as Lead.Status, a
record-type default, a before-save flow, a workflow that ran by the time of the read) are settled in the
run that created the record, never left for the next cycle to discover (docs/design.md, "Values a CRM
fills on create").

Right after one side's creates, the created records are read back (one SOQL query per 200 ids, one
HubSpot batch read per 100), their mapped fields set beside the source's values and the base the create
recorded (the same field_state and three-way merge as the plan), and where the merge would let the
created side's value flow back to the source (two_way, prefer_*, always_<created side>) a follow-up
update of the source is planned, reason `<direction>:filled_on_create`. The source side's update phase,
which waits for both sides' creates, writes it like any update: audit intent, call, outcome, base.
Where the direction keeps the source's value (always_<source>; prefer_<source> while the source holds
one), the filled value is accepted as the created side's form of base instead (accepted_values), so
the sides differ and the next plan writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa

from crmsync_pipeline.config import Condition, Direction, ObjectPair, OwnerDirectory, Side
from crmsync_pipeline.plan.cut_lengths import cached_cut_lengths
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.merge import FieldDecision, decide_fields
from crmsync_pipeline.plan.preflight import field_problem
from crmsync_pipeline.plan.stage import owner_directory
from crmsync_pipeline.plan.updates import plan_updates
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.write.job import ApplyJob, PendingRecord
from crmsync_pipeline.write.source_readers import SourceReader

FILLED = "filled_on_create"
READ_BACK = "filled_on_create_{side}"  # the temp table holding the created records as read back


class CreatedLink(NamedTuple):
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str


def settle_created(job: ApplyJob, creates: list[PendingRecord]) -> int:
    """After `job`'s creates: plan the follow-up writes of what the CRM filled in (see the module);
    returns how many field writes were planned."""
    reader = job.writer.target_reader()
    if not creates or reader is None:
        return 0
    with job.connect() as con:
        rows = con.execute(
            sql("write/created_links.sql"),
            {
                "pair": job.pair_name,
                "run_id": job.run_id,
                "target": job.target,
                "refs": [r.ref for r in creates],
            },
        ).fetchall()
    links = [CreatedLink(*row) for row in rows]
    if not links:
        return 0
    stored = read_back(job, reader, links)  # outside any state connection: never held across a call
    with job.connect() as con:
        return _plan_follow_ups(con, job, stored, datetime.now(UTC))


def read_back(job: ApplyJob, reader: SourceReader, links: list[CreatedLink]) -> list[dict[str, str | None]]:
    """The created records' mapped fields as the CRM stored them, in the form their snapshot holds."""
    by_object: dict[str, list[str]] = {}
    for link in links:
        if job.target == "salesforce":
            by_object.setdefault(link.salesforce_object, []).append(link.salesforce_id)
        else:
            by_object.setdefault(job.pair.hubspot, []).append(link.hubspot_id)
    rows: list[dict[str, str | None]] = []
    for object_name, ids in by_object.items():
        fields = _mapped_fields(job.pair, job.target, object_name)
        for record_id, values in reader.read(object_name, ids, fields).items():
            row: dict[str, str | None] = {f: _text(values.get(f)) for f in fields}
            row["id"] = record_id
            if job.target == "salesforce":
                row["_sobject"] = object_name
            rows.append(row)
    return rows


def _mapped_fields(pair: ObjectPair, target: str, object_name: str) -> list[str]:
    """The mapped fields of `object_name`, and those its side's inclusion rule reads (and the owner)."""
    mapped = [f for f in pair.fields if f.direction is not Direction.NONE]
    rule = _inclusion_rule(pair, target)
    ruled = sorted(rule.fields()) if rule is not None else []
    if rule is not None and any(c.owner_known is not None for c in rule.walk()):
        ruled.append("hubspot_owner_id" if target == "hubspot" else "OwnerId")
    if target == "hubspot":
        return list(dict.fromkeys([*(f.hubspot for f in mapped), *ruled]))
    names = [f.salesforce for f in mapped if f.applies_to(object_name)]
    return list(dict.fromkeys([*names, *ruled]))


def _inclusion_rule(pair: ObjectPair, side: str) -> Condition | None:
    return pair.include.hubspot if side == "hubspot" else pair.include.salesforce


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _plan_follow_ups(
    con: duckdb.DuckDBPyConnection, job: ApplyJob, stored: list[dict[str, str | None]], now: datetime
) -> int:
    with read_back_decisions(con, job, stored) as judged:
        if judged is None:
            return 0
        decisions, owners = judged
        settled = settle_rule(job.target, job.pair, decisions)
        carried = sent_by_admitted(job, settled.carried, stored, owners)
        summary = plan_updates(con, job.run_id, job.pair, owners, carried, now)
        preflight_follow_ups(con, job, now)
        accept_fills(con, job.pair_name, job.run_id, job.target, settled.accepted, now)
    return sum(summary.updates.values())


@contextmanager
def read_back_decisions(
    con: duckdb.DuckDBPyConnection, job: ApplyJob, stored: list[dict[str, str | None]]
) -> Iterator[tuple[list[FieldDecision], OwnerDirectory] | None]:
    """The merge's decisions for the records just written, judged against what the target stored (read
    back, in place of its snapshot), with the owner directory they used; None when nothing was read back
    or a snapshot is missing. The read-back table lives while the block runs."""
    tables = SnapshotTables.of(job.pair_name)
    if not stored or not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
        yield None
        return
    table = READ_BACK.format(side=job.target)
    load_read_back(con, tables.on(job.target), table, stored)
    try:
        owners = owner_directory(con)
        build_field_state(
            con, job.pair_name, job.pair, owners, replace(tables, **{job.target: table}),
            cached_cut_lengths(con, job.pair),
        )  # fmt: skip
        yield decide_fields(con, in_sync=False), owners
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quoted(table)}")


def load_read_back(
    con: duckdb.DuckDBPyConnection, snapshot: str, table: str, stored: list[dict[str, str | None]]
) -> None:
    """A temp table shaped as the target's snapshot, holding only the records read back: joined in place
    of the snapshot, it limits field_state to the records just created (their snapshot rows arrive with
    the next extract, which must not find them already there with a time of crmsync's making)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quoted(table)} AS SELECT * FROM {quoted(snapshot)} LIMIT 0")
    columns = [c for c in table_columns(con, table) if any(c in row for row in stored)]
    values = pa.table({c: pa.array([row.get(c) for row in stored], pa.string()) for c in columns})
    con.register("filled_values", values)
    try:
        names = ", ".join(quoted(c) for c in columns)
        con.execute(f"INSERT INTO {quoted(table)} ({names}) SELECT {names} FROM filled_values")
    finally:
        con.unregister("filled_values")


class Settled(NamedTuple):
    """What the created side filled in, split by the rule: carried to the source, or accepted."""

    carried: list[FieldDecision]
    accepted: list[FieldDecision]


def settle_rule(created: str, pair: ObjectPair, decisions: list[FieldDecision]) -> Settled:
    """Per field of a record just created on `created` ('hubspot' | 'salesforce') whose stored value
    the merge found changed since the create's base:

    - the merge would carry it to the source (two_way, prefer_*, always_<created side>): carried in
      this run, except under prefer_<source> while the source holds a value of its own, where the
      source's value stays (it would win at a first link) and the filled value is accepted;
    - the merge would write the source's value back over it (always_<source>): accepted, so the CRM
      and crmsync do not fight over the created record every cycle.

    A conflict or a hold (a resolver) is the next plan's to judge; create_only and none write nothing."""
    source = "hubspot" if created == "salesforce" else "salesforce"
    directions = {f.name: f.direction for f in pair.fields}
    carried, accepted = [], []
    for d in decisions:
        direction = directions.get(d.field)
        if direction is None or d.is_conflict:
            continue
        named = replace(d, reason=f"{direction.value}:{FILLED}")
        source_value = d.hubspot_value if source == "hubspot" else d.salesforce_value
        if d.decision == f"write_{created}" and direction.value == f"always_{source}":
            accepted.append(named)
        elif d.decision == f"write_{source}":
            keeps_source = direction.value == f"prefer_{source}" and source_value is not None
            (accepted if keeps_source else carried).append(named)
    return Settled(carried, accepted)


class UnknownFact(LookupError):
    """A fact an inclusion rule asks about a record just created that the state file cannot know yet."""


class CreatedRecordFacts:
    """Inclusion facts about records just created: list memberships and associations are not known
    until the next extract reads them, so a rule that asks for one does not admit the record yet (its
    fill is then the next cycle's merge to judge, inclusion and all); owners are known."""

    def __init__(self, owners: OwnerDirectory):
        self.owners = owners

    def in_list(self, list_ref: str, record: Mapping[str, Any]) -> bool:
        raise UnknownFact(f"list {list_ref}")

    def associated_with_synced(self, pairs: list[str], record: Mapping[str, Any]) -> bool:
        raise UnknownFact(f"associations with {pairs}")

    def owner_known(self, record: Mapping[str, Any]) -> bool:
        side = Side.HUBSPOT if "hubspot_owner_id" in record else Side.SALESFORCE
        owner = record.get("hubspot_owner_id") if side is Side.HUBSPOT else record.get("OwnerId")
        email = self.owners.email_of(side, str(owner)) if owner else None
        other = Side.SALESFORCE if side is Side.HUBSPOT else Side.HUBSPOT
        return email is not None and self.owners.id_for(other, email) is not None


def sent_by_admitted(
    job: ApplyJob, carried: list[FieldDecision], stored: list[dict[str, str | None]], owners: OwnerDirectory
) -> list[FieldDecision]:
    """A side sends its values only while its inclusion rule admits the record (plan/inclusion.py):
    the created record's fill crosses only if its side's rule admits it as read back."""
    rule = _inclusion_rule(job.pair, job.target)
    if rule is None or not carried:
        return carried
    facts = CreatedRecordFacts(owners)
    admitted = set()
    for row in stored:
        try:
            if rule.matches(row, facts):
                admitted.add(row["id"])
        except UnknownFact:
            continue
    created_id = (lambda d: d.salesforce_id) if job.target == "salesforce" else (lambda d: d.hubspot_id)
    return [d for d in carried if created_id(d) in admitted]


def accept_fills(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    run_id: str,
    side: str,
    accepted: list[FieldDecision],
    now: datetime,
) -> None:
    """The values `side` filled in stand for base on that side (accepted_values)."""
    if not accepted:
        return
    rows = [
        (
            d.hubspot_id,
            d.field,
            side,
            d.salesforce_value if side == "salesforce" else d.hubspot_value,
            d.reason,
        )
        for d in accepted
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE accepted_fills "
        "(hubspot_id VARCHAR, field VARCHAR, side VARCHAR, value VARCHAR, reason VARCHAR)"
    )
    try:
        insert_rows(con, "accepted_fills", rows)
        con.execute(sql("write/accepted_values.sql"), {"pair": pair_name, "run_id": run_id, "now": now})
    finally:
        con.execute("DROP TABLE accepted_fills")


def preflight_follow_ups(
    con: duckdb.DuckDBPyConnection, job: ApplyJob, now: datetime, reason: str = FILLED
) -> int:
    """The follow-up writes face the plan's preflight checks (plan/preflight.py, against the schemas the
    plan cached: no CRM call). A value the source would refuse (a HubSpot option removed, a restricted
    picklist value) is held alone with its code, never sent: the rest of the record's update (its
    cross-reference id) is written. Returns how many values were held."""
    source = "hubspot" if job.target == "salesforce" else "salesforce"
    rows = con.execute(
        """SELECT record_ref, salesforce_object, target_field, new_value FROM plan_rows
           WHERE run_id = ? AND pair = ? AND target = ? AND reason LIKE ? AND preflight_error IS NULL""",
        [job.run_id, job.pair_name, source, f"%:{reason}"],
    ).fetchall()
    held = []
    for ref, sobject, target_field, value in rows:
        meta = _cached_fields(con, source, sobject if source == "salesforce" else job.pair.hubspot)
        if meta is None:
            continue  # no schema cached: the CRM's answer will say
        problem = field_problem(source, meta.get(target_field), target_field, value)
        if problem:
            held.append((ref, target_field, *problem))
    if not held:
        return 0
    con.executemany(
        "UPDATE plan_rows SET preflight_error = ? WHERE run_id = ? AND pair = ? AND target = ? "
        "AND record_ref = ? AND target_field = ? AND preflight_error IS NULL",
        [(code, job.run_id, job.pair_name, source, ref, name) for ref, name, code, _ in held],
    )
    con.executemany(
        "INSERT INTO write_results VALUES (?, ?, ?, ?, 'update', false, ?, ?, ?, ?)",
        [
            (job.run_id, job.pair_name, source, ref, code, f"preflight: {message}", [name], now)
            for ref, name, code, message in held
        ],
    )
    return len(held)


def _cached_fields(con: duckdb.DuckDBPyConnection, crm: str, object_name: str) -> dict[str, Any] | None:
    row = con.execute(
        "SELECT body FROM schema_cache WHERE crm = ? AND object = ?", [crm, object_name]
    ).fetchall()
    if not row:
        return None
    body = json.loads(row[0][0])
    items = body["fields"] if crm == "salesforce" else body
    return {f["name"]: f for f in items}
