"""`crmsync check` logic against live sandbox schemas: what would fail a sync is named before it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsync_pipeline.config import parse_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.setup.schema_check import WARNING, schema_problems

SHIPPED = (Path(__file__).parents[2] / "crmsync.yaml").read_text()


@pytest.fixture(scope="module")
def crms():
    hubspot, salesforce = (
        EmulatorThread(HubSpotEmulator(None)).start(),
        EmulatorThread(SalesforceEmulator(None)).start(),
    )
    settings = ConnectionSettings.from_env(
        {"CRMSYNC_SANDBOX_HUBSPOT_URL": hubspot.url, "CRMSYNC_SANDBOX_SALESFORCE_URL": salesforce.url}
    )
    yield (
        HubSpotConnector(settings.hubspot, CallMeter()),
        SalesforceConnector(settings.salesforce, CallMeter()),
    )
    hubspot.stop()
    salesforce.stop()


def findings(crms, text: str) -> list[str]:
    hubspot, salesforce = crms
    return schema_problems(
        parse_mapping(text),
        lambda o: {p["name"]: p for p in hubspot.properties(o)},
        lambda s: {f["name"]: f for f in salesforce.describe(s)["fields"]},
        hubspot.pipelines,
    )


def test_a_field_missing_in_salesforce_is_named_by_its_entry(crms):
    errors = [f for f in findings(crms, SHIPPED) if not f.startswith(WARNING)]
    assert errors and all("HubSpot_Lifecycle_Stage__c" in e for e in errors)  # before `crmsync setup`
    assert errors[0].startswith("objects.contacts.fields[6] (lifecyclestage <-> HubSpot_Lifecycle_Stage__c)")


def test_an_incomplete_stage_map_would_blank_stages_and_is_an_error(crms):
    broken = SHIPPED.replace("            closedlost: Closed Lost\n", "").replace(
        "            Perception Analysis: presentationscheduled\n",
        "            Perception Analysis: presentationscheduled\n            Closed Lost: closedwon\n",
    )
    errors = [f for f in findings(crms, broken) if "deal_stages" in f]
    assert any("HubSpot stages with no Salesforce stage" in e and "closedlost" in e for e in errors)


def test_a_field_unknown_to_hubspot_is_named(crms):
    text = SHIPPED.replace(
        "{hubspot: phone, salesforce: Phone,", "{hubspot: phone_number, salesforce: Phone,"
    )
    assert any(
        f.startswith("objects.contacts.fields[4]") and "no property 'phone_number'" in f
        for f in findings(crms, text)
    )
