"""The state file's names: quoted identifiers, which tables and columns exist, and snapshot table names."""

from __future__ import annotations

import duckdb
import pytest

from crmsync_pipeline.config import Side
from crmsync_pipeline.state.names import (
    column_exists,
    nullable_columns,
    quoted,
    state_tables,
    table_columns,
    table_exists,
)
from crmsync_pipeline.state.snapshots import SnapshotTables


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE people (id VARCHAR PRIMARY KEY, email VARCHAR NOT NULL, tags VARCHAR[], n INTEGER)"
    )
    con.execute("CREATE VIEW people_view AS SELECT * FROM people")
    con.execute("CREATE TEMP TABLE scratch (id VARCHAR)")
    return con


def test_quoted_accepts_identifiers_and_refuses_anything_else() -> None:
    assert quoted("hubspot_contacts_snapshot") == '"hubspot_contacts_snapshot"'
    with pytest.raises(ValueError):
        quoted('x"; DROP TABLE links; --')


def test_tables_and_columns(con: duckdb.DuckDBPyConnection) -> None:
    assert table_exists(con, "people") and not table_exists(con, "nobody")
    assert column_exists(con, "people", "email") and not column_exists(con, "people", "phone")
    assert table_columns(con, "people") == {
        "id": "VARCHAR",
        "email": "VARCHAR",
        "tags": "VARCHAR[]",
        "n": "INTEGER",
    }
    assert nullable_columns(con, "people") == {"id": False, "email": False, "tags": True, "n": True}


def test_state_tables_leave_out_views_and_temporary_tables(con: duckdb.DuckDBPyConnection) -> None:
    assert state_tables(con) == ["people"]


def test_snapshot_tables_of_a_pair() -> None:
    tables = SnapshotTables.of("contacts")
    assert (tables.hubspot, tables.salesforce) == (
        "hubspot_contacts_snapshot",
        "salesforce_contacts_snapshot",
    )
    assert tables.on(Side.SALESFORCE) == tables.salesforce and tables.on("hubspot") == tables.hubspot
    with pytest.raises(ValueError):
        tables.on("pipedrive")


def test_views_temporary_tables_and_exact_column_names(con: duckdb.DuckDBPyConnection) -> None:
    con.execute('CREATE TABLE mixed (a INTEGER, "Mixed_Case" VARCHAR)')
    assert table_exists(con, "people_view") and table_exists(con, "scratch")
    assert column_exists(con, "people_view", "email") and column_exists(con, "scratch", "id")
    assert column_exists(con, "mixed", "Mixed_Case") and not column_exists(con, "mixed", "mixed_case")
    assert not column_exists(con, "nobody", "id")


def test_asking_about_a_missing_table_inside_a_transaction_leaves_it_usable(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("BEGIN")
    con.execute("INSERT INTO people VALUES ('1', 'a@example.com', NULL, 1)")
    assert not table_exists(con, "nobody") and not column_exists(con, "nobody", "id")
    con.execute("INSERT INTO people VALUES ('2', 'b@example.com', NULL, 2)")
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM people").fetchall() == [(2,)]
