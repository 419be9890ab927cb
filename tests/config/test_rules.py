"""Inclusion rules, matching keys, resolvers, and a custom object pair declared in the file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crmsync_pipeline.config import (
    Condition,
    ResolverInput,
    Side,
    import_resolver,
    normalize,
    normalize_company_name,
    parse_mapping,
)

sys.path.insert(0, str(Path(__file__).parent))  # so the mapping can name sample_resolvers:longer_title


class Facts:
    """The facts a pipeline supplies about records beyond their own fields."""

    def __init__(self, lists=(), associated=(), owners=()):
        self.lists, self.associated, self.owners = set(lists), set(associated), set(owners)

    def in_list(self, list_ref, record):
        return (list_ref, record["id"]) in self.lists

    def associated_with_synced(self, pairs, record):
        return any((p, record["id"]) in self.associated for p in pairs)

    def owner_known(self, record):
        return record.get("hubspot_owner_id") in self.owners


@pytest.mark.parametrize(
    ("record", "synced"),
    [
        ({"lifecyclestage": "customer", "email": "ann@acme.io"}, True),
        ({"lifecyclestage": "salesqualifiedlead", "email": None}, True),
        ({"lifecyclestage": "lead", "email": "ann@acme.io"}, False),
        ({"lifecyclestage": "opportunity", "email": " Bob@TEST.com"}, False),
        ({"lifecyclestage": "customer", "email": "bob@example.com"}, False),
        ({"lifecyclestage": "customer", "email": "bob@example.com.au"}, True),
        ({"email": "ann@acme.io"}, False),
    ],
)
def test_default_contact_rule(default_mapping, record, synced):
    assert default_mapping.pair("contacts").include.hubspot.matches(record) is synced


def test_salesforce_people_come_over_unless_they_are_test_addresses(default_mapping):
    rule = default_mapping.pair("contacts").include.salesforce
    assert rule.matches({"Email": "ann@acme.io"}) and rule.matches({"Email": None})
    assert not rule.matches({"Email": "ann@test.com"})


def test_companies_follow_their_people_and_deals_or_a_known_owner(default_mapping):
    rule = default_mapping.pair("companies").include.hubspot
    facts = Facts(associated={("deals", "c1")}, owners={"101"})
    assert rule.matches({"id": "c1"}, facts)
    assert rule.matches({"id": "c2", "hubspot_owner_id": "101"}, facts)
    assert not rule.matches({"id": "c3", "hubspot_owner_id": "999"}, facts)
    assert rule.fields() == set()
    with pytest.raises(ValueError, match="InclusionContext"):
        rule.matches({"id": "c1"})


def test_list_membership_and_negation():
    rule = Condition.model_validate(
        {
            "all": [
                {"in_list": "Sync to Salesforce"},
                {"not": {"field": "hs_lead_status", "equals": "UNQUALIFIED"}},
            ]
        }
    )
    facts = Facts(lists={("Sync to Salesforce", "1"), ("Sync to Salesforce", "2")})
    assert rule.matches({"id": "1", "hs_lead_status": "NEW"}, facts)
    assert not rule.matches({"id": "2", "hs_lead_status": "unqualified"}, facts)
    assert not rule.matches({"id": "3"}, facts)
    assert rule.fields() == {"hs_lead_status"}


@pytest.mark.parametrize("name", ["Acme", "ACME Corp.", "Acme Corporation", "Acme, Inc.", "The Acme Company"])
def test_company_names_written_different_ways_match(name):
    assert normalize_company_name(name) == "acme"


def test_normalizers():
    assert normalize("email", " Ann@Acme.IO ") == "ann@acme.io"
    assert normalize("domain", "https://www.acme.io/x") == "acme.io"
    assert normalize("name", "  José  O'Neil ") == "jose o neil"
    assert normalize("phone", "+1 (555) 010-2000") == "15550102000"
    assert normalize_company_name("Corp") == "corp"  # a name that is only a suffix keeps it


def test_contacts_match_by_email_then_by_name_and_company(default_mapping):
    email, fallback = default_mapping.pair("contacts").match
    assert email.hubspot_value({"email": " Ann@Acme.io"}) == email.salesforce_value(
        "Lead", {"Email": "ann@acme.io"}
    )
    hubspot = {"firstname": "Ann", "lastname": "Lee", "company": "Acme Inc", "email": None}
    contact = {"FirstName": "ann", "LastName": "LEE", "Account": {"Name": "ACME Corporation"}}
    lead = {"FirstName": "Ann", "LastName": "Lee", "Company": "Acme"}
    assert fallback.hubspot_value(hubspot) == fallback.salesforce_value("Contact", contact)
    assert fallback.hubspot_value(hubspot) == fallback.salesforce_value("Lead", lead)
    assert fallback.only_when_missing == ["email"]
    assert fallback.hubspot_value({**hubspot, "company": ""}) is None  # an incomplete key never matches


def test_companies_match_by_domain_from_a_website(default_mapping):
    domain, name = default_mapping.pair("companies").match
    assert domain.hubspot_value({"domain": "acme.io"}) == domain.salesforce_value(
        "Account", {"Website": "https://www.acme.io/"}
    )
    assert name.hubspot_value({"name": "Acme"}) == name.salesforce_value("Account", {"Name": "Acme LLC"})


CUSTOM = """
version: 1
cross_reference: {hubspot_property: sf_id, salesforce_field: HS_Id__c}
value_maps:
  fuel: {both_ways: {petrol: Petrol, electric: Electric}, hubspot_to_salesforce: {diesel: Petrol}}
objects:
  companies:
    hubspot: companies
    salesforce: Account
    fields: [{hubspot: name, salesforce: Name, direction: two_way}]
  vehicles:
    hubspot: p_vehicles
    salesforce: Vehicle__c
    depends_on: companies
    paused: false
    approval: {max_update_share: 0.5}
    fields:
      - {hubspot: vin, salesforce: VIN__c, direction: create_only}
      - {hubspot: fuel, salesforce: Fuel__c, direction: always_salesforce, transform: {kind: picklist, value_map: fuel}}
      - {hubspot: registered, salesforce: Registered__c, direction: two_way, transform: bool}
      - {hubspot: title, salesforce: Title__c, resolver: "sample_resolvers:longer_title"}
    match: [{name: vin, hubspot: vin, salesforce: VIN__c}]
    associations: [{to: companies, salesforce_field: Account__c}]
    deletes: {deleted_in_hubspot: propagate, deleted_in_salesforce: restore}
"""


def test_a_custom_object_pair_works_like_the_standard_ones():
    mapping = parse_mapping(CUSTOM)
    vehicles = mapping.pair("vehicles")
    assert mapping.sync_order() == ["companies", "vehicles"]
    assert vehicles.salesforce_object_to_create() == "Vehicle__c"
    assert vehicles.xref.salesforce_field == "HS_Id__c"
    assert vehicles.thresholds.max_update_share == 0.5
    assert vehicles.thresholds.max_delete_share == 0.2
    assert vehicles.deletes.deleted_in_salesforce.value == "restore"
    assert vehicles.field("fuel").transformer.to_canonical(Side.HUBSPOT, "diesel") == "Petrol"
    assert vehicles.field("registered").transformer.from_canonical(Side.HUBSPOT, True) == "true"
    assert vehicles.match[0].salesforce_value("Vehicle__c", {"VIN__c": " 1HGCM82633A004352 "}) == (
        "1hgcm82633a004352",
    )


def test_a_named_resolver_decides_or_holds_a_field_for_review():
    field = parse_mapping(CUSTOM).pair("vehicles").field("title")
    assert field.direction.value == "resolver"
    resolve = import_resolver(field.resolver)

    def ask(hubspot, salesforce):
        return resolve(
            ResolverInput("vehicles", "title", None, hubspot, salesforce, None, None, first_link=False)
        )

    assert ask("Fleet car, blue", "Fleet car").outcome == "hubspot"
    assert ask("Car", "Fleet car").outcome == "salesforce"
    held = ask("Interim loan car", "Car")
    assert held.outcome == "review" and "by hand" in held.reason
