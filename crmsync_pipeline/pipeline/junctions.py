"""Many-to-many associations carried by a Salesforce junction object (a deal's contacts as
OpportunityContactRole records). Additive both ways: a pair associated on one side and not on the other
is associated there too; removals are not propagated. OpportunityContactRole has no external id, so each
record is looked up by its natural key (the pair of ids) before it is inserted: a rerun after a crash
re-reads the junctions and finds what the crashed run created."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crmsync_pipeline.config import AssociationMapping, Mapping
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows

from .extract import salesforce_text
from .sql_names import table_exists

JUNCTIONS_TABLE = """CREATE TABLE IF NOT EXISTS salesforce_junctions (object VARCHAR, id VARCHAR PRIMARY KEY,
    this_id VARCHAR, other_id VARCHAR, deleted BOOLEAN, _modified_at TIMESTAMPTZ)"""
OVERLAP = timedelta(seconds=5)


@dataclass
class JunctionSummary:
    read: int = 0
    to_salesforce: int = 0
    to_hubspot: int = 0
    failed: int = 0


def junction_associations(mapping: Mapping, pair_name: str) -> list[AssociationMapping]:
    return [a for a in mapping.pair(pair_name).associations if a.junction is not None]


def extract_junctions(
    state_path: Path, salesforce: SalesforceConnector, association: AssociationMapping, run_id: str
) -> int:
    junction = association.junction
    assert junction is not None
    key = f"junction:{junction.object}"
    with db.connect(state_path) as con:
        con.execute(JUNCTIONS_TABLE)
        cursor = con.execute(
            "SELECT cursor_value FROM extract_cursors WHERE crm = 'salesforce' AND object = ?", [key]
        ).fetchall()
    started = datetime.now(UTC)
    soql = (
        f"SELECT Id, {junction.this_field}, {junction.other_field}, IsDeleted, SystemModstamp "
        f"FROM {junction.object}"
    )
    if cursor:
        soql += f" WHERE SystemModstamp >= {(cursor[0][0] - OVERLAP).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    read = 0
    for page in salesforce.query_pages(soql, include_deleted=True):
        rows = [
            (
                junction.object,
                r["Id"],
                salesforce_text(r[junction.this_field]),
                salesforce_text(r[junction.other_field]),
                bool(r.get("IsDeleted")),
                started,
            )
            for r in page
        ]
        with db.connect(state_path) as con:
            insert_rows(
                con,
                "salesforce_junctions",
                rows,
                "ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, "
                "this_id = excluded.this_id, other_id = excluded.other_id",
            )
        read += len(rows)
    with db.connect(state_path) as con:
        con.execute(
            "INSERT INTO extract_cursors VALUES ('salesforce', ?, ?, ?, ?, ?) ON CONFLICT (crm, object) "
            "DO UPDATE SET cursor_value = excluded.cursor_value, updated_at = excluded.updated_at",
            [key, started, read, datetime.now(UTC), run_id],
        )
    return read


def sync_junctions(
    state_path: Path,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    pair_name: str,
    association: AssociationMapping,
    run_id: str,
) -> JunctionSummary:
    pair, other = mapping.pair(pair_name), mapping.pair(association.to)
    junction = association.junction
    assert junction is not None
    summary = JunctionSummary()
    with db.connect(state_path) as con:
        con.execute(JUNCTIONS_TABLE)
        if not table_exists(con, "hubspot_associations"):
            return summary
        # every known pair, each side's ids, as (this HubSpot id, other HubSpot id, this SF id, other SF id)
        hubspot_pairs = con.execute(
            """SELECT a.from_id, a.to_id, lt.salesforce_id, lo.salesforce_id FROM hubspot_associations a
               JOIN links lt ON lt.pair = $this AND lt.hubspot_id = a.from_id
               JOIN links lo ON lo.pair = $other AND lo.hubspot_id = a.to_id AND lo.salesforce_object = 'Contact'
               WHERE a.from_object = $this_object AND a.to_object = $other_object""",
            {
                "this": pair_name,
                "other": association.to,
                "this_object": pair.hubspot,
                "other_object": other.hubspot,
            },
        ).fetchall()
        salesforce_pairs = con.execute(
            """SELECT lt.hubspot_id, lo.hubspot_id, j.this_id, j.other_id FROM salesforce_junctions j
               JOIN links lt ON lt.pair = $this AND lt.salesforce_id = j.this_id
               JOIN links lo ON lo.pair = $other AND lo.salesforce_id = j.other_id
               WHERE j.object = $object AND NOT j.deleted""",
            {"this": pair_name, "other": association.to, "object": junction.object},
        ).fetchall()
    in_salesforce = {(t, o) for _, _, t, o in salesforce_pairs}
    in_hubspot = {(t, o) for t, o, _, _ in hubspot_pairs}
    to_salesforce = sorted({(t, o) for _, _, t, o in hubspot_pairs} - in_salesforce)
    to_hubspot = sorted({(t, o) for t, o, _, _ in salesforce_pairs} - in_hubspot)
    now = datetime.now(UTC)
    if to_salesforce:
        records = [
            {junction.this_field: t, junction.other_field: o, **junction.values} for t, o in to_salesforce
        ]
        results = salesforce.create(junction.object, records)
        ok = [
            (junction.object, r.record_id, t, o, False, now)
            for (t, o), r in zip(to_salesforce, results, strict=True)
            if r.succeeded
        ]
        summary.to_salesforce, summary.failed = len(ok), len(results) - len(ok)
        _record(state_path, run_id, pair_name, "salesforce", to_salesforce, results, now)
        with db.connect(state_path) as con:
            insert_rows(con, "salesforce_junctions", ok, "ON CONFLICT (id) DO NOTHING")
    if to_hubspot and association.hubspot_type_id is not None:
        hubspot.create_associations(
            pair.hubspot, other.hubspot, [(t, o, association.hubspot_type_id) for t, o in to_hubspot]
        )
        summary.to_hubspot = len(to_hubspot)
        with db.connect(state_path) as con:
            insert_rows(
                con,
                "hubspot_associations",
                [
                    (pair.hubspot, t, other.hubspot, o, [association.hubspot_type_id], now)
                    for t, o in to_hubspot
                ],
            )
    return summary


def _record(
    state_path: Path,
    run_id: str,
    pair_name: str,
    target: str,
    pairs: list[tuple[str, str]],
    results: list,
    now: datetime,
) -> None:  # type: ignore[type-arg]
    rows = [
        (
            run_id,
            pair_name,
            target,
            f"{t}:{o}",
            "associate",
            r.succeeded,
            r.error_code,
            r.error_message,
            list(r.error_fields),
            now,
        )
        for (t, o), r in zip(pairs, results, strict=True)
    ]
    with db.connect(state_path) as con:
        insert_rows(con, "write_results", rows)
