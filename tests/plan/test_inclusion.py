"""Inclusion rules of the shipped mapping, evaluated over snapshots in the state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsync_pipeline.config import Condition, OwnerDirectory, Side, load_mapping
from crmsync_pipeline.plan.inclusion import included_ids
from crmsync_pipeline.state import db

MAPPING = load_mapping(Path(__file__).parents[2] / "crmsync.yaml")
OWNERS = OwnerDirectory(
    hubspot={"11": "ada@example.org", "12": "only.hubspot@example.org"},
    salesforce={"005A": "ada@example.org"},
)


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(
            "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, email VARCHAR, lifecyclestage VARCHAR, "
            "_archived BOOLEAN)"
        )
        con.execute(
            'CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _sobject VARCHAR, "Email" VARCHAR, '
            "_deleted BOOLEAN)"
        )
        con.execute(
            "CREATE TABLE hubspot_companies_snapshot (id VARCHAR, hubspot_owner_id VARCHAR, _archived BOOLEAN)"
        )
        con.execute("CREATE TABLE hubspot_deals_snapshot (id VARCHAR, _archived BOOLEAN)")
        con.execute(
            "CREATE TABLE hubspot_associations (from_object VARCHAR, from_id VARCHAR, to_object VARCHAR, "
            "to_id VARCHAR, type_ids INTEGER[], _extracted_at TIMESTAMPTZ)"
        )
        yield con


def test_contacts_need_a_sales_stage_and_a_real_email(con):
    con.executemany(
        "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, false)",
        [
            ("1", "ada@acme.com", "salesqualifiedlead"),
            ("2", "bob@acme.com", "subscriber"),
            ("3", "carol@test.com", "customer"),
            ("4", "dan@EXAMPLE.com", "opportunity"),
            ("5", None, "customer"),
        ],
    )
    assert included_ids(con, MAPPING, "contacts", Side.HUBSPOT, OWNERS) == {"1", "5"}


def test_salesforce_people_come_over_unless_test_addresses(con):
    con.executemany(
        "INSERT INTO salesforce_contacts_snapshot VALUES (?, ?, ?, ?)",
        [
            ("003A", "Contact", "x@acme.com", False),
            ("00QB", "Lead", "y@test.com", False),
            ("003C", "Contact", "z@acme.com", True),
        ],
    )
    assert included_ids(con, MAPPING, "contacts", Side.SALESFORCE, OWNERS) == {"003A"}


def test_companies_follow_their_included_people_or_a_known_owner(con):
    con.executemany(
        "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, false)",
        [("1", "ada@acme.com", "customer"), ("2", "bob@acme.com", "subscriber")],
    )
    con.executemany(
        "INSERT INTO hubspot_companies_snapshot VALUES (?, ?, false)",
        [("c1", None), ("c2", None), ("c3", "11"), ("c4", "12")],
    )
    con.executemany(
        "INSERT INTO hubspot_associations VALUES (?, ?, ?, ?, [279], now())",
        [("contacts", "1", "companies", "c1"), ("contacts", "2", "companies", "c2")],
    )
    # c1: an included contact; c2: only an excluded one; c3: owner on both sides; c4: owner only in HubSpot
    assert included_ids(con, MAPPING, "companies", Side.HUBSPOT, OWNERS) == {"c1", "c3"}


LIST_RULE = MAPPING.model_copy(deep=True)
LIST_RULE.pair("contacts").include.hubspot = Condition.model_validate(
    {"any": [{"in_list": "VIP customers"}, {"field": "lifecyclestage", "equals": "customer"}]}
)


def test_list_members_are_included_and_leavers_are_not(con):
    con.executemany(
        "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, 'lead', false)",
        [("1", "a@acme.com"), ("2", "b@acme.com"), ("3", "c@acme.com")],
    )
    con.execute(
        "INSERT INTO hubspot_lists VALUES ('VIP customers', 'contacts', '77', 'VIP', 'MANUAL', 2, now())"
    )
    con.execute(
        "INSERT INTO hubspot_list_memberships VALUES ('77', 'VIP', '1', now()), ('77', 'VIP', '3', now())"
    )
    assert included_ids(con, LIST_RULE, "contacts", Side.HUBSPOT, OWNERS) == {"1", "3"}
    con.execute("DELETE FROM hubspot_list_memberships WHERE record_id = '3'")  # taken off the list
    assert included_ids(con, LIST_RULE, "contacts", Side.HUBSPOT, OWNERS) == {"1"}


def test_a_list_whose_members_were_never_read_is_an_error_not_an_empty_list(con):
    con.execute("INSERT INTO hubspot_contacts_snapshot VALUES ('1', 'a@acme.com', 'lead', false)")
    with pytest.raises(RuntimeError, match="list 'VIP customers'.*not extracted"):
        included_ids(con, LIST_RULE, "contacts", Side.HUBSPOT, OWNERS)
