"""Erase one person from the state file: every row about their records goes (mirror rows, links, base,
plan, conflicts, errors, value issues, review items, bulk job rows, associations, list memberships);
the audit log and write results keep that a write happened, with before/after values and messages set
to NULL. Then every text column of every table is swept for the email and for the person's own values
(names, phone ... : mapped free-text fields, only values no other record in the mirror holds), so a
copy in a table this module does not know about goes too. Ids stay (erasures, deleted_links): they
are not the person, and they keep a stale copy from being re-created."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import duckdb

from crmsync_pipeline.config import ObjectPair, Side
from crmsync_pipeline.config.fields import TransformKind
from crmsync_pipeline.state.names import (
    column_exists,
    nullable_columns,
    quoted,
    state_tables,
    table_columns,
    table_exists,
)
from crmsync_pipeline.state.snapshots import SnapshotTables

PERSONAL_KINDS = {TransformKind.TEXT, TransformKind.EMAIL}
KEPT_TABLES = {"erasures", "erasure_salt", "deleted_links", "vanished_records", "crmsync_schema_version"}
SHORTEST_VALUE = 3  # shorter values ("Al", "NY") would sweep away other people's data
SNAPSHOT_TABLE = re.compile(r"(hubspot|salesforce)_\w+_snapshot")  # every pair's mirror of one CRM


@dataclass(frozen=True)
class Ids:
    pair_name: str
    hubspot: list[str]
    salesforce: list[str]

    @property
    def all(self) -> list[str]:
        return [*self.hubspot, *self.salesforce]


def personal_values(con: duckdb.DuckDBPyConnection, pair: ObjectPair, ids: Ids) -> set[str]:
    """The person's free-text values in the mirror that no other record holds, in any pair: a company
    a Lead was converted into carries the Lead's Company text as its name (and often its phone). That
    is the company's data, still in the CRMs; sweeping it from the company's mirror rows and base left
    the company's fields empty in the state file, and every later write to it was dropped as STALE_PLAN
    (the soak's seed 7, c1969)."""
    found = _own_values(con, pair, ids)
    return found - _held_by_other_records(con, found, ids)


def _own_values(con: duckdb.DuckDBPyConnection, pair: ObjectPair, ids: Ids) -> set[str]:
    """The person's free-text values that no other record of the pair holds in the same column."""
    found: set[str] = set()
    for side, record_ids in ((Side.HUBSPOT, ids.hubspot), (Side.SALESFORCE, ids.salesforce)):
        table = SnapshotTables.of(ids.pair_name).on(side)
        if not record_ids or not table_exists(con, table):
            continue
        for mapped in pair.fields:
            column = mapped.side_field(side)
            if mapped.transform.kind not in PERSONAL_KINDS or not column_exists(con, table, column):
                continue
            rows = con.execute(
                f"""SELECT DISTINCT CAST(t.{quoted(column)} AS VARCHAR) FROM {quoted(table)} t
                    WHERE t.id IN (SELECT unnest($ids::VARCHAR[])) AND t.{quoted(column)} IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM {quoted(table)} o WHERE o.{quoted(column)} = t.{quoted(column)}
                                      AND o.id NOT IN (SELECT unnest($ids::VARCHAR[])))""",
                {"ids": record_ids},
            ).fetchall()
            found |= {r[0] for r in rows if r[0] and len(r[0].strip()) >= SHORTEST_VALUE}
    return found


def _held_by_other_records(con: duckdb.DuckDBPyConnection, values: set[str], ids: Ids) -> set[str]:
    """Those of `values` that a mirror row of another record holds, in any text column of any pair."""
    if not values:
        return set()
    held: set[str] = set()
    for table in state_tables(con):
        if not SNAPSHOT_TABLE.fullmatch(table):
            continue
        for column in _text_columns(con, table):
            if _is_key(column):
                continue
            rows = con.execute(
                f"""SELECT DISTINCT CAST({quoted(column)} AS VARCHAR) FROM {quoted(table)}
                    WHERE CAST({quoted(column)} AS VARCHAR) IN (SELECT unnest($values::VARCHAR[]))
                      AND id NOT IN (SELECT unnest($ids::VARCHAR[]))""",
                {"values": sorted(values), "ids": ids.all},
            ).fetchall()
            held |= {r[0] for r in rows}
    return held


def scrub_state(
    con: duckdb.DuckDBPyConnection, pair: ObjectPair, ids: Ids, email: str | None, values: set[str]
) -> Counter[str]:
    """Remove the person from every table; returns rows touched per table."""
    touched = _delete_rows(con, pair, ids)
    touched += _blank_written_values(con, ids)
    touched += sweep_text(con, email, values)
    return touched


# The person's ids as SQL lists: $hs (HubSpot), $sf (Salesforce), $all (both).
IN_HS, IN_SF, IN_ALL = (f"(SELECT unnest(${k}::VARCHAR[]))" for k in ("hs", "sf", "all"))


def _row_filters(tables: SnapshotTables) -> dict[str, str]:
    """Table -> the rows about the person, by their ids ($pair: the pair's name; $object: its HubSpot object)."""
    return {
        tables.hubspot: f"id IN {IN_HS}",
        tables.salesforce: f"id IN {IN_SF}",
        "links": f"pair = $pair AND (hubspot_id IN {IN_HS} OR salesforce_id IN {IN_SF})",
        "base_values": f"pair = $pair AND hubspot_id IN {IN_HS}",
        "closed_link_bases": f"pair = $pair AND (hubspot_id IN {IN_HS} OR salesforce_id IN {IN_SF})",
        "accepted_values": f"pair = $pair AND hubspot_id IN {IN_HS}",
        "first_link_values": f"pair = $pair AND (hubspot_id IN {IN_HS} OR salesforce_id IN {IN_SF})",
        "plan_rows": f"pair = $pair AND (hubspot_id IN {IN_HS} OR salesforce_id IN {IN_SF} OR record_ref IN {IN_ALL})",
        "conflicts": f"pair = $pair AND (hubspot_id IN {IN_HS} OR salesforce_id IN {IN_SF})",
        "sync_errors": f"pair = $pair AND record_ref IN {IN_ALL}",
        "value_issues": f"pair = $pair AND record_id IN {IN_ALL}",
        "review_items": f"pair = $pair AND (hubspot_id IN {IN_HS} OR list_has_any(salesforce_ids, $sf::VARCHAR[]))",
        "bulk_job_records": f"record_ref IN {IN_ALL}",
        "hubspot_associations": f"(from_object = $object AND from_id IN {IN_HS}) OR (to_object = $object AND to_id IN {IN_HS})",
        "hubspot_list_memberships": f"record_id IN {IN_HS}",
        "salesforce_edit_times": f"salesforce_id IN {IN_SF}",
        "salesforce_field_times": f"salesforce_id IN {IN_SF}",
    }


def _delete_rows(con: duckdb.DuckDBPyConnection, pair: ObjectPair, ids: Ids) -> Counter[str]:
    touched: Counter[str] = Counter()
    params = {
        "pair": ids.pair_name,
        "hs": ids.hubspot,
        "sf": ids.salesforce,
        "all": ids.all,
        "object": pair.hubspot,
    }
    for table, where in _row_filters(SnapshotTables.of(ids.pair_name)).items():
        if table_exists(con, table):
            used = {k: v for k, v in params.items() if f"${k}" in where}
            touched[table] += _count(con.execute(f"DELETE FROM {quoted(table)} WHERE {where}", used))
    if table_exists(con, "salesforce_junctions") and ids.salesforce:
        columns = _text_columns(con, "salesforce_junctions")
        where = " OR ".join(f"{quoted(c)} IN {IN_SF}" for c in columns)
        touched["salesforce_junctions"] += _count(
            con.execute(f"DELETE FROM salesforce_junctions WHERE {where}", {"sf": ids.salesforce})
        )
    return touched


def _blank_written_values(con: duckdb.DuckDBPyConnection, ids: Ids) -> Counter[str]:
    """The audit log and write results keep that a write happened, without its values or messages."""
    touched: Counter[str] = Counter()
    params = {"pair": ids.pair_name, "all": ids.all}
    touched["audit_log"] += _count(con.execute(
        f"""UPDATE audit_log SET before_value = NULL, after_value = NULL
            WHERE pair = $pair AND (record_id IN {IN_ALL} OR source_id IN {IN_ALL})""",
        params,
    ))  # fmt: skip
    touched["write_results"] += _count(con.execute(
        f"UPDATE write_results SET error_message = NULL, error_fields = NULL WHERE pair = $pair AND record_ref IN {IN_ALL}",
        params,
    ))  # fmt: skip
    return touched


def sweep_text(con: duckdb.DuckDBPyConnection, email: str | None, values: set[str]) -> Counter[str]:
    """NULL every text cell (any table) that is one of `values` or contains the email; a NOT NULL
    cell takes its row with it."""
    touched: Counter[str] = Counter()
    wanted = sorted(values)
    pattern = f"%{email.strip().lower()}%" if email and email.strip() else None
    if not wanted and pattern is None:
        return touched
    for table in state_tables(con):
        if table in KEPT_TABLES:
            continue
        for column, nullable in _text_columns(con, table, with_nullable=True).items():
            text = f"CAST({quoted(column)} AS VARCHAR)"
            where = f"({text} IN (SELECT unnest($values::VARCHAR[])) OR lower({text}) LIKE $pattern)"
            params = {"values": wanted, "pattern": pattern or "\x00never\x00"}
            statement = (
                f"UPDATE {quoted(table)} SET {quoted(column)} = NULL WHERE {where}"
                if nullable
                else f"DELETE FROM {quoted(table)} WHERE {where}"
            )
            touched[table] += _count(con.execute(statement, params))
    return +touched


def _text_columns(con, table: str, with_nullable: bool = False):  # type: ignore[no-untyped-def]
    """Text columns (VARCHAR, lists of VARCHAR, JSON), with whether each takes NULL when asked."""
    text = [
        name
        for name, kind in table_columns(con, table).items()
        if kind == "JSON" or kind.startswith("VARCHAR")
    ]
    if with_nullable:
        nullable = nullable_columns(con, table)
        return {name: nullable[name] for name in text if not _is_key(name)}
    return text


def _is_key(column: str) -> bool:
    """Id columns hold record ids, never a person's text; sweeping them could only do harm."""
    lowered = column.lower()
    return lowered == "id" or lowered.endswith("_id") or lowered.endswith("id") and column[-2:] == "Id"


def _count(cursor) -> int:  # type: ignore[no-untyped-def]
    rows = cursor.fetchall()
    return int(rows[0][0]) if rows and rows[0] and isinstance(rows[0][0], int) else 0
