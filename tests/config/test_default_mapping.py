"""The shipped crmsync.yaml loads and is the setup HubSpot's connector guide recommends."""

from __future__ import annotations

from crmsync_pipeline.config import Direction, Side, TransformKind
from crmsync_pipeline.sandbox.hubspot.default_properties import task_properties
from crmsync_pipeline.sandbox.seed import vocabulary

SALESFORCE_INDUSTRIES = [
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Other",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
]


def directions(mapping, pair):
    return {f.name: (f.salesforce, f.direction) for f in mapping.pair(pair).fields}


def test_pairs_sync_in_dependency_order(default_mapping):
    assert default_mapping.sync_order() == ["companies", "contacts", "deals", "tasks"]
    assert default_mapping.active_pairs() == ["companies", "contacts", "deals", "tasks"]
    assert default_mapping.pair("contacts").salesforce == ["Contact", "Lead"]


def test_field_directions_follow_the_connector_guide(default_mapping):
    companies = directions(default_mapping, "companies")
    assert companies["domain"] == ("Website", Direction.TWO_WAY)
    assert companies["industry"] == ("Industry", Direction.PREFER_SALESFORCE)
    assert companies["annualrevenue"] == ("AnnualRevenue", Direction.PREFER_SALESFORCE)
    contacts = directions(default_mapping, "contacts")
    assert contacts["email"] == ("Email", Direction.TWO_WAY)
    assert contacts["jobtitle"] == ("Title", Direction.PREFER_SALESFORCE)
    assert contacts["hubspot_owner_id"] == ("OwnerId", Direction.PREFER_SALESFORCE)
    assert contacts["lifecyclestage"] == ("HubSpot_Lifecycle_Stage__c", Direction.PREFER_HUBSPOT)
    assert contacts["hs_lead_status"] == ("Status", Direction.PREFER_HUBSPOT)
    assert directions(default_mapping, "deals")["closedate"] == ("CloseDate", Direction.TWO_WAY)
    assert directions(default_mapping, "tasks")["hs_task_body"] == ("Description", Direction.TWO_WAY)


def test_lead_only_fields_and_the_lead_company_default(default_mapping):
    contacts = default_mapping.pair("contacts")
    lead_only = {f.name for f in contacts.fields if not f.applies_to("Contact")}
    assert lead_only == {"hs_lead_status", "company"}
    company = contacts.field("company")
    assert company.default.for_side(Side.SALESFORCE) == "[not provided]"
    assert {f.name for f in contacts.fields_for("Lead")} >= {"email", "company", "hs_lead_status"}


def test_new_people_become_contacts_only_when_their_company_is_linked(default_mapping):
    contacts = default_mapping.pair("contacts")
    assert contacts.salesforce_object_to_create(company_linked=True) == "Contact"
    assert contacts.salesforce_object_to_create(company_linked=False) == "Lead"
    assert default_mapping.pair("deals").salesforce_object_to_create() == "Opportunity"


def test_cross_reference_thresholds_and_deletes_default(default_mapping):
    for pair in default_mapping.objects.values():
        assert pair.xref.hubspot_property == "crmsync_salesforce_id"
        assert pair.xref.salesforce_field == "CrmSync_HubSpot_Id__c"
        assert pair.thresholds.max_update_share == 0.2
        assert pair.deletes.deleted_in_hubspot.value == "report"
        assert pair.deletes.deleted_in_salesforce.value == "report"
    assert default_mapping.pair("companies").thresholds.needs_approval(linked=1000, updates=201, deletes=0)
    assert not default_mapping.pair("companies").thresholds.needs_approval(
        linked=1000, updates=200, deletes=0
    )
    # a handful of changes on a tiny org never waits for approval
    assert not default_mapping.pair("companies").thresholds.needs_approval(linked=5, updates=5, deletes=0)


def test_associations_carry_the_salesforce_lookups(default_mapping):
    carried = {
        (name, a.to): a.salesforce_field or a.junction.object
        for name, pair in default_mapping.objects.items()
        for a in pair.associations
    }
    assert carried == {
        ("contacts", "companies"): "AccountId",
        ("deals", "companies"): "AccountId",
        ("deals", "contacts"): "OpportunityContactRole",
        ("tasks", "contacts"): "WhoId",
        ("tasks", "deals"): "WhatId",
    }


def test_stage_map_is_complete_both_ways_for_the_default_pipeline(default_mapping):
    stages = default_mapping.pair("deals").deal_stages.for_pipeline("default")
    assert stages.missing(Side.HUBSPOT, vocabulary.HUBSPOT_DEAL_STAGES) == []
    assert stages.missing(Side.SALESFORCE, vocabulary.SALESFORCE_STAGES) == []
    for stage in vocabulary.SALESFORCE_STAGES:  # every stage a HubSpot stage can round-trip
        hubspot = stages.from_canonical(Side.HUBSPOT, stages.to_canonical(Side.SALESFORCE, stage))
        assert hubspot in vocabulary.HUBSPOT_DEAL_STAGES


def test_every_salesforce_industry_but_other_maps_to_hubspot(default_mapping):
    industry = default_mapping.value_maps["industry"]
    assert industry.missing(Side.SALESFORCE, SALESFORCE_INDUSTRIES) == ["Other"]
    for value in SALESFORCE_INDUSTRIES:
        if value != "Other":
            assert industry.to_canonical(Side.SALESFORCE, value) == value


def test_task_picklists_cover_both_crms(default_mapping):
    options = {p["name"]: [o["value"] for o in p.get("options", [])] for p in task_properties()}
    status = default_mapping.value_maps["task_status"]
    priority = default_mapping.value_maps["task_priority"]
    assert status.missing(Side.HUBSPOT, options["hs_task_status"]) == []
    assert status.missing(Side.SALESFORCE, vocabulary.SALESFORCE_TASK_STATUSES) == []
    assert priority.missing(Side.HUBSPOT, options["hs_task_priority"]) == []
    assert priority.missing(Side.SALESFORCE, vocabulary.SALESFORCE_TASK_PRIORITIES) == []


def test_each_field_has_the_transform_its_values_need(default_mapping):
    kinds = {
        (pair, f.name): f.transform.kind for pair, p in default_mapping.objects.items() for f in p.fields
    }
    assert kinds[("companies", "domain")] is TransformKind.DOMAIN
    assert kinds[("contacts", "email")] is TransformKind.EMAIL
    assert kinds[("deals", "dealstage")] is TransformKind.STAGE
    assert kinds[("deals", "closedate")] is TransformKind.DATE
    assert kinds[("tasks", "hs_timestamp")] is TransformKind.DATE
    assert all(kind is TransformKind.OWNER for (_, name), kind in kinds.items() if name == "hubspot_owner_id")


def test_the_lead_company_placeholder_is_known(default_mapping) -> None:
    """The Account a lead conversion names after Lead.Company is recognised by this value
    (match/placeholder_names.py); without a default on Lead.Company there is none."""
    assert default_mapping.lead_company_placeholders() == frozenset({"[not provided]"})
    contacts = default_mapping.pair("contacts")
    company = contacts.field("company")
    saved = company.default
    company.default = type(saved)()
    try:
        assert default_mapping.lead_company_placeholders() == frozenset()
    finally:
        company.default = saved
