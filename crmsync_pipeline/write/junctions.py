"""Writing a pair's junction associations (a deal's contacts as OpportunityContactRole records and HubSpot
deal-contact associations), merged three-way against what both sides held (extract/junctions.py reads
them): a pair associated on one side only is associated on the other, unless both held it before, in
which case its removal propagates. OpportunityContactRole has no external id, so each record is looked up
by its natural key before it is inserted. Only what the CRM confirmed counts (junction_outcomes.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.config import AssociationMapping, Mapping
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.junctions import JUNCTION_FIELD, JUNCTIONS_TABLE
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.names import table_exists
from crmsync_pipeline.write.associations import archive_associations
from crmsync_pipeline.write.junction_outcomes import (
    JunctionSummary,
    JunctionWrites,
    all_of,
    confirmed_pairs,
    gone,
)


def sync_junctions(
    state_path: Path,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    pair_name: str,
    association: AssociationMapping,
    run_id: str,
) -> JunctionSummary:
    """Three-way, per associated pair of records: a pair on one side only is added to the other, unless
    both sides agreed on it before (base), in which case the side without it removed it and the removal
    propagates. Agreed pairs are kept in base_values as `@junction:<object>:<other HubSpot id>`."""
    pair, other = mapping.pair(pair_name), mapping.pair(association.to)
    junction = association.junction
    assert junction is not None
    summary = JunctionSummary()
    field_prefix = f"{JUNCTION_FIELD}{junction.object}:"
    with db.connect(state_path) as con:
        con.execute(JUNCTIONS_TABLE)
        if not table_exists(con, "hubspot_associations"):
            return summary
        hubspot_pairs = con.execute(
            """SELECT DISTINCT a.from_id, a.to_id, lt.salesforce_id, lo.salesforce_id FROM hubspot_associations a
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
            """SELECT lt.hubspot_id, lo.hubspot_id, j.this_id, j.other_id, j.id FROM salesforce_junctions j
               JOIN links lt ON lt.pair = $this AND lt.salesforce_id = j.this_id
               JOIN links lo ON lo.pair = $other AND lo.salesforce_id = j.other_id
               WHERE j.object = $object AND NOT j.deleted""",
            {"this": pair_name, "other": association.to, "object": junction.object},
        ).fetchall()
        agreed_before = {
            (h, f.removeprefix(field_prefix))
            for h, f in con.execute(
                "SELECT hubspot_id, field FROM base_values WHERE pair = ? AND starts_with(field, ?)",
                [pair_name, field_prefix],
            ).fetchall()
        }
    by_hubspot = {(t, o): (st, so) for t, o, st, so in hubspot_pairs}
    by_salesforce: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
    for t, o, st, so, junction_id in salesforce_pairs:  # a merge may leave one pair on several rows
        by_salesforce.setdefault((t, o), (st, so, []))[2].append(junction_id)
    in_hubspot, in_salesforce = set(by_hubspot), set(by_salesforce)
    new_in_hubspot = sorted(in_hubspot - in_salesforce - agreed_before)
    new_in_salesforce = sorted(in_salesforce - in_hubspot - agreed_before)
    removed_in_salesforce = sorted((in_hubspot - in_salesforce) & agreed_before)
    removed_in_hubspot = sorted((in_salesforce - in_hubspot) & agreed_before)
    writes = JunctionWrites(state_path, run_id, pair_name, datetime.now(UTC), summary)
    agreed = in_hubspot & in_salesforce
    if new_in_hubspot:
        pairs = [by_hubspot[k] for k in new_in_hubspot]
        records = [{junction.this_field: t, junction.other_field: o, **junction.values} for t, o in pairs]
        results = writes.attempt(lambda: salesforce.create(junction.object, records), len(records))
        agreed |= writes.added("salesforce", new_in_hubspot, pairs, results)
        with db.connect(state_path) as con:
            insert_rows(
                con,
                "salesforce_junctions",
                [(junction.object, r.record_id, t, o, False, writes.now)
                 for (t, o), r in zip(pairs, results, strict=True) if r.succeeded],
                "ON CONFLICT (id) DO NOTHING",
            )  # fmt: skip
    if removed_in_hubspot:
        ids = [i for k in removed_in_hubspot for i in by_salesforce[k][2]]
        answers = dict(zip(ids, writes.attempt(lambda: salesforce.delete(ids), len(ids)), strict=True))
        results = [all_of([answers[i] for i in by_salesforce[k][2]]) for k in removed_in_hubspot]
        pairs = [by_salesforce[k][:2] for k in removed_in_hubspot]
        agreed |= writes.removed("salesforce", removed_in_hubspot, pairs, results)
        with db.connect(state_path) as con:
            con.execute(
                "UPDATE salesforce_junctions SET deleted = true WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                [[i for i, r in answers.items() if gone(r)]],
            )
    if association.hubspot_type_id is not None:
        type_id = association.hubspot_type_id
        if new_in_salesforce:
            wanted = [(t, o, type_id) for t, o in new_in_salesforce]

            def associate() -> list[WriteResult]:
                answer = hubspot.associate(pair.hubspot, other.hubspot, wanted)
                return confirmed_pairs(new_in_salesforce, answer)

            results = writes.attempt(associate, len(wanted))
            done = writes.added("hubspot", new_in_salesforce, new_in_salesforce, results)
            agreed |= done
            mirrored = [(pair.hubspot, t, other.hubspot, o, [type_id], writes.now) for t, o in sorted(done)]
            with db.connect(state_path) as con:
                insert_rows(con, "hubspot_associations", mirrored)
        if removed_in_salesforce:

            def archive() -> list[WriteResult]:
                archive_associations(hubspot, pair.hubspot, other.hubspot, removed_in_salesforce)
                return [WriteResult(None, True) for _ in removed_in_salesforce]

            results = writes.attempt(archive, len(removed_in_salesforce))
            agreed |= writes.removed("hubspot", removed_in_salesforce, removed_in_salesforce, results)
            with db.connect(state_path) as con:
                for (t, o), r in zip(removed_in_salesforce, results, strict=True):
                    if r.succeeded:
                        con.execute(
                            """DELETE FROM hubspot_associations WHERE from_object = ? AND from_id = ?
                               AND to_object = ? AND to_id = ?""",
                            [pair.hubspot, t, other.hubspot, o],
                        )
    else:
        agreed |= set(removed_in_salesforce)  # HubSpot is not written: nothing to remove there
    _keep_agreed(state_path, run_id, pair_name, field_prefix, agreed, writes.now)
    writes.forget_settled(association.to)
    return summary


def _keep_agreed(
    state_path: Path,
    run_id: str,
    pair_name: str,
    field_prefix: str,
    agreed: set[tuple[str, str]],
    now: datetime,
) -> None:
    """Base becomes the pairs both sides hold after this run. A failed add stays out of base, so it is
    tried again next run rather than read as a removal; a failed removal stays in, for the same reason."""
    with db.connect(state_path) as con:
        con.execute("BEGIN")
        con.execute(
            "DELETE FROM base_values WHERE pair = ? AND starts_with(field, ?)", [pair_name, field_prefix]
        )
        insert_rows(
            con,
            "base_values",
            [(pair_name, t, field_prefix + o, "1", now, run_id) for t, o in sorted(agreed)],
        )
        con.execute("COMMIT")
