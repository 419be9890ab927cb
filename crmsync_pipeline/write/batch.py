"""The two halves of every write batch, whichever API carries it (sObject Collections, HubSpot batch,
or a Bulk API job reconciled later): the audit intent before the CRM call, then what the CRM answered
(results, errors, links, base, the snapshot), each in its own short-lived state connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state.audit_log import WriteOutcome, mark_unapplied, record_intent, record_outcomes
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.write.reflect import reflect_writes


def intend(connect: Connect, run_id: str, pair_name: str, target: str, refs: Sequence[str]) -> datetime:
    """Record the intent of writing these records; returns when it was intended."""
    intended_at = datetime.now(UTC)
    with connect() as con:
        record_intent(con, run_id, pair_name, target, list(refs), intended_at)
    return intended_at


def confirm(
    connect: Connect,
    run_id: str,
    pair_name: str,
    target: str,
    refs: Sequence[str],
    results: Sequence[WriteResult],
    intended_at: datetime,
    hubspot_object: str | None = None,
    agreed_empty: Sequence[str] = (),
) -> list[WriteOutcome]:
    """Record what the CRM answered for each record (`results` in the order of `refs`); a created
    record's fields named in `agreed_empty` and left empty get an empty base."""
    outcomes = [WriteOutcome.of(ref, r) for ref, r in zip(refs, results, strict=True)]
    with connect() as con:
        record_outcomes(con, run_id, pair_name, target, outcomes, datetime.now(UTC), agreed_empty)
        _mark_unapplied(con, run_id, pair_name, target, refs, results, intended_at)
        reflect_writes(
            con,
            run_id,
            pair_name,
            target,
            [o.record_ref for o in outcomes if o.succeeded],
            intended_at,
            hubspot_object=hubspot_object,
        )
    return outcomes


def _mark_unapplied(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    pair_name: str,
    target: str,
    refs: Sequence[str],
    results: Sequence[WriteResult],
    intended_at: datetime,
) -> None:
    """A property HubSpot answered 200 for but left out of its answer was not applied (it keeps a value
    it refuses silently, e.g. a lifecycle stage moved backward): its audit row says `not_applied` and the
    snapshot keeps the old value, so the next plan sees the sides differ and carries HubSpot's value
    across (base holds the value written) instead of believing them agreed. Only object properties: an
    association write (`association:` / `association-remove:` plan keys) goes through the v4
    associations API, whose answer carries no properties, so its absence from the answer says nothing.
    Only this batch's rows (`intended_at`): a record's earlier write in the same run sent other fields."""
    answered = {ref: r.answered for ref, r in zip(refs, results, strict=True) if r.succeeded and r.answered}
    if target != "hubspot" or not answered:
        return
    rows = con.execute(
        "SELECT record_ref, target_field FROM plan_rows WHERE run_id = ? AND pair = ? AND target = ? "
        "AND action = 'update' AND record_ref IN (SELECT unnest(?::VARCHAR[])) AND target_field NOT LIKE '@%' "
        "AND target_field NOT LIKE 'association%'",
        [run_id, pair_name, target, list(answered)],
    ).fetchall()
    unapplied = [(ref, f) for ref, f in rows if f not in answered[ref]]
    mark_unapplied(con, run_id, pair_name, target, unapplied, intended_at)


def still_intended(
    connect: Connect, run_id: str, pair_name: str, target: str, refs: Sequence[str]
) -> set[str]:
    """The records whose intent has no outcome yet (a write that crashed before its confirmation)."""
    with connect() as con:
        rows = con.execute(
            """SELECT DISTINCT source_id FROM audit_log WHERE run_id = ? AND pair = ? AND target = ?
               AND outcome = 'intended' AND source_id IN (SELECT unnest(?::VARCHAR[]))""",
            [run_id, pair_name, target, list(refs)],
        ).fetchall()
    return {r[0] for r in rows}
