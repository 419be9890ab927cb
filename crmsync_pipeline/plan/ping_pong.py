"""No ping-pong (docs/design.md, "No ping-pong"): a field of one link that crmsync would write again and
again because CRM automation rewrites what crmsync wrote: on both sides (a Salesforce flow upper-cases
it, a HubSpot workflow lower-cases it, ...), or on one side against a direction that always sends the
other side's value (always_hubspot while a Salesforce flow upper-cases the field).

A loop is declared when a planned write would send a target a value crmsync already sent it and
automation turned around (sql/plan/ping_pong_candidates.sql), in the pair's last three writing runs:
- two-sided: crmsync wrote x to the target, the target turned it into y, crmsync carried y to the
  source, and the source turned it back into x. The planned write is the third of the field;
- one-sided: crmsync wrote x to the target, the target turned it into y, and the direction would write
  x again. The planned write is the second of the field: nothing the sync does can change the outcome,
  so a second sync writes nothing (the fixpoint, docs/design.md "Guarantees").
Only writes since the field's last resolution and since the last undo that wrote it count (an undo is a
person's decision, written as the integration user). Each rewrite must be automation's, never a
person's: on Salesforce the user who changed the field is crmsync's integration user (a before-save flow
or trigger in crmsync's own save) or the Automated Process user, and no other user edited the record
since crmsync's write; on HubSpot the property's latest history entry comes from a workflow
(`sourceType` AUTOMATION_PLATFORM). Anything else (a person, an import, another integration) is not a
loop, and the field syncs as usual.

The field is then held for that link: its writes are skipped with reason `ping_pong:held`, and a review
item of kind `ping_pong` names the field, both values and the automation suspected. Settling the item
(review/actions.py) resumes the field; one settled with 'skip' keeps it held. An item whose two sides
come to agree is settled by the plan itself ('in_sync')."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.extract.salesforce_edit_times import integration_user
from crmsync_pipeline.plan.holds import HeldFields, settle_agreed, skip_held
from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

KIND = "ping_pong"
HELD = "ping_pong:held"
RECENT_RUNS = 3  # a cycle is two writes; a third run leaves room for an echo read one cycle late
# HubSpot property-history source types of workflows (AUTOMATION_PLATFORM today, WORKFLOWS on older
# portals' history)
AUTOMATION_SOURCES = frozenset({"AUTOMATION_PLATFORM", "WORKFLOWS", "WORKFLOW"})
TWO_SIDED, ONE_SIDED = "two_sided", "one_sided"
AUTOMATED_PROCESS = "AutomatedProcess"  # Salesforce User.UserType of the Automated Process user
_WRITES = {"write_salesforce": Side.SALESFORCE, "write_hubspot": Side.HUBSPOT}


@dataclass(frozen=True)
class HubSpotVersion:
    """The latest property-history entry of one property of one HubSpot record."""

    value: str | None
    source_type: str | None
    source_id: str | None

    @classmethod
    def of(cls, entry: dict) -> HubSpotVersion:
        """From a version as connectors/hubspot_json.py gives it."""
        return cls(entry.get("value"), entry.get("source_type"), entry.get("source_id"))


# (HubSpot ids, properties) -> the latest history entry of each; one batch read per 100 records
HubSpotVersions = Callable[[list[str], list[str]], dict[tuple[str, str], HubSpotVersion]]


@dataclass(frozen=True)
class Candidate:
    """A row of sql/plan/ping_pong_candidates.sql: a planned write that closes a cycle."""

    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    field: str
    target: str  # the side the plan would write again
    hubspot_value: str | None  # canonical
    salesforce_value: str | None
    hubspot_raw: str | None
    salesforce_raw: str | None
    first_run: str
    second_run: str | None  # None for a one-sided loop (one write of crmsync's)
    salesforce_changed_by: str | None
    person_edited_salesforce: bool
    loop: str = TWO_SIDED  # TWO_SIDED | ONE_SIDED

    @property
    def one_sided(self) -> bool:
        return self.loop == ONE_SIDED

    @property
    def target_raw(self) -> str | None:
        """What the target holds: the automation's value in a one-sided loop."""
        return self.salesforce_raw if self.target == Side.SALESFORCE.value else self.hubspot_raw

    @property
    def source_raw(self) -> str | None:
        """What crmsync sends: the source's value."""
        return self.hubspot_raw if self.target == Side.SALESFORCE.value else self.salesforce_raw


@dataclass(frozen=True)
class Loop:
    """A confirmed ping-pong: the candidate, and what crmsync suspects of each side."""

    candidate: Candidate
    hubspot_property: str
    salesforce_field: str
    suspects: tuple[str, ...]

    def review_item(self, pair_name: str, run_id: str) -> ReviewItem:
        c = self.candidate
        detail = {
            "field": c.field,
            "hubspot_property": self.hubspot_property,
            "salesforce_field": f"{c.salesforce_object}.{self.salesforce_field}",
            "hubspot": c.hubspot_raw,
            "salesforce": c.salesforce_raw,
            "hubspot_canonical": c.hubspot_value,
            "salesforce_canonical": c.salesforce_value,
            "suspected": "; ".join(self.suspects),
            "runs": [r for r in (c.first_run, c.second_run) if r],
            "loop": c.loop,
        }
        if c.one_sided:  # what crmsync would keep writing, and what the target's automation leaves
            detail |= {"target": c.target, "crmsync_writes": c.source_raw, "automation_leaves": c.target_raw}
        return ReviewItem(
            f"{KIND}:{pair_name}:{c.hubspot_id}:{c.field}:{run_id}", KIND, pair_name, c.hubspot_id,
            [c.salesforce_id], detail,
        )  # fmt: skip


def loop_candidates(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, decisions: Iterable[FieldDecision]
) -> list[Candidate]:
    """The planned writes among `decisions` that would close a cycle (no CRM call; the caller judges who
    made the rewrites with `confirm_loops`)."""
    fields = {f.name: f for f in pair.fields}
    rows = [
        _planned_write(d, fields[d.field].hubspot, fields[d.field].salesforce)
        for d in decisions
        if d.decision in _WRITES and d.field in fields
    ]
    held = held_fields(con, pair_name)
    rows = [r for r in rows if (r["hubspot_id"], r["field"]) not in held]
    if not rows:
        return []
    table = SnapshotTables.of(pair_name).salesforce
    if not table_exists(con, table) or not column_exists(con, table, "_last_modified_by_id"):
        return []
    con.register("planned_writes", pa.Table.from_pylist(rows, schema=_PLANNED))
    try:
        found = con.execute(
            sql("plan/ping_pong_candidates.sql").format(salesforce_table=quoted(table)),
            {
                "pair": pair_name,
                "recent_runs": RECENT_RUNS,
                "integration_user": integration_user(con),
                "automation_users": automation_users(con),
            },
        ).fetchall()
    finally:
        con.unregister("planned_writes")
    return [Candidate(*row) for row in found]


_PLANNED = pa.schema(
    [(name, pa.string()) for name in ("hubspot_id", "salesforce_object", "salesforce_id", "field")]
    + [
        (name, pa.string())
        for name in ("hubspot_field", "salesforce_field", "target", "source", "value", "target_value")
    ]
    + [(name, pa.string()) for name in ("hubspot_value", "salesforce_value", "hubspot_raw", "salesforce_raw")]
)


def _planned_write(d: FieldDecision, hubspot_field: str, salesforce_field: str) -> dict[str, str | None]:
    target = _WRITES[d.decision]
    return {
        "hubspot_id": d.hubspot_id,
        "salesforce_object": d.salesforce_object,
        "salesforce_id": d.salesforce_id,
        "field": d.field,
        "hubspot_field": hubspot_field,
        "salesforce_field": salesforce_field,
        "target": target.value,
        "source": (Side.HUBSPOT if target is Side.SALESFORCE else Side.SALESFORCE).value,
        "value": d.agreed_value,
        "target_value": d.salesforce_value if target is Side.SALESFORCE else d.hubspot_value,
        "hubspot_value": d.hubspot_value,
        "salesforce_value": d.salesforce_value,
        "hubspot_raw": d.hubspot_raw,
        "salesforce_raw": d.salesforce_raw,
    }


def automation_users(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Salesforce users that are automation, not people (the Automated Process user), as last read."""
    if not table_exists(con, "salesforce_users") or not column_exists(con, "salesforce_users", "user_type"):
        return []
    rows = con.execute("SELECT id FROM salesforce_users WHERE user_type = ?", [AUTOMATED_PROCESS]).fetchall()
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class SalesforceUsers:
    """Who is not a person on Salesforce: crmsync's integration user and the automation users."""

    integration: str | None
    automation: frozenset[str]


def salesforce_users(con: duckdb.DuckDBPyConnection) -> SalesforceUsers:
    return SalesforceUsers(integration_user(con), frozenset(automation_users(con)))


def confirm_loops(
    candidates: Sequence[Candidate],
    pair: ObjectPair,
    users: SalesforceUsers,
    versions: dict[tuple[str, str], HubSpotVersion],
) -> list[Loop]:
    """The candidates whose rewrites were automation's (on both sides of a two-sided loop, on the target
    of a one-sided one), each with what is suspected."""
    fields = {f.name: f for f in pair.fields}
    loops = []
    for c in candidates:
        mapped = fields[c.field]
        salesforce = _salesforce_suspect(c, mapped.salesforce, users)
        hubspot = _hubspot_suspect(
            c, pair.hubspot, mapped.hubspot, versions.get((c.hubspot_id, mapped.hubspot))
        )
        if c.one_sided:
            suspect = salesforce if c.target == Side.SALESFORCE.value else hubspot
            if suspect:
                loops.append(Loop(c, mapped.hubspot, mapped.salesforce, (suspect,)))
        elif salesforce and hubspot:
            loops.append(Loop(c, mapped.hubspot, mapped.salesforce, (salesforce, hubspot)))
    return loops


def _salesforce_suspect(c: Candidate, field: str, users: SalesforceUsers) -> str | None:
    """What rewrote the Salesforce value, when it was automation and no person touched the record."""
    who = c.salesforce_changed_by
    if c.person_edited_salesforce or who is None:
        return None
    where = f"{c.salesforce_object}.{field} to {c.salesforce_raw!r}"
    if who == users.integration:
        return (
            f"a Salesforce flow or trigger running as the integration user ({who}) rewrote {where} "
            "in crmsync's own save"
        )
    if who in users.automation:
        return f"a Salesforce flow running as the Automated Process user ({who}) rewrote {where} after crmsync's write"
    return None


def _hubspot_suspect(c: Candidate, object_type: str, prop: str, latest: HubSpotVersion | None) -> str | None:
    """What rewrote the HubSpot value, when its latest history entry is a workflow's and holds it."""
    if latest is None or latest.source_type not in AUTOMATION_SOURCES:
        return None
    if (latest.value or None) != (c.hubspot_raw or None):
        return None  # the history read is older than the snapshot: no verdict on a value not seen
    source = f", {latest.source_id}" if latest.source_id else ""
    return (
        f"a HubSpot workflow (sourceType {latest.source_type}{source}) rewrote {object_type}.{prop} "
        f"to {c.hubspot_raw!r} after crmsync's write"
    )


def hold_loops(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    decisions: list[FieldDecision],
    loops: Sequence[Loop],
    now: datetime,
) -> tuple[list[FieldDecision], HeldFields]:
    """Open a review item per new loop, settle the items whose two sides now agree, and turn every planned
    write of a held link and field into a skip (`ping_pong:held`)."""
    already = held_fields(con, pair_name)
    new = [loop for loop in loops if (loop.candidate.hubspot_id, loop.candidate.field) not in already]
    opened = open_review_items(con, [loop.review_item(pair_name, run_id) for loop in new], run_id, now)
    settled = settle_agreed(con, pair_name, KIND, now)
    held = held_fields(con, pair_name)
    kept, skipped = skip_held(decisions, held, HELD)
    return kept, HeldFields(opened, skipped, settled)


def held_fields(con: duckdb.DuckDBPyConnection, pair_name: str) -> set[tuple[str, str]]:
    """(HubSpot id, field) of every link and field held for a ping-pong loop (sql/plan/ping_pong_held.sql)."""
    rows = con.execute(sql("plan/ping_pong_held.sql"), {"pair": pair_name}).fetchall()
    return {(str(h), str(f)) for h, f, _, _ in rows}
