"""Lookups to other pairs after creation: a contact that moves to another company, a task re-pointed to
another deal. Each lookup association (Contact.AccountId <-> the contact's company association ...) is
merged like a field named `@association:<pair>`, whose canonical value is the HubSpot id of the
associated record; a change writes the Salesforce lookup, or adds (and, for a move or a clear,
removes) the HubSpot association. Junction objects (OpportunityContactRole) are not lookups: see
crmsync_pipeline/extract/junctions.py and crmsync_pipeline/write/junctions.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from crmsync_pipeline.config import AssociationMapping, Mapping, Side, TransformError
from crmsync_pipeline.extract.salesforce_edit_times import person_modified_at_sql
from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.plan.orphans import frozen_hubspot_ids
from crmsync_pipeline.plan.rows import PlanRow
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

LOOKUP_FIELD = "@association:"  # also the field of the lookup rows planned with a create
ADD = "association:"  # HubSpot plan key `association:<object>:<type id>`: the value is the id to add
REMOVE = "association-remove:"  # `association-remove:<object>:<type id>:<id>`: that association goes
REPLACED = ":replaced"  # the removal half of a move; base follows the added half


@dataclass(frozen=True)
class Lookup:
    field: str
    association: AssociationMapping
    to_pair: str
    hubspot_object: str  # this pair's HubSpot object
    hubspot_to_object: str  # the associated pair's HubSpot object
    salesforce_ids: dict[str, str]  # the associated pair's links: HubSpot id -> Salesforce id

    def update_rows(self, run_id: str, d: FieldDecision, target: Side, now: datetime) -> list[PlanRow]:
        """The plan rows that carry the agreed lookup to `target`."""
        if target is Side.SALESFORCE:
            new_value = None
            if d.agreed_value is not None:
                new_value = self.salesforce_ids.get(d.agreed_value)
                if new_value is None:
                    raise TransformError(f"{self.to_pair} record {d.agreed_value} is not linked yet")
            return [self._row(run_id, d, target, d.field, self.association.salesforce_field or "",
                              d.salesforce_raw, new_value, d.agreed_value, now)]  # fmt: skip
        type_id = self.association.hubspot_type_id
        if type_id is None:
            raise TransformError("no hubspot_type_id configured for this association: HubSpot is not written")
        kind = f"{self.hubspot_to_object}:{type_id}"
        rows = []
        if d.agreed_value is not None:
            rows.append(self._row(run_id, d, target, d.field, ADD + kind, d.hubspot_raw, d.agreed_value,
                                  d.agreed_value, now))  # fmt: skip
        if d.hubspot_value is not None and d.hubspot_value != d.agreed_value:
            name = d.field if d.agreed_value is None else d.field + REPLACED
            rows.append(self._row(run_id, d, target, name, f"{REMOVE}{kind}:{d.hubspot_value}",
                                  d.hubspot_value, None, None, now))  # fmt: skip
        return rows

    @staticmethod
    def _row(
        run_id: str,
        d: FieldDecision,
        target: Side,
        field: str,
        target_field: str,
        old_value: str | None,
        new_value: str | None,
        canonical: str | None,
        now: datetime,
    ) -> PlanRow:
        return PlanRow(
            run_id=run_id,
            pair=d.pair,
            target=target.value,
            action="update",
            record_ref=d.salesforce_id if target is Side.SALESFORCE else d.hubspot_id,
            hubspot_id=d.hubspot_id,
            salesforce_object=d.salesforce_object,
            salesforce_id=d.salesforce_id,
            field=field,
            target_field=target_field,
            old_value=old_value,
            new_value=new_value,
            canonical_value=canonical,
            reason=d.reason,
            planned_at=now,
        )


def lookups_of(con: duckdb.DuckDBPyConnection, mapping: Mapping, pair_name: str) -> dict[str, Lookup]:
    pair = mapping.pair(pair_name)
    found = {}
    for association in pair.associations:
        if association.salesforce_field is None or association.to not in mapping.active_pairs():
            continue
        links = con.execute(
            "SELECT hubspot_id, salesforce_id FROM links WHERE pair = ?", [association.to]
        ).fetchall()
        field = LOOKUP_FIELD + association.to
        found[field] = Lookup(
            field,
            association,
            association.to,
            pair.hubspot,
            mapping.pair(association.to).hubspot,
            dict(links),
        )
    return found


def add_lookup_state(con: duckdb.DuckDBPyConnection, mapping: Mapping, pair_name: str) -> int:
    """Append the lookups of every live link to `field_state` (built by build_field_state first)."""
    tables = SnapshotTables.of(pair_name)
    if not all(table_exists(con, t) for t in ("hubspot_associations", tables.hubspot, tables.salesforce)):
        return 0  # before the first extract nothing is known about either side's lookups
    pair = mapping.pair(pair_name)
    columns = table_columns(con, tables.salesforce)
    before = con.execute("SELECT count(*) FROM field_state").fetchall()[0][0]
    salesforce_time, time_params = person_modified_at_sql(con, tables.salesforce, "s")
    for field, lookup in lookups_of(con, mapping, pair_name).items():
        column = lookup.association.salesforce_field or ""
        if column not in columns:
            continue  # not extracted (e.g. on no object of this pair's snapshot)
        objects = lookup.association.salesforce_objects or pair.salesforce
        con.execute(
            sql("plan/lookup_field_state.sql").format(
                hubspot_table=quoted(tables.hubspot),
                salesforce_table=quoted(tables.salesforce),
                lookup_column=quoted(column),
                salesforce_modified_at=salesforce_time,
            ),
            {
                "pair": pair_name,
                "to_pair": lookup.to_pair,
                "field": field,
                "direction": lookup.association.direction.value,
                "preferred_side": lookup.association.direction.preferred_side.value,
                "mine": lookup.hubspot_object,
                "other": lookup.hubspot_to_object,
                "objects": list(objects),
                "frozen": frozen_hubspot_ids(con, lookup.to_pair),
                **time_params,
            },
        )
    return con.execute("SELECT count(*) FROM field_state").fetchall()[0][0] - before


def reflect_association_writes(con: duckdb.DuckDBPyConnection, hubspot_object: str) -> None:
    """Mirror the confirmed association adds and removals of a HubSpot write batch (its confirmed
    updates are in the temp table `reflected_writes`, see crmsync_pipeline/write/reflect.py) into
    `hubspot_associations`: adding an association does not touch a record's last-modified time, so no
    incremental read would bring it back. One statement for all the removals and one for all the adds
    of the batch."""
    if not table_exists(con, "hubspot_associations"):
        return
    con.execute(sql("plan/associations_removed.sql"), {"object": hubspot_object, "remove": REMOVE})
    con.execute(sql("plan/associations_added.sql"), {"object": hubspot_object, "add": ADD})
