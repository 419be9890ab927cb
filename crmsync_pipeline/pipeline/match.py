"""Match: link each HubSpot record to its Salesforce record, never guessing.

Order (DESIGN.md): an existing link, then the cross-reference ids each side stores of the other, then
the mapping's match keys in file order (email; domain or company name for companies; name at company
for people without email). Key values are normalised by the mapping's own normalisers, then each key
is one SQL statement over the records still unlinked. A value shared by several records on a side is
ambiguous: those records go to review, not to a create. Where a person is both a Contact and a Lead,
the link goes to the pair's first Salesforce object (the Contact) and the Lead is reported as a
duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql

from .match_review import hold_unlinked_duplicates, open_ambiguities, open_duplicates, relink_converted_leads
from .sql_names import column_exists, quoted

Record = Mapping[str, Any]
KeyOf = Callable[[Record], str | None]


def salesforce_id_15(value: Any) -> str | None:
    """Salesforce ids compare on their case-sensitive 15-character form; HubSpot may hold either."""
    text = str(value).strip() if value is not None else ""
    return text[:15] if len(text) in (15, 18) else None


@dataclass(frozen=True)
class Key:
    """One way to recognise the same record on both sides, as a function per side and sObject."""

    kind: str
    hubspot: KeyOf
    salesforce: Mapping[str, KeyOf]
    hubspot_fields: tuple[str, ...]
    salesforce_fields: Mapping[str, tuple[str, ...]]
    only_when_missing: tuple[str, ...] = ()


@dataclass
class MatchResult:
    linked_by: Counter[str] = field(default_factory=Counter)
    ambiguous: int = 0
    duplicates: int = 0

    @property
    def linked(self) -> int:
        return sum(self.linked_by.values())


def keys_for(pair: ObjectPair) -> list[Key]:
    """The cross-reference keys, then the mapping's match keys in order."""
    xref = pair.xref
    keys = [
        Key(
            "salesforce_id_in_hubspot",
            lambda r: salesforce_id_15(r.get(xref.hubspot_property)),
            {s: (lambda r: salesforce_id_15(r.get("id"))) for s in pair.salesforce},
            (xref.hubspot_property,),
            {s: () for s in pair.salesforce},
        ),
        Key(
            "hubspot_id_in_salesforce",
            lambda r: r.get("id"),
            {s: (lambda r: _text(r.get(xref.salesforce_field))) for s in pair.salesforce},
            (),
            {s: (xref.salesforce_field,) for s in pair.salesforce},
        ),
    ]
    for key in pair.match:
        per_object = {s: key.salesforce_fields(s) for s in pair.salesforce}
        keys.append(
            Key(
                key.name,
                lambda r, k=key: _joined(k.hubspot_value(r)),
                {
                    s: (lambda r, k=key, s=s: _joined(k.salesforce_value(s, r)))
                    for s, f in per_object.items()
                    if f
                },
                tuple(key.hubspot),
                {s: tuple(f) for s, f in per_object.items() if f},
                tuple(key.only_when_missing),
            )
        )
    return keys


def match_links(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    run_id: str,
    now: datetime,
    hubspot_table: str | None = None,
    salesforce_table: str | None = None,
) -> MatchResult:
    """Link what can be linked, send ambiguity and duplicate Leads to review. Idempotent."""
    relinked = relink_converted_leads(
        con, pair_name, pair, salesforce_table or f"salesforce_{pair_name}_snapshot", run_id, now
    )
    keys = keys_for(pair)
    _build_match_keys(
        con,
        pair,
        keys,
        hubspot_table or f"hubspot_{pair_name}_snapshot",
        salesforce_table or f"salesforce_{pair_name}_snapshot",
    )
    result = MatchResult()
    if relinked:
        result.linked_by["converted_lead"] = relinked
    for key in keys:
        rows = con.execute(sql("match_by_key.sql"), {"pair": pair_name, "key_kind": key.kind}).fetchall()
        links = [
            (pair_name, h, so, s, key.kind, now, run_id) for h, s, so, _, outcome in rows if outcome == "link"
        ]
        if links:
            insert_rows(con, "links", links)
            result.linked_by[key.kind] += len(links)
        result.ambiguous += open_ambiguities(con, pair_name, key.kind, rows, run_id, now)
    result.duplicates = open_duplicates(con, pair_name, run_id, now)
    result.duplicates += hold_unlinked_duplicates(con, pair_name, run_id, now)
    return result


def _build_match_keys(
    con: duckdb.DuckDBPyConnection,
    pair: ObjectPair,
    keys: list[Key],
    hubspot_table: str,
    salesforce_table: str,
) -> None:
    columns: dict[str, list] = {
        n: [] for n in ("side", "record_id", "sobject", "key_kind", "key_value", "sobject_rank")
    }

    def add(side: str, records: list[dict], sobject: str | None, rank: int, key_of: dict[str, KeyOf]) -> None:
        for record in records:
            values: dict[str, str | None] = {}
            for key in keys:
                if key.kind not in key_of:
                    continue
                value = key_of[key.kind](record)
                values[key.kind] = value
                if value is None or any(values.get(k) for k in key.only_when_missing):
                    continue
                for name, item in zip(
                    columns, (side, record["id"], sobject, key.kind, value, rank), strict=True
                ):
                    columns[name].append(item)

    hubspot_fields = {f for k in keys for f in k.hubspot_fields}
    add(
        "hubspot",
        _rows(con, hubspot_table, hubspot_fields, "NOT coalesce(_archived, false)"),
        None,
        0,
        {k.kind: k.hubspot for k in keys},
    )
    for rank, sobject in enumerate(pair.salesforce):
        fields = {f for k in keys for f in k.salesforce_fields.get(sobject, ())}
        # a converted Lead is history, not a person to match (its Contact is)
        converted = (
            "AND coalesce(\"IsConverted\", 'false') <> 'true'"
            if column_exists(con, salesforce_table, "IsConverted")
            else ""
        )
        records = _rows(
            con,
            salesforce_table,
            fields,
            f"_sobject = $sobject AND NOT coalesce(_deleted, false) {converted}",
            {"sobject": sobject},
        )
        add(
            "salesforce",
            records,
            sobject,
            rank,
            {k.kind: k.salesforce[sobject] for k in keys if sobject in k.salesforce},
        )
    con.register("match_key_rows", pa.table(columns, schema=_KEY_SCHEMA))
    con.execute("CREATE OR REPLACE TEMP TABLE match_keys AS SELECT * FROM match_key_rows")
    con.unregister("match_key_rows")


_KEY_SCHEMA = pa.schema(
    [
        ("side", pa.string()),
        ("record_id", pa.string()),
        ("sobject", pa.string()),
        ("key_kind", pa.string()),
        ("key_value", pa.string()),
        ("sobject_rank", pa.int32()),
    ]
)


def _rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    fields: set[str],
    where: str,
    params: dict[str, Any] | None = None,
) -> list[dict]:
    existing = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    wanted = sorted(f for f in fields if f in existing)  # a field never extracted has no values yet
    select = ", ".join(["id", *(quoted(f) for f in wanted)])
    return (
        con.sql(f"SELECT {select} FROM {quoted(table)} WHERE {where}", params=params or {})
        .to_arrow_table()
        .to_pylist()
    )


def _joined(parts: tuple[str, ...] | None) -> str | None:
    return None if parts is None else "\x1f".join(parts)


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
