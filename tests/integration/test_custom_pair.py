"""A custom object pair declared only in the mapping file (HubSpot custom object <-> Salesforce custom
object) syncs both ways through the same pipeline as the standard pairs."""

from __future__ import annotations

import dagster as dg
import pytest
import requests

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.setup.crm_fields import setup_fields

TOKEN = {"Authorization": "Bearer sandbox-token"}
MAPPING = """
version: 1
objects:
  vehicles:
    hubspot: vehicles
    salesforce: Vehicle__c
    fields:
      - {hubspot: vin, salesforce: VIN__c, direction: two_way}
      # Salesforce requires Name on a custom object's records
      - {name: vin_as_name, hubspot: vin, salesforce: Name, direction: create_only}
      - {hubspot: model_year, salesforce: Model_Year__c, direction: prefer_salesforce, transform: number}
    match:
      - {name: vin, hubspot: vin, salesforce: VIN__c, normalize: text}
"""


@pytest.fixture
def custom_crms(tmp_path, monkeypatch):
    hubspot, salesforce = (
        EmulatorThread(HubSpotEmulator(None)).start(),
        EmulatorThread(SalesforceEmulator(None)).start(),
    )
    requests.post(
        f"{hubspot.url}/crm/v3/schemas",
        headers=TOKEN,
        timeout=10,
        json={
            "name": "vehicles",
            "labels": {"singular": "Vehicle", "plural": "Vehicles"},
            "primaryDisplayProperty": "vin",
            "requiredProperties": ["vin"],
            "properties": [
                {"name": "vin", "label": "VIN", "type": "string", "fieldType": "text"},
                {"name": "model_year", "label": "Model year", "type": "number", "fieldType": "number"},
            ],
        },
    ).raise_for_status()
    tooling = f"{salesforce.url}/services/data/v59.0/tooling/sobjects"
    requests.post(
        f"{tooling}/CustomObject",
        headers=TOKEN,
        timeout=10,
        json={"FullName": "Vehicle__c", "Metadata": {"label": "Vehicle", "pluralLabel": "Vehicles"}},
    ).raise_for_status()
    for name, meta in (
        ("VIN__c", {"type": "Text", "length": 17, "label": "VIN"}),
        ("Model_Year__c", {"type": "Number", "precision": 4, "scale": 0, "label": "Model year"}),
    ):
        requests.post(
            f"{tooling}/CustomField",
            headers=TOKEN,
            timeout=10,
            json={"FullName": f"Vehicle__c.{name}", "Metadata": meta},
        ).raise_for_status()
    (tmp_path / "crmsync.yaml").write_text(MAPPING)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "state.duckdb"))
    monkeypatch.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", hubspot.url)
    monkeypatch.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", salesforce.url)
    settings = ConnectionSettings.from_env()
    report = setup_fields(
        load_mapping(tmp_path / "crmsync.yaml"),
        HubSpotConnector(settings.hubspot, CallMeter()),
        SalesforceConnector(settings.salesforce, CallMeter()),
    )
    assert report.complete, report.for_an_admin
    yield hubspot, salesforce
    hubspot.stop()
    salesforce.stop()


def test_custom_pair_matches_creates_both_ways_and_then_rests(custom_crms):
    hubspot, salesforce = custom_crms
    records = f"{hubspot.url}/crm/v3/objects/vehicles"
    sobjects = f"{salesforce.url}/services/data/v59.0/sobjects/Vehicle__c/"
    for vin, year in (("HS-ONLY-1", "2019"), ("SHARED-3", "2020")):
        requests.post(
            records, headers=TOKEN, timeout=10, json={"properties": {"vin": vin, "model_year": year}}
        )
    for vin, year in (("SF-ONLY-2", 2021), ("SHARED-3", 2022)):
        requests.post(
            sobjects, headers=TOKEN, timeout=10, json={"Name": vin, "VIN__c": vin, "Model_Year__c": year}
        )

    job = build_definitions().resolve_job_def(SYNC_JOB)
    first = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert first.success
    hubspot_vins = {
        r["properties"]["vin"]: r["properties"]["model_year"]
        for r in requests.get(
            f"{records}?properties=vin,model_year&limit=100", headers=TOKEN, timeout=10
        ).json()["results"]
    }
    query = requests.get(
        f"{salesforce.url}/services/data/v59.0/query/",
        headers=TOKEN,
        timeout=10,
        params={"q": "SELECT VIN__c, Model_Year__c FROM Vehicle__c"},
    ).json()["records"]
    salesforce_vins = {r["VIN__c"]: r["Model_Year__c"] for r in query}
    assert set(hubspot_vins) == set(salesforce_vins) == {"HS-ONLY-1", "SF-ONLY-2", "SHARED-3"}
    assert (
        hubspot_vins["SHARED-3"] == "2022" and salesforce_vins["SHARED-3"] == 2022
    )  # prefer_salesforce at link

    before = requests.get(f"{hubspot.url}/_sandbox/stats", timeout=10).json()["by_route"]
    second = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    after = requests.get(f"{hubspot.url}/_sandbox/stats", timeout=10).json()["by_route"]
    assert second.success
    assert not any(
        "batch/upsert" in route or "batch/update" in route
        for route in after
        if after[route] != before.get(route, 0)
    )
