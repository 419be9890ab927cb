"""Writing a pair's junction associations (a deal's contacts as OpportunityContactRole records and HubSpot
deal-contact associations), merged three-way against what both sides held (extract/junctions.py reads
them): a pair associated on one side only is associated on the other, unless both held it before, in
which case its removal propagates. OpportunityContactRole has no external id, so each record is looked up
by its natural key before it is inserted. Only what the CRM confirmed counts (junction_outcomes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.config import AssociationMapping, Junction, Mapping
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.junctions import JUNCTION_FIELD, JUNCTIONS_TABLE
from crmsync_pipeline.plan.orphans import frozen_hubspot_ids
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import table_exists
from crmsync_pipeline.write.associations import archive_associations
from crmsync_pipeline.write.junction_outcomes import (
    JunctionSummary,
    JunctionWrites,
    all_of,
    confirmed_pairs,
    gone,
)

Key = tuple[str, str]  # (this record's HubSpot id, the associated record's HubSpot id)


@dataclass(frozen=True)
class HeldPairs:
    """The junction pairs each side holds now, and those both agreed on after the last run (base)."""

    in_hubspot: dict[Key, tuple[str, str]]  # -> the two Salesforce ids
    in_salesforce: dict[Key, tuple[str, str, list[str]]]  # -> the two Salesforce ids, the junction rows
    agreed_before: set[Key]
    frozen: tuple[set[str], set[str]] = (set(), set())  # orphaned HubSpot ids of this pair, the other

    def waits(self, key: Key) -> bool:
        """A pair naming an orphaned record waits for a person (plan/orphans.py): neither added nor
        removed, its base kept."""
        return key[0] in self.frozen[0] or key[1] in self.frozen[1]

    def judged(self) -> HeldPairs:
        """The pairs that can be judged now: those naming an orphan left out of all three sets."""
        return HeldPairs(
            {k: v for k, v in self.in_hubspot.items() if not self.waits(k)},
            {k: v for k, v in self.in_salesforce.items() if not self.waits(k)},
            {k for k in self.agreed_before if not self.waits(k)},
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
    held = _held_pairs(state_path, pair_name, association, pair.hubspot, other.hubspot, field_prefix)
    if held is None:
        return summary
    waiting = {k for k in held.agreed_before if held.waits(k)}
    held = held.judged()
    in_hubspot, in_salesforce, before = set(held.in_hubspot), set(held.in_salesforce), held.agreed_before
    writes = JunctionWrites(state_path, run_id, pair_name, datetime.now(UTC), summary)
    agreed = in_hubspot & in_salesforce
    agreed |= _add_in_salesforce(
        writes, salesforce, junction, held, sorted(in_hubspot - in_salesforce - before)
    )
    agreed |= _remove_in_salesforce(writes, salesforce, held, sorted((in_salesforce - in_hubspot) & before))
    removed_in_salesforce = sorted((in_hubspot - in_salesforce) & before)
    if association.hubspot_type_id is not None:
        objects = (pair.hubspot, other.hubspot)
        new_in_salesforce = sorted(in_salesforce - in_hubspot - before)
        agreed |= _add_in_hubspot(writes, hubspot, objects, association.hubspot_type_id, new_in_salesforce)
        agreed |= _remove_in_hubspot(writes, hubspot, objects, removed_in_salesforce)
    else:
        agreed |= set(removed_in_salesforce)  # HubSpot is not written: nothing to remove there
    _keep_agreed(state_path, run_id, pair_name, field_prefix, agreed | waiting, writes.now)
    writes.forget_settled(association.to)
    return summary


def _held_pairs(
    state_path: Path,
    pair_name: str,
    association: AssociationMapping,
    hubspot_object: str,
    other_hubspot_object: str,
    field_prefix: str,
) -> HeldPairs | None:
    """None before HubSpot's associations were ever read (nothing to compare yet)."""
    assert association.junction is not None
    with db.connect(state_path) as con:
        con.execute(JUNCTIONS_TABLE)
        if not table_exists(con, "hubspot_associations"):
            return None
        hubspot_pairs = con.execute(
            sql("write/junction_pairs_in_hubspot.sql"),
            {"this": pair_name, "other": association.to,
             "this_object": hubspot_object, "other_object": other_hubspot_object},
        ).fetchall()  # fmt: skip
        salesforce_pairs = con.execute(
            sql("write/junction_pairs_in_salesforce.sql"),
            {"this": pair_name, "other": association.to, "object": association.junction.object},
        ).fetchall()
        agreed = con.execute(
            "SELECT hubspot_id, field FROM base_values WHERE pair = ? AND starts_with(field, ?)",
            [pair_name, field_prefix],
        ).fetchall()
        frozen = (set(frozen_hubspot_ids(con, pair_name)), set(frozen_hubspot_ids(con, association.to)))
    in_salesforce: dict[Key, tuple[str, str, list[str]]] = {}
    for t, o, st, so, junction_id in salesforce_pairs:  # a merge may leave one pair on several rows
        in_salesforce.setdefault((t, o), (st, so, []))[2].append(junction_id)
    return HeldPairs(
        in_hubspot={(t, o): (st, so) for t, o, st, so in hubspot_pairs},
        in_salesforce=in_salesforce,
        agreed_before={(h, f.removeprefix(field_prefix)) for h, f in agreed},
        frozen=frozen,
    )


def _add_in_salesforce(
    writes: JunctionWrites,
    salesforce: SalesforceConnector,
    junction: Junction,
    held: HeldPairs,
    keys: list[Key],
) -> set[Key]:
    """Junction records for the pairs HubSpot holds alone; returns the pairs Salesforce confirmed."""
    if not keys:
        return set()
    pairs = [held.in_hubspot[k] for k in keys]
    records = [{junction.this_field: t, junction.other_field: o, **junction.values} for t, o in pairs]
    results = writes.attempt(lambda: salesforce.create(junction.object, records), len(records))
    done = writes.added("salesforce", keys, pairs, results)
    with db.connect(writes.state_path) as con:
        insert_rows(
            con,
            "salesforce_junctions",
            [(junction.object, r.record_id, t, o, False, writes.now)
             for (t, o), r in zip(pairs, results, strict=True) if r.succeeded],
            "ON CONFLICT (id) DO NOTHING",
        )  # fmt: skip
    return done


def _remove_in_salesforce(
    writes: JunctionWrites, salesforce: SalesforceConnector, held: HeldPairs, keys: list[Key]
) -> set[Key]:
    """Delete the junction records of pairs HubSpot removed; returns the pairs whose removal failed."""
    if not keys:
        return set()
    ids = [i for k in keys for i in held.in_salesforce[k][2]]
    answers = dict(zip(ids, writes.attempt(lambda: salesforce.delete(ids), len(ids)), strict=True))
    results = [all_of([answers[i] for i in held.in_salesforce[k][2]]) for k in keys]
    pairs = [held.in_salesforce[k][:2] for k in keys]
    kept = writes.removed("salesforce", keys, pairs, results)
    with db.connect(writes.state_path) as con:
        con.execute(
            "UPDATE salesforce_junctions SET deleted = true WHERE id IN (SELECT unnest(?::VARCHAR[]))",
            [[i for i, r in answers.items() if gone(r)]],
        )
    return kept


def _add_in_hubspot(
    writes: JunctionWrites, hubspot: HubSpotConnector, objects: tuple[str, str], type_id: int, keys: list[Key]
) -> set[Key]:
    """Associate the pairs Salesforce holds alone; returns the pairs HubSpot confirmed."""
    if not keys:
        return set()
    from_object, to_object = objects
    wanted = [(t, o, type_id) for t, o in keys]

    def associate() -> list[WriteResult]:
        return confirmed_pairs(keys, hubspot.associate(from_object, to_object, wanted))

    done = writes.added("hubspot", keys, keys, writes.attempt(associate, len(wanted)))
    mirrored = [(from_object, t, to_object, o, [type_id], writes.now) for t, o in sorted(done)]
    with db.connect(writes.state_path) as con:
        insert_rows(con, "hubspot_associations", mirrored)
    return done


def _remove_in_hubspot(
    writes: JunctionWrites, hubspot: HubSpotConnector, objects: tuple[str, str], keys: list[Key]
) -> set[Key]:
    """Archive the associations of pairs Salesforce removed; returns the pairs whose removal failed."""
    if not keys:
        return set()
    from_object, to_object = objects

    def archive() -> list[WriteResult]:
        archive_associations(hubspot, from_object, to_object, keys)
        return [WriteResult.ok(None) for _ in keys]

    results = writes.attempt(archive, len(keys))
    kept = writes.removed("hubspot", keys, keys, results)
    with db.connect(writes.state_path) as con:
        for (t, o), r in zip(keys, results, strict=True):
            if r.succeeded:
                con.execute(
                    """DELETE FROM hubspot_associations WHERE from_object = ? AND from_id = ?
                       AND to_object = ? AND to_id = ?""",
                    [from_object, t, to_object, o],
                )
    return kept


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
