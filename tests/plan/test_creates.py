"""Creates planned from the shipped mapping: what becomes a Lead or a Contact, what never gets created."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crmsync_pipeline.config import OwnerDirectory, Side, load_mapping
from crmsync_pipeline.plan.creates import plan_creates
from crmsync_pipeline.plan.inclusion import included_ids
from crmsync_pipeline.state import db

MAPPING = load_mapping(Path(__file__).parents[2] / "crmsync.yaml")
OWNERS = OwnerDirectory(hubspot={"11": "ada@example.org"}, salesforce={"005A": "ada@example.org"})
NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute("""CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, email VARCHAR, firstname VARCHAR,
            lastname VARCHAR, jobtitle VARCHAR, phone VARCHAR, hubspot_owner_id VARCHAR, lifecyclestage VARCHAR,
            hs_lead_status VARCHAR, lead_source VARCHAR, company VARCHAR, _archived BOOLEAN)""")
        con.execute("""CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _sobject VARCHAR, "Email" VARCHAR,
            "FirstName" VARCHAR, "LastName" VARCHAR, "Title" VARCHAR, "Phone" VARCHAR, "OwnerId" VARCHAR,
            "HubSpot_Lifecycle_Stage__c" VARCHAR, "Status" VARCHAR, "LeadSource" VARCHAR, "Company" VARCHAR,
            "IsConverted" VARCHAR, _deleted BOOLEAN)""")
        con.execute(
            "CREATE TABLE hubspot_associations (from_object VARCHAR, from_id VARCHAR, to_object VARCHAR, "
            "to_id VARCHAR, type_ids INTEGER[], _extracted_at TIMESTAMPTZ)"
        )
        yield con


def plan(con):
    included = {side: included_ids(con, MAPPING, "contacts", side, OWNERS) for side in Side}
    planned = plan_creates(con, "r1", MAPPING, "contacts", OWNERS, included, NOW)
    rows = con.execute(
        "SELECT target, record_ref, salesforce_object, target_field, new_value FROM plan_rows "
        "WHERE action = 'create' ORDER BY target, record_ref, target_field"
    ).fetchall()
    return planned, rows


def test_hubspot_person_without_linked_company_becomes_a_lead_with_default_company(con):
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot VALUES ('1', 'Ada@Acme.com', 'Ada', 'Lovelace', 'CTO', NULL, "
        "'11', 'salesqualifiedlead', 'NEW', 'Web', NULL, false)"
    )
    planned, rows = plan(con)
    assert planned == {"salesforce": 1}
    assert rows == [
        ("salesforce", "1", "Lead", "Company", "[not provided]"),
        ("salesforce", "1", "Lead", "Email", "ada@acme.com"),
        ("salesforce", "1", "Lead", "FirstName", "Ada"),
        ("salesforce", "1", "Lead", "HubSpot_Lifecycle_Stage__c", "salesqualifiedlead"),
        ("salesforce", "1", "Lead", "LastName", "Lovelace"),
        ("salesforce", "1", "Lead", "LeadSource", "Web"),
        ("salesforce", "1", "Lead", "OwnerId", "005A"),
        ("salesforce", "1", "Lead", "Status", "Open - Not Contacted"),
        ("salesforce", "1", "Lead", "Title", "CTO"),
    ]


def test_a_person_whose_company_is_linked_becomes_a_contact_of_that_account(con):
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot VALUES ('1', 'ada@acme.com', 'Ada', 'Lovelace', NULL, NULL, "
        "NULL, 'customer', NULL, NULL, 'Acme', false)"
    )
    con.execute("INSERT INTO hubspot_associations VALUES ('contacts', '1', 'companies', 'c1', [279], now())")
    con.execute("INSERT INTO links VALUES ('companies', 'c1', 'Account', '001ACME', 'domain', now(), 'r0')")
    _, rows = plan(con)
    assert ("salesforce", "1", "Contact", "AccountId", "001ACME") in rows
    assert not any(r[3] in ("Company", "Status") for r in rows)  # Lead-only fields stay off a Contact


def test_excluded_linked_reviewed_duplicate_and_converted_records_are_not_created(con):
    con.executemany(
        "INSERT INTO hubspot_contacts_snapshot (id, email, lastname, lifecyclestage, _archived) "
        "VALUES (?, ?, 'X', ?, false)",
        [
            ("1", "sub@acme.com", "subscriber"),
            ("2", "linked@acme.com", "customer"),
            ("3", "review@acme.com", "customer"),
        ],
    )
    con.executemany(
        'INSERT INTO salesforce_contacts_snapshot (id, _sobject, "Email", "LastName", "IsConverted", '
        "_deleted) VALUES (?, ?, ?, 'X', ?, false)",
        [
            ("003L", "Contact", "linked@acme.com", None),
            ("00QD", "Lead", "dup@acme.com", "false"),
            ("00QC", "Lead", "converted@acme.com", "true"),
            ("003N", "Contact", "new@acme.com", None),
        ],
    )
    con.execute("INSERT INTO links VALUES ('contacts', '2', 'Contact', '003L', 'email', now(), 'r0')")
    con.execute(
        "INSERT INTO review_items VALUES ('ambiguous_match:contacts:3', 'ambiguous_match', 'contacts', '3', "
        "[], '{}', now(), 'r0', NULL, NULL)"
    )
    con.execute(
        "INSERT INTO review_items VALUES ('duplicate:contacts:00QD', 'duplicate_lead', 'contacts', '2', "
        "['003L', '00QD'], '{}', now(), 'r0', NULL, NULL)"
    )
    planned, rows = plan(con)
    assert planned == {"hubspot": 1}
    assert {r[1] for r in rows} == {"003N"}
    assert ("hubspot", "003N", "Contact", "email", "new@acme.com") in rows


def test_links_without_cross_references_get_them_written_on_both_sides(con):
    from crmsync_pipeline.plan.xrefs import plan_cross_references

    con.execute("ALTER TABLE hubspot_contacts_snapshot ADD COLUMN crmsync_salesforce_id VARCHAR")
    con.execute('ALTER TABLE salesforce_contacts_snapshot ADD COLUMN "CrmSync_HubSpot_Id__c" VARCHAR')
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot (id, email, _archived, crmsync_salesforce_id) VALUES "
        "('1', 'a@acme.com', false, NULL), ('2', 'b@acme.com', false, '003B')"
    )
    con.execute(
        'INSERT INTO salesforce_contacts_snapshot (id, _sobject, "Email", _deleted, "CrmSync_HubSpot_Id__c") '
        "VALUES ('003A', 'Contact', 'a@acme.com', false, '1'), ('003B', 'Contact', 'b@acme.com', false, NULL)"
    )
    con.execute(
        "INSERT INTO links VALUES ('contacts', '1', 'Contact', '003A', 'email', now(), 'r0'), "
        "('contacts', '2', 'Contact', '003B', 'email', now(), 'r0')"
    )
    pair = MAPPING.pair("contacts")
    assert plan_cross_references(con, "r1", "contacts", pair, NOW) == 2
    assert plan_cross_references(con, "r1", "contacts", pair, NOW) == 0  # planned once per run
    assert con.execute(
        "SELECT target, record_ref, target_field, new_value FROM plan_rows ORDER BY target"
    ).fetchall() == [
        ("hubspot", "1", "crmsync_salesforce_id", "003A"),
        ("salesforce", "003B", "CrmSync_HubSpot_Id__c", "2"),
    ]
