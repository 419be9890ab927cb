"""The plan stage of one object pair, in one transaction of the state file: merges seen, inclusion,
field state and the three-way merge, updates, creates, cross-references, deletes. It opens its own
connection; the Dagster assets and the CLI call it (the match stage is match/stage.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.config import Mapping, OwnerDirectory, Side
from crmsync_pipeline.connectors.errors import TRANSIENT_CODES
from crmsync_pipeline.plan.creates import plan_creates
from crmsync_pipeline.plan.deletes import plan_deletes
from crmsync_pipeline.plan.erased_creates import drop_erased_creates
from crmsync_pipeline.plan.field_state import ValueIssue, build_field_state
from crmsync_pipeline.plan.first_links import keep_first_link_values
from crmsync_pipeline.plan.holds import HeldFields, settle_agreed
from crmsync_pipeline.plan.inclusion import included_ids
from crmsync_pipeline.plan.lookups import LOOKUP_FIELD, add_lookup_state, lookups_of
from crmsync_pipeline.plan.mapping_changes import rebase_changed_forms
from crmsync_pipeline.plan.merge import decide_fields
from crmsync_pipeline.plan.merge_survivors import review_stranded_survivors
from crmsync_pipeline.plan.not_applied import hold_unapplied
from crmsync_pipeline.plan.ping_pong import (
    HubSpotVersions,
    Loop,
    confirm_loops,
    hold_loops,
    loop_candidates,
    salesforce_users,
)
from crmsync_pipeline.plan.record_merges import handle_record_merges
from crmsync_pipeline.plan.restores import see_restores
from crmsync_pipeline.plan.updates import PlanSummary, plan_updates
from crmsync_pipeline.plan.xrefs import plan_cross_references
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


@dataclass
class PlanReport:
    updates: PlanSummary
    creates: dict[str, int] = field(default_factory=dict)
    cross_references: int = 0
    value_issues: int = 0
    linked: int = 0
    orphans: int = 0
    deletes: dict[str, int] = field(default_factory=dict)  # orphaned links by what their policy did
    ping_pong: HeldFields = field(default_factory=HeldFields)  # loops found, field writes held
    rebased: list[str] = field(default_factory=list)  # fields whose form changed: base taken afresh
    not_applied: HeldFields = field(default_factory=HeldFields)  # writes a CRM kept out, held


def owner_directory(con) -> OwnerDirectory:  # type: ignore[no-untyped-def]
    hubspot = (
        dict(con.execute("SELECT id, email FROM hubspot_owners").fetchall())
        if table_exists(con, "hubspot_owners")
        else {}
    )
    salesforce = (
        dict(con.execute("SELECT id, email FROM salesforce_users").fetchall())
        if table_exists(con, "salesforce_users")
        else {}
    )
    return OwnerDirectory(
        hubspot={str(k): v for k, v in hubspot.items() if v},
        salesforce={str(k): v for k, v in salesforce.items() if v},
    )


FIRST_LINK_NEWER = "first_link_newer"  # the reason of a first link the newer change decides
PropertyHistory = Callable[[list[str], list[str]], dict[tuple[str, str], datetime]]


def plan_stage(
    state_path: Path,
    mapping: Mapping,
    pair_name: str,
    run_id: str,
    cut_lengths: dict[str, int] | None = None,
    property_history: PropertyHistory | None = None,
    property_versions: HubSpotVersions | None = None,
) -> PlanReport:
    """Plan updates, creates and cross-references for one pair; a re-plan in the same run replaces it.

    Salesforce only knows when a record changed; HubSpot knows it per property. Where the newer change
    decides a field (both sides changed it, or a first link under two_way), `property_history(hubspot_ids,
    properties)` fetches those HubSpot times (one batch read per 50 records, HubSpot's cap with history,
    outside any state connection) so the newer edit is judged per field. Where a planned write would close
    a ping-pong cycle (plan/ping_pong.py), `property_versions` tells who set the HubSpot value (a workflow
    or a person); without it no loop is declared. A field whose canonical form changed in the mapping has
    its base forgotten first (plan/mapping_changes.py)."""
    pair = mapping.pair(pair_name)
    now = datetime.now(UTC)
    with db.connect(state_path) as con:  # before any field state: a form change forgets its base
        rebased = rebase_changed_forms(con, mapping, pair_name, run_id, now)
    changed_at, loops = _pre_reads(
        state_path, pair_name, pair, cut_lengths, property_history, property_versions
    )
    with db.connect(state_path) as con:
        con.execute("BEGIN")
        con.execute("DELETE FROM plan_rows WHERE run_id = ? AND pair = ?", [run_id, pair_name])
        owners = owner_directory(con)
        # before creates: a merged-away record (or its partner waiting to be merged) is never created
        held = handle_record_merges(con, pair_name, pair, run_id, now).held
        see_restores(con, pair_name, run_id, now)  # before the merge judges their fields and lookups
        included = {side: included_ids(con, mapping, pair_name, side, owners) - held[side] for side in Side}
        state = build_field_state(con, pair_name, pair, owners, cut_lengths=cut_lengths)
        add_lookup_state(con, mapping, pair_name)
        _set_property_times(con, changed_at)
        decided = decide_fields(con, in_sync=False)
        keep_first_link_values(con, pair_name, run_id, decided, now)  # a side moving later is a change
        decisions = [d for d in decided if _admitted(d.decision, d.hubspot_id, d.salesforce_id, included)]
        review_stranded_survivors(  # a merge's survivor its rule keeps from sending: a person is told
            con,
            pair_name,
            decided,
            lambda d: _admitted(d.decision, d.hubspot_id, d.salesforce_id, included),
            run_id,
            now,
        )
        decisions, unapplied = hold_unapplied(con, run_id, pair_name, decisions, now)
        decisions, ping_pong = hold_loops(con, run_id, pair_name, decisions, loops, now)
        # an undo that left a field apart (undo/bookkeeping.py) is over once the sides agree again
        settle_agreed(con, pair_name, "undo_split", now)
        summary = plan_updates(con, run_id, pair, owners, decisions, now, lookups_of(con, mapping, pair_name))
        summary.held += ping_pong.held + unapplied.held
        creates = plan_creates(con, run_id, mapping, pair_name, owners, included, now)
        xrefs = plan_cross_references(con, run_id, pair_name, pair, now)
        _skip_unchanged_failures(con, run_id, pair_name, now)
        issues = state.issues + summary.issues
        _record_value_issues(con, run_id, pair_name, issues, now)
        deletes = _report_orphans(con, mapping, pair_name, run_id, now, owners)
        linked = con.execute("SELECT count(*) FROM links WHERE pair = ?", [pair_name]).fetchall()[0][0]
        con.execute("COMMIT")
    return PlanReport(
        summary,
        dict(creates),
        xrefs,
        len(issues),
        linked,
        deletes["reported"],
        dict(deletes),
        ping_pong,
        rebased,
        unapplied,
    )


def _skip_unchanged_failures(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, now: datetime
) -> None:
    """Drop the records whose last write failed for a reason the same data cannot cure, while their
    source is unchanged (the rule and its back-off: sql/plan/skip_unchanged_failures.sql)."""
    tables = SnapshotTables.of(pair_name)
    con.execute(
        sql("plan/skip_unchanged_failures.sql").format(
            hubspot_table=quoted(tables.hubspot), salesforce_table=quoted(tables.salesforce)
        ),
        {"run_id": run_id, "pair": pair_name, "transient": sorted(TRANSIENT_CODES), "now": now},
    )


def _record_value_issues(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, issues: list[ValueIssue], now: datetime
) -> None:
    """One `value_issues` row per value a transform could not place."""
    rows = [
        (
            run_id,
            pair_name,
            i.side,
            i.record_id,
            i.field,
            None if i.value is None else str(i.value),
            i.problem,
            now,
        )
        for i in issues
    ]
    insert_rows(con, "value_issues", rows)


def _admitted(decision: str, hubspot_id: str, salesforce_id: str, included: dict[Side, set[str]]) -> bool:
    """A side sends its values only while its inclusion rule admits the record (agreement is always kept)."""
    if decision == "write_salesforce":
        return hubspot_id in included[Side.HUBSPOT]
    if decision == "write_hubspot":
        return salesforce_id in included[Side.SALESFORCE]
    return True


def _report_orphans(  # type: ignore[no-untyped-def]
    con, mapping: Mapping, pair_name: str, run_id: str, now: datetime, owners
) -> Counter[str]:
    """Links whose record was deleted on one side: reported, propagated or restored by the pair's
    `deletes:` policy (plan/deletes.py); creates of erased people are dropped (plan/erased_creates.py)."""
    done = plan_deletes(con, run_id, mapping, pair_name, owners, now)
    done["erased, not re-created"] += drop_erased_creates(con, run_id, pair_name, mapping.pair(pair_name))
    return done


def _pre_reads(state_path: Path, pair_name: str, pair, cut_lengths, history, versions):  # type: ignore[no-untyped-def]
    """What the plan needs from HubSpot before its transaction (no state connection is held across a CRM
    call): property times where the newer change decides a field (both sides changed it, or a first
    link under two_way, where a record's time could be a later edit of another field), and who set the
    values of ping-pong candidates."""
    if history is None and versions is None:
        return {}, []
    with db.connect(state_path) as con:
        build_field_state(con, pair_name, pair, owner_directory(con), cut_lengths=cut_lengths)
        decisions = decide_fields(con, in_sync=False)
        candidates = loop_candidates(con, pair_name, pair, decisions) if versions is not None else []
        users = salesforce_users(con)
    judged = [
        (d.hubspot_id, d.field)
        for d in decisions
        if (d.is_conflict or FIRST_LINK_NEWER in d.reason)
        and not d.field.startswith(LOOKUP_FIELD)  # no per-association history
    ]
    changed_at = _property_times(pair, judged, history) if history is not None else {}
    loops: list[Loop] = []
    if candidates:
        properties = {f.name: f.hubspot for f in pair.fields}
        # a one-sided loop on Salesforce needs no HubSpot history: no read for it
        asked = [c for c in candidates if not (c.one_sided and c.target == Side.SALESFORCE.value)]
        latest = (
            versions(sorted({c.hubspot_id for c in asked}), sorted({properties[c.field] for c in asked}))
            if asked
            else {}
        )
        loops = confirm_loops(candidates, pair, users, latest)
    return changed_at, loops


def _property_times(pair, judged, history) -> dict:  # type: ignore[no-untyped-def]
    if not judged:
        return {}
    properties = {f.name: f.hubspot for f in pair.fields}
    times = history(sorted({h for h, _ in judged}), sorted({properties[f] for _, f in judged}))
    return {(h, f): times[(h, properties[f])] for h, f in judged if (h, properties[f]) in times}


def _set_property_times(con, changed_at: dict[tuple[str, str], datetime]) -> None:  # type: ignore[no-untyped-def]
    for (hubspot_id, name), at in changed_at.items():
        con.execute(
            "UPDATE field_state SET hubspot_property_changed_at = ? WHERE hubspot_id = ? AND field = ?",
            [at, hubspot_id, name],
        )
