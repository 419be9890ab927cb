"""Match: link each HubSpot record to its Salesforce record, never guessing.

Order (DESIGN.md): an existing link, then the cross-reference ids each side stores of the other, then
normalised email, then the configured fallbacks (domain or company name for companies; name at
company for people without email). Each key runs as one SQL statement over the records still unlinked.
A value shared by several records on a side is ambiguous: those records go to review, not to a create.
Where a person is both a Contact and a Lead, the link goes to the preferred sObject (the Contact) and
the Lead is reported as a duplicate.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from crmsync_pipeline.state.db import sql

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")

# Salesforce ids compare on their case-sensitive 15-character form; HubSpot may hold either length.
SALESFORCE_ID_15 = "left(trim({}), 15)"


@dataclass(frozen=True)
class MatchKey:
    """One way to recognise the same record on both sides: SQL expressions over snapshot columns
    (built from the mapping; normalisation macros live in sql/macros.sql)."""

    kind: str
    hubspot: str
    salesforce: dict[str, str]  # sObject -> expression


@dataclass(frozen=True)
class PairMatching:
    pair: str
    hubspot_table: str
    salesforce_table: str
    sobjects: tuple[str, ...]  # in order of preference: a Contact before a Lead
    keys: tuple[MatchKey, ...]  # in order; cross-reference keys first


@dataclass
class MatchResult:
    linked_by: Counter[str] = field(default_factory=Counter)
    ambiguous: int = 0
    duplicates: int = 0

    @property
    def linked(self) -> int:
        return sum(self.linked_by.values())


def quoted(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a valid field name: {name!r}")
    return '"' + name + '"'


def cross_reference_keys(
    hubspot_property: str, salesforce_field: str, sobjects: tuple[str, ...]
) -> tuple[MatchKey, ...]:
    """HubSpot records carry their Salesforce id; Salesforce records carry their HubSpot id."""
    return (
        MatchKey(
            "salesforce_id_in_hubspot",
            SALESFORCE_ID_15.format(quoted(hubspot_property)),
            {s: SALESFORCE_ID_15.format("id") for s in sobjects},
        ),
        MatchKey(
            "hubspot_id_in_salesforce", "trim(id)", {s: f"trim({quoted(salesforce_field)})" for s in sobjects}
        ),
    )


def match_links(
    con: duckdb.DuckDBPyConnection, matching: PairMatching, run_id: str, now: datetime
) -> MatchResult:
    """Link what can be linked, send ambiguity and duplicate Leads to review. Idempotent."""
    con.execute(sql("macros.sql"))
    _build_match_keys(con, matching)
    result = MatchResult()
    for key in matching.keys:
        rows = con.execute(sql("match_by_key.sql"), {"pair": matching.pair, "key_kind": key.kind}).fetchall()
        links = [
            (matching.pair, h, so, s, key.kind, now, run_id)
            for h, s, so, _, outcome in rows
            if outcome == "link"
        ]
        if links:
            con.executemany("INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?)", links)
            result.linked_by[key.kind] += len(links)
        result.ambiguous += _open_ambiguities(con, matching.pair, key.kind, rows, run_id, now)
    result.duplicates = _open_duplicates(con, matching.pair, run_id, now)
    return result


def _build_match_keys(con: duckdb.DuckDBPyConnection, matching: PairMatching) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE match_keys (side VARCHAR, record_id VARCHAR, sobject VARCHAR, "
        "key_kind VARCHAR, key_value VARCHAR, sobject_rank INTEGER)"
    )
    hubspot, salesforce = quoted(matching.hubspot_table), quoted(matching.salesforce_table)
    for key in matching.keys:
        con.execute(
            f"INSERT INTO match_keys SELECT 'hubspot', id, NULL, $kind, k, 0 FROM "
            f"(SELECT id, {key.hubspot} AS k FROM {hubspot} WHERE NOT coalesce(_archived, false)) WHERE k IS NOT NULL",
            {"kind": key.kind},
        )
        for rank, sobject in enumerate(matching.sobjects):
            expression = key.salesforce.get(sobject)
            if expression is None:
                continue
            con.execute(
                f"INSERT INTO match_keys SELECT 'salesforce', id, _sobject, $kind, k, $rank FROM "
                f"(SELECT id, _sobject, {expression} AS k FROM {salesforce} "
                f"WHERE _sobject = $sobject AND NOT coalesce(_deleted, false)) WHERE k IS NOT NULL",
                {"kind": key.kind, "rank": rank, "sobject": sobject},
            )


def _open_ambiguities(
    con: duckdb.DuckDBPyConnection, pair: str, key_kind: str, rows: list[tuple], run_id: str, now: datetime
) -> int:
    candidates: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for hubspot_id, salesforce_id, _, key_value, outcome in rows:
        if outcome == "ambiguous":
            candidates.setdefault(hubspot_id, []).append(salesforce_id)
            values[hubspot_id] = key_value
    items = [
        (
            f"ambiguous_match:{pair}:{h}",
            "ambiguous_match",
            pair,
            h,
            sorted(ids),
            json.dumps({"key": key_kind, "value": values[h]}),
            now,
            run_id,
            None,
            None,
        )
        for h, ids in candidates.items()
    ]
    if items:
        con.executemany("INSERT OR IGNORE INTO review_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    return len(items)


def _open_duplicates(con: duckdb.DuckDBPyConnection, pair: str, run_id: str, now: datetime) -> int:
    rows = con.execute(sql("duplicate_leads.sql"), {"pair": pair}).fetchall()
    items = [
        (
            f"duplicate:{pair}:{dup}",
            "duplicate_lead",
            pair,
            hubspot_id,
            [linked, dup],
            json.dumps({"duplicate": dup, "duplicate_object": dup_object, "linked": linked, "key": key_kind}),
            now,
            run_id,
            None,
            None,
        )
        for dup, dup_object, hubspot_id, linked, key_kind in rows
    ]
    if items:
        con.executemany("INSERT OR IGNORE INTO review_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    return len({item[0] for item in items})
