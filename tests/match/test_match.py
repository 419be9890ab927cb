"""Matching on hand-built snapshots: key order, normalisation, ambiguity and duplicate Leads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.config import parse_mapping
from crmsync_pipeline.match.links import match_links
from crmsync_pipeline.state import db

NOW = datetime(2026, 11, 28, tzinfo=UTC)
CONTACTS = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: [Contact, Lead]
    fields:
      - {hubspot: email, salesforce: Email, direction: two_way, transform: email}
    match:
      - {name: email, hubspot: email, salesforce: Email, normalize: email}
      - name: name_and_company
        hubspot: [firstname, lastname, company]
        salesforce: {Contact: [FirstName, LastName, Account.Name], Lead: [FirstName, LastName, Company]}
        normalize: [name, name, company_name]
        only_when_missing: [email]
""").pair("contacts")


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute("""CREATE TABLE hubspot_contacts_snapshot (id VARCHAR PRIMARY KEY, email VARCHAR,
            firstname VARCHAR, lastname VARCHAR, company VARCHAR, crmsync_salesforce_id VARCHAR, _archived BOOLEAN)""")
        con.execute("""CREATE TABLE salesforce_contacts_snapshot (id VARCHAR PRIMARY KEY, _sobject VARCHAR,
            "Email" VARCHAR, "FirstName" VARCHAR, "LastName" VARCHAR, "Account.Name" VARCHAR, "Company" VARCHAR,
            "CrmSync_HubSpot_Id__c" VARCHAR, _deleted BOOLEAN)""")
        yield con


def hubspot(con, id, email=None, first=None, last=None, company=None, xref=None, archived=False):
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, ?, ?, ?, ?)",
        [id, email, first, last, company, xref, archived],
    )


def salesforce(
    con, id, sobject, email=None, first=None, last=None, account=None, company=None, xref=None, deleted=False
):
    con.execute(
        'INSERT INTO salesforce_contacts_snapshot (id, _sobject, "Email", "FirstName", "LastName", "Account.Name", '
        '"Company", "CrmSync_HubSpot_Id__c", _deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [id, sobject, email, first, last, account, company, xref, deleted],
    )


def run(con):
    return match_links(con, "contacts", CONTACTS, "run1", NOW)


def links(con):
    return dict(con.execute("SELECT hubspot_id, salesforce_id || ':' || matched_by FROM links").fetchall())


def test_email_matches_across_case_and_whitespace_and_prefers_the_contact(con):
    hubspot(con, "1", email="Ada.Lovelace@Example.org")
    salesforce(con, "003A", "Contact", email="  ada.lovelace@example.org\t")
    salesforce(con, "00QA", "Lead", email="ADA.LOVELACE@EXAMPLE.ORG")
    result = run(con)
    assert links(con) == {"1": "003A:email"}
    assert result.duplicates == 1
    kind, ids = con.execute("SELECT kind, salesforce_ids FROM review_items").fetchone()
    assert kind == "duplicate_lead" and ids == ["00QA"]


def test_different_mailboxes_stay_different(con):
    hubspot(con, "1", email="ada+billing@example.org")
    salesforce(con, "003A", "Contact", email="ada@example.org")
    assert run(con).linked == 0


def test_cross_reference_wins_over_email_and_accepts_15_char_ids(con):
    hubspot(con, "1", email="grace@example.org", xref="003B00000000001")
    salesforce(con, "003B00000000001AAA", "Contact", email="someone.else@example.org")
    salesforce(con, "003C00000000001AAA", "Contact", email="grace@example.org")
    hubspot(con, "2", email="other@example.org")
    salesforce(con, "003D00000000001AAA", "Contact", email="nobody@example.org", xref="2")
    result = run(con)
    assert links(con) == {
        "1": "003B00000000001AAA:salesforce_id_in_hubspot",
        "2": "003D00000000001AAA:hubspot_id_in_salesforce",
    }
    assert result.linked_by["salesforce_id_in_hubspot"] == 1


def test_shared_email_goes_to_review_not_to_a_link(con):
    hubspot(con, "1", email="team@example.org")
    hubspot(con, "2", email="TEAM@example.org")
    salesforce(con, "003A", "Contact", email="team@example.org")
    result = run(con)
    assert links(con) == {} and result.ambiguous == 2
    reviewed = con.execute("SELECT hubspot_id FROM review_items WHERE kind = 'ambiguous_match'").fetchall()
    assert {r[0] for r in reviewed} == {"1", "2"}


def test_people_without_email_match_by_name_at_company_and_only_they_do(con):
    hubspot(con, "1", first="Alan", last="Turing", company="Bletchley Park Ltd")
    salesforce(con, "003A", "Contact", first="alan", last="TURING", account="Bletchley Park")
    hubspot(con, "2", first="Alan", last="Turing", company="Other Co")
    hubspot(con, "3", email="joan@example.org", first="Joan", last="Clarke", company="Bletchley Park")
    salesforce(
        con,
        "00QB",
        "Lead",
        email="joan.clarke@example.org",
        first="Joan",
        last="Clarke",
        company="Bletchley Park",
    )
    run(con)
    assert links(con) == {"1": "003A:name_and_company"}  # Joan has an email: no name fallback for her


def test_archived_and_deleted_records_are_not_matched_and_rerun_is_idempotent(con):
    hubspot(con, "1", email="a@example.org", archived=True)
    salesforce(con, "003A", "Contact", email="a@example.org")
    hubspot(con, "2", email="b@example.org")
    salesforce(con, "003B", "Contact", email="b@example.org", deleted=True)
    hubspot(con, "3", email="c@example.org")
    salesforce(con, "003C", "Contact", email="c@example.org")
    run(con)
    again = match_links(con, "contacts", CONTACTS, "run2", NOW)
    assert links(con) == {"3": "003C:email"} and again.linked == 0


def test_unlinked_contact_and_lead_of_one_person_become_one_create_and_one_review(con):
    salesforce(con, "003A", "Contact", email="grace@example.org")
    salesforce(con, "00QA", "Lead", email="Grace@Example.org ")
    salesforce(con, "003B", "Contact", email="twin@example.org")
    salesforce(con, "003C", "Contact", email="twin@example.org")
    result = run(con)
    held = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT unnest(salesforce_ids), kind, detail->>'kept', detail->>'why_kept' FROM review_items"
        ).fetchall()
    }
    # two records of the same sObject: the oldest (here, without CreatedDate, the lower id) is kept and
    # may be created in HubSpot; the other is a duplicate naming it, never an ambiguity with kept=None
    assert held == {
        "00QA": (
            "duplicate_lead",
            "003A",
            "the only Contact sharing this email (the mapping prefers Contact)",
        ),
        "003C": ("duplicate_lead", "003B", "the oldest of 2 Contacts sharing this email"),
    }
    assert result.duplicates == 2


def test_a_converted_lead_relinks_to_its_contact(con):
    con.execute('ALTER TABLE salesforce_contacts_snapshot ADD COLUMN "IsConverted" VARCHAR')
    con.execute('ALTER TABLE salesforce_contacts_snapshot ADD COLUMN "ConvertedContactId" VARCHAR')
    hubspot(con, "1", email="ada@example.org")
    salesforce(con, "00QA", "Lead", email="ada@example.org")
    run(con)
    assert links(con) == {"1": "00QA:email"}
    con.execute("""UPDATE salesforce_contacts_snapshot SET "IsConverted" = 'true', "ConvertedContactId" = '003N'
                   WHERE id = '00QA'""")
    salesforce(con, "003N", "Contact", email="ada@example.org")
    result = run(con)
    assert links(con) == {"1": "003N:converted_lead"} and result.linked_by["converted_lead"] == 1
    assert not con.execute("SELECT * FROM review_items WHERE kind = 'duplicate_lead'").fetchall()
