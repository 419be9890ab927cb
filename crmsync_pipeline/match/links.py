"""Match: link each HubSpot record to its Salesforce record, never guessing.

Order (docs/design.md): an existing link (a link whose deleted record was re-created is released first,
match/recreated.py), then the cross-reference ids each side stores of the other, then
the mapping's match keys in file order (email; domain or company name for companies; name at company
for people without email). Key values are normalised by the mapping's own normalisers, then each key
is one SQL statement over the records still unlinked. A value shared by several records on a side is
ambiguous: those records go to review, not to a create. A record whose key matches a twin linked to
another record has that partner read (match/linked_twins.py): gone, the record takes its place; live,
the record waits in review. Where a person is both a Contact and a Lead,
the link goes to the pair's first Salesforce object (the Contact) and the Lead is reported as a
duplicate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import duckdb

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.match.keyless import settle_keyless
from crmsync_pipeline.match.keys import drop_normalize, key_sql, register_normalize, select_keys
from crmsync_pipeline.match.linked_twins import (
    PartnerReads,
    confirm_gone_partners,
    hold_linked_twin_duplicates,
    settle_recreated,
)
from crmsync_pipeline.match.placeholder_names import hold_placeholder_names
from crmsync_pipeline.match.recreated import release_recreated_twins
from crmsync_pipeline.match.review import (
    hold_unlinked_duplicates,
    open_ambiguities,
    open_duplicates,
    relink_converted_leads,
    settle_duplicates,
)
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_columns
from crmsync_pipeline.state.snapshots import SnapshotTables


@dataclass
class MatchResult:
    linked_by: Counter[str] = field(default_factory=Counter)
    ambiguous: int = 0
    duplicates: int = 0
    recreated: int = 0  # records re-created after a delete, which took the deleted record's link
    gone_partners: int = 0  # linked records a targeted read found gone before the archive check did
    held_duplicates: int = 0  # new records matching a twin linked to a live record: held in review

    @property
    def linked(self) -> int:
        return sum(self.linked_by.values())


def match_links(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    run_id: str,
    now: datetime,
    tables: SnapshotTables | None = None,
    reads: PartnerReads | None = None,
    placeholders: frozenset[str] = frozenset(),
) -> MatchResult:
    """Link what can be linked, send ambiguity and duplicate Leads to review. Idempotent. `reads` checks
    the partners of twins a new record matches (without it, such records wait in review); an Account
    named by one of `placeholders` (Lead.Company's, through a conversion) waits in review unmatched."""
    tables = tables or SnapshotTables.of(pair_name)
    relinked = relink_converted_leads(con, pair_name, pair, tables.salesforce, run_id, now)
    _build_match_keys(con, pair, tables)
    settle_keyless(con, pair_name, now)  # a keyless record linked or keyed since: matching takes it
    hold_placeholder_names(con, pair_name, pair, placeholders, run_id, now)
    result = MatchResult()
    if relinked:
        result.linked_by["converted_lead"] = relinked
    result.recreated = _release_recreated(con, pair_name, tables, run_id, now)
    _link_by_keys(con, pair_name, pair, run_id, now, result)
    # a converted Lead the ids just linked (a lost state file rebuilt) follows its conversion at once
    relinked = relink_converted_leads(con, pair_name, pair, tables.salesforce, run_id, now)
    if relinked:
        result.linked_by["converted_lead"] += relinked
    result.gone_partners = confirm_gone_partners(con, pair_name, tables, reads, run_id, now)
    if result.gone_partners:  # archived or deleted unseen: the new records take their places now
        result.recreated += _release_recreated(con, pair_name, tables, run_id, now)
        _link_by_keys(con, pair_name, pair, run_id, now, result)
    # converted Leads were there to be linked by their ids only: never a duplicate of their own Contact
    con.execute("DELETE FROM match_keys WHERE ids_only")
    con.execute("DROP TABLE match_candidates")
    # the unlinked groups first: where a record is also a duplicate of a linked one, the linked one is
    # named as kept (the second call refreshes the item)
    found = hold_unlinked_duplicates(con, pair_name, tables.salesforce, run_id, now)
    found |= open_duplicates(con, pair_name, run_id, now)
    result.duplicates = len(found)
    settle_duplicates(con, pair_name, found, now)
    result.held_duplicates = hold_linked_twin_duplicates(con, pair_name, tables, run_id, now)
    return result


def _release_recreated(
    con: duckdb.DuckDBPyConnection, pair_name: str, tables: SnapshotTables, run_id: str, now: datetime
) -> int:
    found = release_recreated_twins(con, pair_name, tables, run_id, now)
    settle_recreated(con, pair_name, [r.new_id for r in found], now)
    return len(found)


def _link_by_keys(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    run_id: str,
    now: datetime,
    result: MatchResult,
) -> None:
    """The cross-reference ids, then the mapping's keys in file order, each over what is still unlinked."""
    for kind in ["salesforce_id_in_hubspot", "hubspot_id_in_salesforce", *(k.name for k in pair.match)]:
        linked, ambiguous = _link_by_key(con, pair_name, kind, run_id, now)
        if linked:
            result.linked_by[kind] += linked
        result.ambiguous += open_ambiguities(con, pair_name, kind, ambiguous, run_id, now)


def _link_by_key(
    con: duckdb.DuckDBPyConnection, pair_name: str, kind: str, run_id: str, now: datetime
) -> tuple[int, list[tuple]]:
    """Link the records one key pairs unambiguously; returns how many, and the ambiguous candidates
    (the temp table `match_candidates` holds all of them until the next key)."""
    params = {"pair": pair_name, "key_kind": kind}
    con.execute("CREATE OR REPLACE TEMP TABLE match_candidates AS " + sql("match/match_by_key.sql"), params)
    linked = con.execute(
        """INSERT INTO links SELECT $pair, hubspot_id, salesforce_object, salesforce_id, $key_kind, $now, $run_id
           FROM match_candidates WHERE outcome = 'link'""",
        {**params, "now": now, "run_id": run_id},
    ).fetchall()[0][0]
    ambiguous = con.execute(
        "SELECT * FROM match_candidates WHERE outcome = 'ambiguous' ORDER BY hubspot_id, salesforce_id"
    ).fetchall()
    return linked, ambiguous


class KeySource(NamedTuple):
    """One set of records keys are read from: a side (and Salesforce object), its preference rank, the
    FROM clause, and whether only the cross-reference ids are read from it."""

    side: str
    sobject: str | None
    rank: int
    source: str
    xref_only: bool = False


XREF_KINDS = ("salesforce_id_in_hubspot", "hubspot_id_in_salesforce")


def _key_sources(pair: ObjectPair, tables: SnapshotTables, salesforce_columns: set[str]) -> list[KeySource]:
    """The live records of HubSpot, then of each Salesforce object of the pair in preference order. A
    converted Lead is history, not a person to match by email or name (its Contact is), but the ids the
    CRMs carry still link it: after a lost state file the HubSpot record linked to it is relinked to it,
    so the conversion is seen again (relinked to its new Contact, or a merge of two linked people)."""
    converted = (
        "coalesce(s.\"IsConverted\", 'false') = 'true'" if "IsConverted" in salesforce_columns else None
    )
    live_salesforce = "s._sobject = $sobject AND NOT coalesce(s._deleted, false)"
    sources = [
        KeySource("hubspot", None, 0, f"{quoted(tables.hubspot)} h WHERE NOT coalesce(h._archived, false)")
    ]
    for rank, sobject in enumerate(pair.salesforce):
        table = f"{quoted(tables.salesforce)} s WHERE {live_salesforce}"
        if converted is None:
            sources.append(KeySource("salesforce", sobject, rank, table))
            continue
        sources.append(KeySource("salesforce", sobject, rank, f"{table} AND NOT {converted}"))
        if sobject == "Lead":
            sources.append(KeySource("salesforce", sobject, rank, f"{table} AND {converted}", xref_only=True))
    return sources


def _build_match_keys(con: duckdb.DuckDBPyConnection, pair: ObjectPair, tables: SnapshotTables) -> None:
    """The temp table `match_keys`: one row per live record x key, with its normalized value."""
    hubspot_columns = set(table_columns(con, tables.hubspot))
    salesforce_columns = set(table_columns(con, tables.salesforce))
    keys = key_sql(pair, hubspot_columns, salesforce_columns)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE match_keys (side VARCHAR, record_id VARCHAR, sobject VARCHAR, "
        "key_kind VARCHAR, key_value VARCHAR, sobject_rank INTEGER, ids_only BOOLEAN)"
    )
    sources = _key_sources(pair, tables, salesforce_columns)
    register_normalize(con)
    try:
        for side, sobject, rank, source, xref_only in sources:
            columns, kept = select_keys(
                [k for k in keys if k.kind in XREF_KINDS] if xref_only else keys, sobject
            )
            if not kept:
                continue
            alias = "h" if side == "hubspot" else "s"
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE match_key_values AS SELECT {alias}.id AS record_id, "
                f"{', '.join(columns)} FROM {source}",
                {"sobject": sobject} if sobject else {},
            )
            for i, (kind, keep) in enumerate(kept):
                con.execute(
                    f"""INSERT INTO match_keys SELECT $side, record_id, $sobject, $kind, key_{i}, $rank, $ids_only
                        FROM match_key_values WHERE {keep}""",
                    {"side": side, "sobject": sobject, "kind": kind, "rank": rank, "ids_only": xref_only},
                )
    finally:
        drop_normalize(con)
    con.execute("DROP TABLE IF EXISTS match_key_values")
