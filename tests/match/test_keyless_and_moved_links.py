"""Keyless records held in review with their likely twins, and the base of a link that moved to another
record (a converted Lead's Contact) forgotten where that record is empty, on hand-built snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crmsync_pipeline.config import Side, parse_mapping
from crmsync_pipeline.match.keyless import hold_keyless, item_id
from crmsync_pipeline.match.links import match_links
from crmsync_pipeline.state import db

NOW = datetime(2026, 11, 28, tzinfo=UTC)
MAPPING = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: [Contact, Lead]
    fields:
      - {hubspot: email, salesforce: Email, direction: two_way, transform: email}
      - {hubspot: phone, salesforce: Phone, direction: prefer_salesforce}
      - {hubspot: lifecyclestage, salesforce: HubSpot_Lifecycle_Stage__c, direction: prefer_hubspot}
      - {hubspot: company, salesforce: Company, direction: prefer_hubspot, salesforce_objects: Lead}
    match:
      - {name: email, hubspot: email, salesforce: Email, normalize: email}
      - name: name_and_company
        hubspot: [firstname, lastname, company]
        salesforce: {Contact: [FirstName, LastName, Account.Name], Lead: [FirstName, LastName, Company]}
        normalize: [name, name, company_name]
        only_when_missing: [email]
  deals:
    hubspot: deals
    salesforce: Opportunity
    fields:
      - {hubspot: dealname, salesforce: Name, direction: two_way}
    match: []
""")
CONTACTS = MAPPING.pair("contacts")


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute("""CREATE TABLE hubspot_contacts_snapshot (id VARCHAR PRIMARY KEY, email VARCHAR,
            firstname VARCHAR, lastname VARCHAR, company VARCHAR, phone VARCHAR, lifecyclestage VARCHAR,
            crmsync_salesforce_id VARCHAR, _archived BOOLEAN)""")
        con.execute("""CREATE TABLE salesforce_contacts_snapshot (id VARCHAR PRIMARY KEY, _sobject VARCHAR,
            "Email" VARCHAR, "FirstName" VARCHAR, "LastName" VARCHAR, "Account.Name" VARCHAR, "Company" VARCHAR,
            "Phone" VARCHAR, "HubSpot_Lifecycle_Stage__c" VARCHAR, "CrmSync_HubSpot_Id__c" VARCHAR,
            "IsConverted" VARCHAR, "ConvertedContactId" VARCHAR, _deleted BOOLEAN)""")
        yield con


def hubspot(con, id, email=None, first=None, last=None, company=None, phone=None, stage=None):
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, ?, ?, ?, ?, NULL, false)",
        [id, email, first, last, company, phone, stage],
    )


def salesforce(con, id, sobject, email=None, first=None, last=None, account=None, company=None, phone=None,
               stage=None):  # fmt: skip
    con.execute(
        "INSERT INTO salesforce_contacts_snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, false)",
        [id, sobject, email, first, last, account, company, phone, stage],
    )


def records(con, side: Side) -> list[dict]:
    table = "hubspot_contacts_snapshot" if side is Side.HUBSPOT else "salesforce_contacts_snapshot"
    return con.sql(f"SELECT * FROM {table} ORDER BY id").to_arrow_table().to_pylist()


def test_only_records_no_key_can_find_are_held_with_their_likely_twins(con):
    hubspot(con, "1", first="Kay", last="Keyless")  # no email, no company: keyless
    hubspot(con, "2", email="ann@example.org")
    hubspot(con, "3", first="Bo", last="Named", company="Acme")  # name at company: a key
    salesforce(con, "003K", "Contact", first="Kay", last="Keyless")  # no email, no Account
    salesforce(con, "00QK", "Lead", first="Kai", last="Keyles", company="Elsewhere")  # a key, and a near name
    salesforce(con, "003Z", "Contact", first="Zed", last="Other")  # keyless, not alike
    held = hold_keyless(con, "contacts", CONTACTS, Side.HUBSPOT, records(con, Side.HUBSPOT), "r1", NOW)
    assert held == {"1"}
    held_sf = hold_keyless(
        con, "contacts", CONTACTS, Side.SALESFORCE, records(con, Side.SALESFORCE), "r1", NOW
    )
    assert held_sf == {"003K", "003Z"}
    items = {i: (h, s, json.loads(d)) for i, h, s, d in con.execute(
        "SELECT item_id, hubspot_id, salesforce_ids, detail FROM review_items WHERE kind = 'keyless'").fetchall()}  # fmt: skip
    hubspot_id, held_ids, detail = items[item_id("contacts", Side.HUBSPOT, "1")]
    assert (hubspot_id, held_ids) == ("1", [])  # a twin is shown, not held: it may have keys of its own
    assert [(t["id"], t["name"], t["company"]) for t in detail["twins"]] == [
        ("003K", "Kay Keyless", None),
        ("00QK", "Kai Keyles", "Elsewhere"),
    ]
    assert detail["twins"][0]["similarity"] == 1.0
    hubspot_id, held_ids, detail = items[item_id("contacts", Side.SALESFORCE, "003K")]
    assert (hubspot_id, held_ids) == (None, ["003K"])
    assert [t["id"] for t in detail["twins"]] == ["1"]
    assert items[item_id("contacts", Side.SALESFORCE, "003Z")][2]["twins"] == []


def test_a_create_decision_lets_the_record_through_and_a_pair_without_keys_holds_nothing(con):
    hubspot(con, "1", first="Kay", last="Keyless")
    assert hold_keyless(con, "contacts", CONTACTS, Side.HUBSPOT, records(con, Side.HUBSPOT), "r1", NOW) == {
        "1"
    }
    con.execute("UPDATE review_items SET settled_at = ?, resolution = 'create'", [NOW])
    assert (
        hold_keyless(con, "contacts", CONTACTS, Side.HUBSPOT, records(con, Side.HUBSPOT), "r2", NOW) == set()
    )
    con.execute("UPDATE review_items SET resolution = 'skip'")
    assert hold_keyless(con, "contacts", CONTACTS, Side.HUBSPOT, records(con, Side.HUBSPOT), "r3", NOW) == {
        "1"
    }
    deal = {"id": "9", "dealname": "Big deal"}
    assert hold_keyless(con, "deals", MAPPING.pair("deals"), Side.HUBSPOT, [deal], "r1", NOW) == set()


def test_a_keyless_item_settles_once_its_record_is_linked_or_gains_a_key(con):
    hubspot(con, "1", first="Kay", last="Keyless")
    salesforce(con, "003K", "Contact", first="Kay", last="Keyless")
    hubspot(con, "2", first="Lou", last="Later")
    hold_keyless(con, "contacts", CONTACTS, Side.HUBSPOT, records(con, Side.HUBSPOT), "r1", NOW)
    hold_keyless(con, "contacts", CONTACTS, Side.SALESFORCE, records(con, Side.SALESFORCE), "r1", NOW)
    match_links(con, "contacts", CONTACTS, "r2", NOW)  # nothing to go on: all three still wait
    assert con.execute("SELECT count(*) FROM review_items WHERE settled_at IS NULL").fetchall() == [(3,)]
    assert con.execute("SELECT count(*) FROM links").fetchall() == [(0,)]
    con.execute("INSERT INTO links VALUES ('contacts', '1', 'Contact', '003K', 'review', ?, 'review')", [NOW])
    con.execute("UPDATE hubspot_contacts_snapshot SET email = 'lou@example.org' WHERE id = '2'")
    match_links(con, "contacts", CONTACTS, "r3", NOW)
    settled = dict(con.execute("SELECT item_id, resolution FROM review_items").fetchall())
    assert settled == {
        item_id("contacts", Side.HUBSPOT, "1"): "linked",
        item_id("contacts", Side.SALESFORCE, "003K"): "linked",
        item_id("contacts", Side.HUBSPOT, "2"): "keyed",
    }


def test_a_lead_converted_into_a_new_contact_keeps_base_only_where_the_contact_holds_a_value(con):
    hubspot(con, "1", email="ada@example.org", phone="555", stage="marketingqualifiedlead", company="Acme")
    salesforce(con, "00QA", "Lead", email="ada@example.org", phone="555", stage="marketingqualifiedlead",
               company="Acme")  # fmt: skip
    match_links(con, "contacts", CONTACTS, "r1", NOW)
    for field, value in (("email", "ada@example.org"), ("phone", "555"), ("lifecyclestage", "marketingqualifiedlead"),
                         ("company", "Acme")):  # fmt: skip
        con.execute("INSERT INTO base_values VALUES ('contacts', '1', ?, ?, ?, 'r1')", [field, value, NOW])
    con.execute("""UPDATE salesforce_contacts_snapshot SET "IsConverted" = 'true', "ConvertedContactId" = '003N'
                   WHERE id = '00QA'""")
    salesforce(
        con, "003N", "Contact", email="ada@example.org", phone="555"
    )  # conversion copied no custom field
    match_links(con, "contacts", CONTACTS, "r2", NOW)
    assert con.execute("SELECT salesforce_id FROM links WHERE hubspot_id = '1'").fetchall() == [("003N",)]
    kept = con.execute(
        "SELECT field, value FROM base_values WHERE hubspot_id = '1' ORDER BY field"
    ).fetchall()
    # lifecyclestage is now a first link (filled from HubSpot); company does not apply to a Contact
    assert kept == [("company", "Acme"), ("email", "ada@example.org"), ("phone", "555")]
