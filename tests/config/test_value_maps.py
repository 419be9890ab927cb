"""Picklist and stage maps: many-to-one values are in sync where they should be, and never flip."""

from __future__ import annotations

import pytest

from crmsync_pipeline.config import Side, TransformContext, UnmappedValueError, ValueMap

HS, SF = Side.HUBSPOT, Side.SALESFORCE


@pytest.fixture
def stages(default_mapping):
    return default_mapping.pair("deals").field("dealstage").transformer


def in_sync(transform, hubspot, salesforce, ctx=TransformContext(pipeline="default")):
    return transform.to_canonical(HS, hubspot, ctx) == transform.to_canonical(SF, salesforce, ctx)


@pytest.mark.parametrize(
    ("hubspot", "salesforce"),
    [
        ("appointmentscheduled", "Discovery"),
        ("appointmentscheduled", "Prospecting"),
        ("qualifiedtobuy", "Needs Analysis"),
        ("presentationscheduled", "Perception Analysis"),
        ("presentationscheduled", "Id. Decision Makers"),
        ("decisionmakerboughtin", "Negotiation/Review"),
        ("contractsent", "Negotiation/Review"),
        ("closedwon", "Closed Won"),
    ],
)
def test_a_hubspot_stage_equivalent_to_the_salesforce_stage_is_in_sync(stages, hubspot, salesforce):
    assert in_sync(stages, hubspot, salesforce)


@pytest.mark.parametrize(
    ("hubspot", "salesforce"),
    [("appointmentscheduled", "Qualification"), ("contractsent", "Closed Won"), ("closedlost", "Closed Won")],
)
def test_different_stages_are_not_in_sync(stages, hubspot, salesforce):
    assert not in_sync(stages, hubspot, salesforce)


def test_a_salesforce_stage_change_is_written_to_hubspot_as_its_mapped_stage(stages):
    ctx = TransformContext(pipeline="default")
    canonical = stages.to_canonical(SF, "Value Proposition", ctx)
    assert stages.from_canonical(HS, canonical, ctx) == "presentationscheduled"
    # writing that back yields the same canonical value: nothing flips on the next run
    assert stages.to_canonical(HS, "presentationscheduled", ctx) == canonical


def test_a_hubspot_stage_change_is_written_to_salesforce_as_its_mapped_stage(stages):
    ctx = TransformContext(pipeline="default")
    canonical = stages.to_canonical(HS, "contractsent", ctx)
    assert stages.from_canonical(SF, canonical, ctx) == "Negotiation/Review"
    assert stages.to_canonical(SF, "Negotiation/Review", ctx) == canonical


def test_salesforce_records_without_a_pipeline_use_the_default_one(stages):
    assert stages.to_canonical(SF, "Prospecting", TransformContext()) == "Discovery"
    with pytest.raises(UnmappedValueError):
        stages.to_canonical(HS, "appointmentscheduled", TransformContext(pipeline="partners"))


def test_equivalent_values_are_listed_for_each_canonical_stage(default_mapping):
    stages = default_mapping.pair("deals").deal_stages.for_pipeline("default")
    assert stages.equivalents(HS, "Negotiation/Review") == {"decisionmakerboughtin", "contractsent"}
    assert stages.equivalents(SF, "Discovery") == {"Discovery", "Prospecting"}


def test_many_hubspot_industries_become_one_salesforce_industry(default_mapping):
    industry = default_mapping.pair("companies").field("industry").transformer
    assert in_sync(industry, "INTERNET", "Technology")
    assert in_sync(industry, "COMPUTER_SOFTWARE", "Technology")
    assert industry.from_canonical(HS, "Technology") == "COMPUTER_SOFTWARE"
    assert industry.from_canonical(SF, industry.to_canonical(HS, "INTERNET")) == "Technology"


def test_an_unmapped_value_is_reported_unless_passed_through(default_mapping):
    industry = default_mapping.value_maps["industry"]
    with pytest.raises(UnmappedValueError):
        industry.to_canonical(SF, "Other")
    loose = ValueMap(both_ways={"A": "a"}, unmapped="pass_through")
    assert loose.to_canonical(SF, "Other") == "Other"
    assert loose.from_canonical(HS, "Other") == "Other"


def test_task_picklists_round_trip_and_none_priority_reads_as_normal(default_mapping):
    status = default_mapping.value_maps["task_status"]
    for hubspot in ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"):
        assert status.from_canonical(HS, status.to_canonical(HS, hubspot)) == hubspot
    assert status.to_canonical(HS, "WAITING") == "Waiting on someone else"
    priority = default_mapping.value_maps["task_priority"]
    assert in_sync(priority, "NONE", "Normal") and in_sync(priority, "MEDIUM", "Normal")
    assert priority.from_canonical(HS, "Normal") == "MEDIUM"


def test_lead_status_many_to_one(default_mapping):
    lead_status = default_mapping.value_maps["lead_status"]
    assert in_sync(lead_status, "CONNECTED", "Working - Contacted")
    assert lead_status.from_canonical(HS, "Working - Contacted") == "IN_PROGRESS"


def test_picklist_values_match_case_insensitively():
    value_map = ValueMap(both_ways={"LOW": "Low"})
    assert value_map.to_canonical(SF, "low") == value_map.to_canonical(HS, "low") == "Low"


def test_a_map_whose_reverse_disagrees_is_refused():
    with pytest.raises(ValueError, match="must map to a HubSpot value that maps back"):
        ValueMap(hubspot_to_salesforce={"A": "x", "B": "y"}, salesforce_to_hubspot={"x": "B", "y": "B"})


def test_a_one_way_entry_is_the_value_listed_for_its_raw_value():
    """`Closed - Converted: OPEN_DEAL`: the class's canonical form is `Working - Contacted` (whose HubSpot
    value is IN_PROGRESS), but the map lists OPEN_DEAL for this Salesforce value itself."""
    vm = ValueMap(
        both_ways={"NEW": "Open - Not Contacted", "IN_PROGRESS": "Working - Contacted"},
        hubspot_to_salesforce={"OPEN_DEAL": "Working - Contacted"},
        salesforce_to_hubspot={"Closed - Converted": "OPEN_DEAL"},
    )
    assert (
        vm.from_canonical(Side.HUBSPOT, vm.to_canonical(Side.SALESFORCE, "Closed - Converted"))
        == "IN_PROGRESS"
    )
    assert vm.listed_for(Side.SALESFORCE, "closed - converted ") == "OPEN_DEAL"
    assert vm.listed_for(Side.SALESFORCE, "Working - Contacted") == "IN_PROGRESS"
    assert vm.listed_for(Side.HUBSPOT, "OPEN_DEAL") == "Working - Contacted"
    assert vm.listed_for(Side.SALESFORCE, "Unknown") is None and vm.listed_for(Side.SALESFORCE, " ") is None
