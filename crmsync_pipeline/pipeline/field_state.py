"""Build `field_state`: for every linked record and mapped field, both sides' values in canonical form
next to the base they last agreed on. Canonical transforms are plain Python functions from the mapping
(stage map, URL -> domain, datetime -> date, "17" -> 17 ...), applied column by column to the linked
rows; the comparison itself then happens in SQL (merge.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from .match import quoted
from .merge import create_field_state, preferred_side

Transform = Callable[[str | None], str | None]


def identity(value: str | None) -> str | None:
    return value


@dataclass(frozen=True)
class FieldRule:
    """One mapped field of an object pair, as the merge needs it."""

    field: str  # the name base and plan rows use
    hubspot_property: str
    salesforce_fields: Mapping[str, str]  # sObject -> field; an sObject without the field is not mapped
    direction: str
    hubspot_to_canonical: Transform = identity
    salesforce_to_canonical: Transform = identity
    canonical_to_hubspot: Transform = identity
    canonical_to_salesforce: Transform = identity


FIELD_STATE_COLUMNS = (
    "pair",
    "hubspot_id",
    "salesforce_object",
    "salesforce_id",
    "field",
    "direction",
    "preferred_side",
    "hubspot_value",
    "salesforce_value",
    "hubspot_raw",
    "salesforce_raw",
    "hubspot_modified_at",
    "salesforce_modified_at",
)


def build_field_state(
    con: duckdb.DuckDBPyConnection,
    pair: str,
    rules: list[FieldRule],
    hubspot_table: str,
    salesforce_table: str,
) -> int:
    """Fill the temp table `field_state` for every live link of `pair`; returns its row count."""
    create_field_state(con)
    hubspot_columns = sorted({r.hubspot_property for r in rules})
    salesforce_columns = sorted({f for r in rules for f in r.salesforce_fields.values()})
    select = ", ".join(
        [f"h.{quoted(c)} AS {quoted('h__' + c)}" for c in hubspot_columns]
        + [f"s.{quoted(c)} AS {quoted('s__' + c)}" for c in salesforce_columns]
    )
    linked = con.sql(
        f"""SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id,
                   h._modified_at AS hubspot_modified_at, s._modified_at AS salesforce_modified_at, {select}
            FROM links l
            JOIN {quoted(hubspot_table)} h ON h.id = l.hubspot_id
            JOIN {quoted(salesforce_table)} s ON s.id = l.salesforce_id
            WHERE l.pair = $pair AND NOT coalesce(h._archived, false) AND NOT coalesce(s._deleted, false)""",
        params={"pair": pair},
    ).to_arrow_table()
    columns: dict[str, list] = {name: [] for name in FIELD_STATE_COLUMNS}
    hubspot_ids = linked.column("hubspot_id").to_pylist()
    sobjects = linked.column("salesforce_object").to_pylist()
    salesforce_ids = linked.column("salesforce_id").to_pylist()
    hubspot_times = linked.column("hubspot_modified_at").to_pylist()
    salesforce_times = linked.column("salesforce_modified_at").to_pylist()
    for rule in rules:
        hubspot_raw = linked.column("h__" + rule.hubspot_property).to_pylist()
        salesforce_raw = {
            sobject: linked.column("s__" + name).to_pylist()
            for sobject, name in rule.salesforce_fields.items()
        }
        for i, sobject in enumerate(sobjects):
            if sobject not in salesforce_raw:
                continue
            columns["pair"].append(pair)
            columns["hubspot_id"].append(hubspot_ids[i])
            columns["salesforce_object"].append(sobject)
            columns["salesforce_id"].append(salesforce_ids[i])
            columns["field"].append(rule.field)
            columns["direction"].append(rule.direction)
            columns["preferred_side"].append(preferred_side(rule.direction))
            columns["hubspot_value"].append(rule.hubspot_to_canonical(hubspot_raw[i]))
            columns["salesforce_value"].append(rule.salesforce_to_canonical(salesforce_raw[sobject][i]))
            columns["hubspot_raw"].append(hubspot_raw[i])
            columns["salesforce_raw"].append(salesforce_raw[sobject][i])
            columns["hubspot_modified_at"].append(hubspot_times[i])
            columns["salesforce_modified_at"].append(salesforce_times[i])
    con.register("field_values", pa.table(columns, schema=_SCHEMA))
    con.execute(
        """INSERT INTO field_state
           SELECT v.pair, v.hubspot_id, v.salesforce_object, v.salesforce_id, v.field, v.direction,
                  v.preferred_side, v.hubspot_value, v.salesforce_value, v.hubspot_raw, v.salesforce_raw,
                  b.value, b.field IS NOT NULL,
                  v.hubspot_modified_at, NULL, v.salesforce_modified_at
           FROM field_values v
           LEFT JOIN base_values b ON b.pair = v.pair AND b.hubspot_id = v.hubspot_id AND b.field = v.field"""
    )
    con.unregister("field_values")
    return len(columns["pair"])


_SCHEMA = pa.schema(
    [(name, pa.string()) for name in FIELD_STATE_COLUMNS[:11]]
    + [
        ("hubspot_modified_at", pa.timestamp("us", tz="UTC")),
        ("salesforce_modified_at", pa.timestamp("us", tz="UTC")),
    ]
)
