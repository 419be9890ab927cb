"""Apply a pair's planned deletes (deletes_plan.py), before its creates and updates:
- 'delete' (Salesforce) and 'archive' (HubSpot) rows: first the deleted side is read again (one call per
  batch), and a record someone restored meanwhile is left alone; then the audit intent (the record's
  last mirrored values as before_value), the CRM call, and its outcome with the CRM's code. A record
  already deleted (ENTITY_IS_DELETED) counts as done. Done ones close their link (deleted_links) and are
  flagged deleted in the snapshot, so the next cycle sees nothing to do.
- restores (create rows with reason 'deletes:restore:...'): the old link is closed so the creates that
  apply_plan writes next link the live record to its new twin; a record restored meanwhile by a person
  is not re-created.
- 'erase' rows: the person is erased on the live side and from the state (erasure.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.connectors import hubspot_deletes, salesforce_deletes
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.plan.deletes import DELETE_REASON, close_link
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.write.batch import confirm, intend

BATCH = 100


@dataclass(frozen=True)
class PlannedDelete:
    action: str  # delete | archive | erase | create (a restore)
    target: str
    ref: str
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    deleted_in: str


def apply_deletes(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    run_id: str,
    pair_name: str,
) -> Counter[str]:
    """Write this run's deletes and archives, and prepare its restores; returns counts. Its erasures are
    the erasure stage's (erasure/erase.py, `erase_planned`)."""
    pair = mapping.pair(pair_name)
    planned = planned_deletes(connect, run_id, pair_name)
    done: Counter[str] = Counter()
    for action in ("delete", "archive"):
        rows = [p for p in planned if p.action == action]
        for start in range(0, len(rows), BATCH):
            done += _propagate(
                connect, hubspot, salesforce, pair.hubspot, run_id, pair_name, rows[start : start + BATCH]
            )
    restores = [p for p in planned if p.action == "create"]
    if restores:
        done += _prepare_restores(connect, hubspot, salesforce, pair.hubspot, run_id, pair_name, restores)
    return done


def planned_deletes(connect: Connect, run_id: str, pair_name: str) -> list[PlannedDelete]:
    """The run's delete, archive, erase and restore rows not yet confirmed or failed, one per record."""
    with connect() as con:
        rows = con.execute(
            sql("write/planned_deletes.sql"),
            {"run": run_id, "pair": pair_name, "reason": DELETE_REASON + "%"},
        ).fetchall()
    return [PlannedDelete(*r) for r in rows]  # the file's columns are the fields, in order


def _still_deleted(
    hubspot: HubSpotConnector, salesforce: SalesforceConnector, hubspot_object: str, rows: list[PlannedDelete]
) -> list[PlannedDelete]:
    """The rows whose deleted record is still deleted (a person may have restored it since the plan)."""
    in_hubspot = [r.hubspot_id for r in rows if r.deleted_in == "hubspot"]
    live_hubspot = (
        set(in_hubspot) - hubspot_deletes.not_found(hubspot, hubspot_object, in_hubspot)
        if in_hubspot
        else set()
    )
    live_salesforce: set[str] = set()
    for sobject in {r.salesforce_object for r in rows if r.deleted_in == "salesforce"}:
        ids = [
            r.salesforce_id for r in rows if r.deleted_in == "salesforce" and r.salesforce_object == sobject
        ]
        live_salesforce |= {
            i
            for i, deleted in salesforce_deletes.existing_ids(salesforce, sobject, ids).items()
            if not deleted
        }
    return [r for r in rows if r.hubspot_id not in live_hubspot and r.salesforce_id not in live_salesforce]


def _propagate(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    hubspot_object: str,
    run_id: str,
    pair_name: str,
    rows: list[PlannedDelete],
) -> Counter[str]:
    """Delete (or archive) one batch's records whose twin is still deleted, and close their links."""
    still = _still_deleted(hubspot, salesforce, hubspot_object, rows)
    done: Counter[str] = Counter(came_back=len(rows) - len(still))
    if not still:
        return done
    target, refs = still[0].target, [r.ref for r in still]
    intended_at = intend(connect, run_id, pair_name, target, refs)
    if target == "salesforce":
        results = [_already_deleted_is_done(r) for r in salesforce_deletes.delete(salesforce, refs)]
    else:
        results = hubspot_deletes.archive(hubspot, hubspot_object, refs)
    outcomes = confirm(connect, run_id, pair_name, target, refs, results, intended_at)
    ok = {o.record_ref for o in outcomes if o.succeeded}
    now = datetime.now(UTC)
    with connect() as con:
        for row in (r for r in still if r.ref in ok):
            close_link(con, pair_name, row.hubspot_id, row.deleted_in, "propagated", run_id, now)
        _flag_gone(con, pair_name, target, sorted(ok))
    done["deleted" if target == "salesforce" else "archived"] += len(ok)
    done["failed"] += len(refs) - len(ok)
    return done


def _already_deleted_is_done(result: WriteResult) -> WriteResult:
    if result.error_code == "ENTITY_IS_DELETED":
        return result.counted_as_done("already deleted")
    return result


def _prepare_restores(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    hubspot_object: str,
    run_id: str,
    pair_name: str,
    rows: list[PlannedDelete],
) -> Counter[str]:
    """Close the old links of the records to re-create; drop restores of records that came back."""
    still = _still_deleted(hubspot, salesforce, hubspot_object, rows)
    back = sorted({r.ref for r in rows} - {r.ref for r in still})
    now = datetime.now(UTC)
    with connect() as con:
        if back:
            con.execute(
                """DELETE FROM plan_rows WHERE run_id = ? AND pair = ? AND action = 'create'
                   AND record_ref IN (SELECT unnest(?::VARCHAR[]))""",
                [run_id, pair_name, back],
            )
        for row in {(r.hubspot_id, r.deleted_in) for r in still}:
            close_link(con, pair_name, row[0], row[1], "restored", run_id, now)
    return Counter(to_restore=len({r.ref for r in still}), came_back=len(back))


def _flag_gone(con: duckdb.DuckDBPyConnection, pair_name: str, target: str, ids: list[str]) -> None:
    """The snapshot marks the records gone, so the next cycle plans nothing for them."""
    table = SnapshotTables.of(pair_name).on(target)
    if not ids or not table_exists(con, table):
        return
    flag = "_archived" if target == "hubspot" else "_deleted"
    con.execute(f"UPDATE {quoted(table)} SET {flag} = true WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids])
