"""Seeded sandbox CRMs over HTTP for the extract tests, and connectors the way a sync run builds them
(describes cached in the state file, so a cycle with nothing to do spends no call on them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.extract.schemas import cached_schema
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions
from crmsync_pipeline.sandbox.server import EmulatorThread


class ExtractSandboxes:
    """Both sandbox CRMs, seeded alike, plus what a test does to them from outside the API."""

    def __init__(self, people: int, seed: int):
        self.hubspot = EmulatorThread(HubSpotEmulator(None)).start()
        self.salesforce = EmulatorThread(SalesforceEmulator(None)).start()
        for thread in (self.hubspot, self.salesforce):
            thread.call(lambda t=thread: t.emulator.reset(SeedOptions(records=people, seed=seed)))
        self.hubspot.call(
            lambda: self.hubspot.emulator.update_settings(
                {"search_lag_seconds": 0, "rate_limits_enabled": False}
            )
        )
        self.salesforce.call(
            lambda: self.salesforce.emulator.update_settings({"bulk_processing_delay_s": 0.05})
        )
        self.settings = ConnectionSettings.from_env(
            {
                "CRMSYNC_SANDBOX_HUBSPOT_URL": self.hubspot.url,
                "CRMSYNC_SANDBOX_SALESFORCE_URL": self.salesforce.url,
            }
        )

    def connectors(self, state_path: Path, meter: CallMeter) -> tuple[HubSpotConnector, SalesforceConnector]:
        def describes(sobject: str, fetch: Any) -> Any:
            return cached_schema(state_path, "salesforce", sobject, fetch)

        return (
            HubSpotConnector(self.settings.hubspot, meter),
            SalesforceConnector(self.settings.salesforce, meter, describe_cache=describes, bulk_poll_s=0.1),
        )

    def api_calls(self) -> dict[str, int]:
        return {
            name: requests.get(f"{t.url}/_sandbox/stats", timeout=10).json()["api_calls"]
            for name, t in (("hubspot", self.hubspot), ("salesforce", self.salesforce))
        }

    def post(self, crm: str, path: str, body: dict[str, Any]) -> Any:
        thread = self.hubspot if crm == "hubspot" else self.salesforce
        answer = requests.post(f"{thread.url}/_sandbox/{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        self.hubspot.stop()
        self.salesforce.stop()


@pytest.fixture(scope="module")
def extract_sandboxes():
    boxes = ExtractSandboxes(people=300, seed=21)
    yield boxes
    boxes.stop()


@pytest.fixture(scope="module")
def extract_state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("extract") / "crmsync.duckdb"
