"""Values a CRM fills on create (a picklist default, a before-save flow, a workflow) are settled in the
run that created the record: the next sync, with nobody editing anything, modifies no record on either
CRM. The oracles are the CRMs' own modification stamps and the sandboxes' call counters, not only
crmsync's tables (docs/design.md, "Values a CRM fills on create")."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_value

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

PLACEHOLDER = "[not provided]"
TOKEN = {"Authorization": "Bearer sandbox-token"}
SF_API = "/services/data/v59.0"
# calls that only read: everything else the sync sends counts as a write
READ_ROUTES = ("/search", "/batch/read", "/query", "/oauth2/", "/describe", "/limits", "/sobjects")
HUBSPOT_OBJECTS = ("contacts", "companies", "deals", "tasks")
SALESFORCE_OBJECTS = ("Lead", "Contact", "Account", "Opportunity", "Task", "OpportunityContactRole")


def _hubspot_stamps(sandbox) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Every live HubSpot record's updatedAt and hs_lastmodifieddate, through the public list API."""
    stamps = {}
    for object_type in HUBSPOT_OBJECTS:
        after = None
        while True:
            params = {"limit": 100, "properties": "hs_lastmodifieddate"}
            if after:
                params["after"] = after
            page = requests.get(
                f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}",
                headers=TOKEN,
                params=params,
                timeout=30,
            ).json()
            for r in page["results"]:
                stamps[(object_type, r["id"])] = (r["updatedAt"], r["properties"].get("hs_lastmodifieddate"))
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                break
    return stamps


def _salesforce_stamps(sandbox) -> dict[tuple[str, str], tuple[str, str]]:
    """Every Salesforce record's SystemModstamp and LastModifiedDate, through SOQL."""
    stamps = {}
    for sobject in SALESFORCE_OBJECTS:
        url = f"{sandbox.salesforce.url}{SF_API}/queryAll/"
        body = requests.get(
            url,
            headers=TOKEN,
            params={"q": f"SELECT Id, SystemModstamp, LastModifiedDate FROM {sobject}"},
            timeout=30,
        ).json()
        while True:
            for r in body["records"]:
                stamps[(sobject, r["Id"])] = (r["SystemModstamp"], r["LastModifiedDate"])
            if body.get("done", True):
                break
            body = requests.get(
                f"{sandbox.salesforce.url}{body['nextRecordsUrl']}", headers=TOKEN, timeout=30
            ).json()
    return stamps


def _stats(sandbox) -> dict[str, dict]:
    return {
        side: requests.get(f"{getattr(sandbox, side).url}/_sandbox/stats", timeout=10).json()
        for side in ("hubspot", "salesforce")
    }


def _write_calls(before: dict[str, dict], after: dict[str, dict]) -> dict[str, int]:
    """Calls made between two stats readings to routes that are not reads, per 'side METHOD route'."""
    out = {}
    for side in ("hubspot", "salesforce"):
        for route, n in after[side]["by_route"].items():
            method, _, path = route.partition(" ")
            made = n - before[side]["by_route"].get(route, 0)
            if made and method != "GET" and not any(r in path for r in READ_ROUTES):
                out[f"{side} {route}"] = made
    return out


def _quiet_second_sync(sandbox, sync, query) -> None:
    """A sync with nobody editing anything: no record's stamp moves, no write call, no plan row."""
    stamps = (_hubspot_stamps(sandbox), _salesforce_stamps(sandbox))
    stats = _stats(sandbox)
    second = sync()
    assert second.success
    after = _stats(sandbox)
    assert _write_calls(stats, after) == {}
    for side in ("hubspot", "salesforce"):
        assert after[side]["records_written"] == stats[side]["records_written"], side
    moved_hubspot = {k: v for k, v in _hubspot_stamps(sandbox).items() if stamps[0].get(k) != v}
    moved_salesforce = {k: v for k, v in _salesforce_stamps(sandbox).items() if stamps[1].get(k) != v}
    assert moved_hubspot == {} and moved_salesforce == {}
    planned = query("SELECT target, record_ref, field, reason FROM plan_rows WHERE run_id = ?", second.run_id)
    assert planned == []


def _automation(sandbox, side: str, rules: list[dict] | None) -> None:
    url = f"{getattr(sandbox, side).url}/_sandbox/automation"
    if rules is None:
        requests.delete(url, timeout=10).raise_for_status()
    else:
        requests.post(url, json=rules, timeout=10).raise_for_status()


def _hubspot_contact(sandbox, **properties: str) -> str:
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        json={"properties": properties},
        timeout=10,
    )
    created.raise_for_status()
    return created.json()["id"]


def _link_of_hubspot(query, contact: str) -> tuple[str, str]:
    [(sobject, salesforce_id)] = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        contact,
    )
    return sobject, salesforce_id


def test_a_hubspot_lead_settles_in_the_run_that_creates_it(sandbox, sync, query):
    """The issue's scenario: a HubSpot contact with no company and no lead status becomes a Lead;
    Salesforce fills Status with its picklist default, and crmsync carries that into HubSpot's
    hs_lead_status in the same run (prefer_hubspot lets Salesforce's value flow back while HubSpot is
    empty), so the second sync finds nothing to do and the placeholder never reaches HubSpot."""
    contact = _hubspot_contact(
        sandbox,
        email="sasha.settle@example.org",
        firstname="Sasha",
        lastname="Settle",
        lifecyclestage="salesqualifiedlead",
    )
    first = sync()
    assert first.success
    sobject, lead = _link_of_hubspot(query, contact)
    assert sobject == "Lead"
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER
    assert salesforce_value(sandbox, "Lead", lead, "Status") == "Open - Not Contacted"  # Salesforce's default
    # settled in the first run: the filled status crossed to HubSpot, recorded like any write
    assert hubspot_value(sandbox, "contacts", contact, "hs_lead_status") == "NEW"
    [(reason, outcome)] = query(
        """SELECT p.reason, a.outcome FROM plan_rows p
           JOIN audit_log a ON a.run_id = p.run_id AND a.target = p.target AND a.source_id = p.record_ref
            AND a.field = p.target_field
           WHERE p.run_id = ? AND p.target = 'hubspot' AND p.record_ref = ? AND p.field = 'hs_lead_status'""",
        first.run_id,
        contact,
    )
    assert (reason, outcome) == ("prefer_hubspot:filled_on_create", "confirmed")

    _quiet_second_sync(sandbox, sync, query)
    assert hubspot_value(sandbox, "contacts", contact, "company") in (None, "")
    assert hubspot_value(sandbox, "contacts", contact, "hs_lead_status") == "NEW"
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER


def test_a_before_save_flow_on_a_created_lead_settles_in_the_same_run(sandbox, sync, query):
    """A Salesforce before-save rule rewrites the phone crmsync sent in the Lead's create; the formatted
    phone is Salesforce's value of a prefer_salesforce field and crosses to HubSpot in the same run."""
    _automation(
        sandbox,
        "salesforce",
        [
            {
                "name": "lead_phone_format",
                "object": "Lead",
                "on": "create",
                "action": "format_phone",
                "field": "Phone",
                "run_as": "integration_user",
            }
        ],
    )
    try:
        contact = _hubspot_contact(
            sandbox,
            email="robin.flow@example.org",
            firstname="Robin",
            lastname="Flow",
            lifecyclestage="marketingqualifiedlead",
            phone="555.867.5309",
            company="Flow Works",
        )
        assert sync().success
        _, lead = _link_of_hubspot(query, contact)
        assert salesforce_value(sandbox, "Lead", lead, "Phone") == "(555) 867-5309"
        # the flow only reformatted the number: the phone transform compares digits, so the pair is in sync
        # and HubSpot keeps the phone as the person typed it (nothing to carry back, in this run or the next)
        assert hubspot_value(sandbox, "contacts", contact, "phone") == "555.867.5309"
        _quiet_second_sync(sandbox, sync, query)
        assert hubspot_value(sandbox, "contacts", contact, "company") == "Flow Works"
    finally:
        _automation(sandbox, "salesforce", None)


def _salesforce_lead(sandbox, **fields: str) -> str:
    created = requests.post(
        f"{sandbox.salesforce.url}{SF_API}/sobjects/Lead", headers=TOKEN, json=fields, timeout=10
    )
    created.raise_for_status()
    return created.json()["id"]


def test_a_salesforce_lead_created_in_hubspot_settles_what_a_workflow_sets(sandbox, sync, query):
    """The other direction: Salesforce Leads become HubSpot contacts, and a HubSpot workflow sets the
    mapped lead_source on create. lead_source is prefer_hubspot, so HubSpot's value crosses to the Lead's
    LeadSource in the same run, for the contact HubSpot's inclusion rule admits (its lifecycle stage came
    from the Lead); the contact the rule leaves out (no stage) sends nothing, as it would not next cycle."""
    _automation(
        sandbox,
        "hubspot",
        [
            {
                "name": "source_on_create",
                "object": "contacts",
                "on": "create",
                "action": "set",
                "field": "lead_source",
                "value": "Partner Referral",
            }
        ],
    )
    try:
        lead = _salesforce_lead(
            sandbox,
            FirstName="Morgan",
            LastName="Workflow",
            Email="morgan.workflow@example.org",
            Company="Workflow Partners",
            HubSpot_Lifecycle_Stage__c="salesqualifiedlead",
        )
        outside = _salesforce_lead(
            sandbox,
            FirstName="Avery",
            LastName="Outside",
            Email="avery.outside@example.org",
            Company="Outside Co",
        )
        first = sync()
        assert first.success
        [(contact,)] = query(
            "SELECT hubspot_id FROM links WHERE pair = 'contacts' AND salesforce_id = ?", lead
        )
        assert hubspot_value(sandbox, "contacts", contact, "lead_source") == "Partner Referral"
        assert salesforce_value(sandbox, "Lead", lead, "LeadSource") == "Partner Referral"
        [(reason,)] = query(
            "SELECT reason FROM plan_rows WHERE run_id = ? AND target = 'salesforce' AND record_ref = ?"
            " AND field = 'lead_source'",
            first.run_id,
            lead,
        )
        assert reason == "prefer_hubspot:filled_on_create"
        assert hubspot_value(sandbox, "contacts", contact, "hs_lead_status") == "NEW"

        [(outside_contact,)] = query(
            "SELECT hubspot_id FROM links WHERE pair = 'contacts' AND salesforce_id = ?", outside
        )
        assert hubspot_value(sandbox, "contacts", outside_contact, "lead_source") == "Partner Referral"
        assert salesforce_value(sandbox, "Lead", outside, "LeadSource") is None
        _quiet_second_sync(sandbox, sync, query)
        assert salesforce_value(sandbox, "Lead", outside, "LeadSource") is None
    finally:
        _automation(sandbox, "hubspot", None)


def test_a_fill_the_direction_keeps_from_the_source_is_accepted_not_echoed(sandbox, sync, query):
    """lifecyclestage is prefer_hubspot and HubSpot holds a value: a before-save flow that upper-cases
    the Lead's copy on create does not overwrite HubSpot's stage (which would win at a first link, and
    which HubSpot would refuse in capitals). The Lead keeps its form, crmsync accepts it as the Lead's
    side of base, and the second sync writes nothing. A real change in HubSpot then still crosses."""
    _automation(
        sandbox,
        "salesforce",
        [
            {
                "name": "stage_upper",
                "object": "Lead",
                "on": "create",
                "action": "upper_case",
                "field": "HubSpot_Lifecycle_Stage__c",
                "run_as": "integration_user",
            }
        ],
    )
    try:
        contact = _hubspot_contact(
            sandbox,
            email="quinn.accept@example.org",
            firstname="Quinn",
            lastname="Accept",
            lifecyclestage="opportunity",
            company="Accept Holdings",
        )
        first = sync()
        assert first.success
        _, lead = _link_of_hubspot(query, contact)
        assert salesforce_value(sandbox, "Lead", lead, "HubSpot_Lifecycle_Stage__c") == "OPPORTUNITY"
        assert hubspot_value(sandbox, "contacts", contact, "lifecyclestage") == "opportunity"
        assert query(
            "SELECT side, value, base_value, reason FROM accepted_values WHERE hubspot_id = ?", contact
        ) == [("salesforce", "OPPORTUNITY", "opportunity", "prefer_hubspot:filled_on_create")]
        _quiet_second_sync(sandbox, sync, query)
        assert hubspot_value(sandbox, "contacts", contact, "lifecyclestage") == "opportunity"

        hubspot_edit(sandbox, "contacts", contact, lifecyclestage="customer")
        assert sync().success
        assert salesforce_value(sandbox, "Lead", lead, "HubSpot_Lifecycle_Stage__c") == "customer"
        _quiet_second_sync(sandbox, sync, query)
    finally:
        _automation(sandbox, "salesforce", None)
