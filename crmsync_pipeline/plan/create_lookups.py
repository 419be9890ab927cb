"""The lookups a created record starts with: a Contact created in Salesforce gets the AccountId of its
HubSpot company's linked Account, a contact created in HubSpot gets the association to the company its
Salesforce record points at. Only records of the other pair that are already linked can be pointed at
(pairs are synced companies first, so they usually are)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.plan.lookups import LOOKUP_FIELD
from crmsync_pipeline.plan.rows import PlanRow
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import table_exists


def linked_associations(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, pair: ObjectPair, to_pair: str
) -> dict[str, list[str]]:
    """For each HubSpot record of `pair`: the Salesforce ids of the `to_pair` records it is associated with
    that are linked (one query for the whole pair, not one per record)."""
    if not table_exists(con, "hubspot_associations"):
        return {}
    rows = con.execute(
        sql("plan/linked_associations.sql"),
        {"to_pair": to_pair, "mine": pair.hubspot, "other": mapping.pair(to_pair).hubspot},
    ).fetchall()
    return dict(rows)


def salesforce_lookup_rows(
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    hubspot_id: str,
    sobject: str,
    lookups: dict[str, dict[str, list[str]]],
    now: datetime,
) -> list[PlanRow]:
    rows = []
    for association in pair.associations:
        if association.salesforce_field is None:
            continue  # junction objects (OpportunityContactRole) are written after both records exist
        if association.salesforce_objects and sobject not in association.salesforce_objects:
            continue
        targets = lookups[association.to].get(hubspot_id)
        if targets:
            rows.append(
                PlanRow(
                    run_id=run_id,
                    pair=pair_name,
                    target="salesforce",
                    action="create",
                    record_ref=hubspot_id,
                    hubspot_id=hubspot_id,
                    salesforce_object=sobject,
                    field=LOOKUP_FIELD + association.to,
                    target_field=association.salesforce_field,
                    new_value=targets[0],
                    reason="create:association",
                    planned_at=now,
                )
            )
    return rows


def hubspot_ids_by_salesforce_id(con: duckdb.DuckDBPyConnection, pair_name: str) -> dict[str, str]:
    return dict(
        con.execute("SELECT salesforce_id, hubspot_id FROM links WHERE pair = ?", [pair_name]).fetchall()
    )


def hubspot_association_rows(
    run_id: str,
    pair_name: str,
    mapping: Mapping,
    pair: ObjectPair,
    record: dict[str, Any],
    linked_back: dict[str, dict[str, str]],
    now: datetime,
) -> list[PlanRow]:
    """A record created in HubSpot from Salesforce keeps its lookups as HubSpot associations."""
    rows = []
    for association in pair.associations:
        if association.salesforce_field is None or association.hubspot_type_id is None:
            continue
        if association.salesforce_objects and record["_sobject"] not in association.salesforce_objects:
            continue
        target = linked_back[association.to].get(record.get(association.salesforce_field) or "")
        if target:
            to_object = mapping.pair(association.to).hubspot
            rows.append(
                PlanRow(
                    run_id=run_id,
                    pair=pair_name,
                    target="hubspot",
                    action="create",
                    record_ref=record["id"],
                    salesforce_object=record["_sobject"],
                    salesforce_id=record["id"],
                    field=LOOKUP_FIELD + association.to,
                    target_field=f"association:{to_object}:{association.hubspot_type_id}",
                    new_value=target,
                    reason="create:association",
                    planned_at=now,
                )
            )
    return rows
