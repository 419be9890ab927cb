"""Both sandbox CRMs served over real HTTP in this process; connectors built from settings exactly as a
user's environment would give them."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions
from crmsync_pipeline.sandbox.server import EmulatorThread


class SandboxAdmin:
    """What a test does to a sandbox CRM from outside the API: settings, stats, faults, UI actions."""

    @staticmethod
    def settings(hubspot_url: str, salesforce_url: str) -> ConnectionSettings:
        return ConnectionSettings.from_env(
            {"CRMSYNC_SANDBOX_HUBSPOT_URL": hubspot_url, "CRMSYNC_SANDBOX_SALESFORCE_URL": salesforce_url}
        )

    @staticmethod
    def api_calls(thread: EmulatorThread) -> int:
        return requests.get(f"{thread.url}/_sandbox/stats", timeout=10).json()["api_calls"]

    @staticmethod
    def post(thread: EmulatorThread, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = requests.post(f"{thread.url}/_sandbox/{path}", json=body or {}, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    @classmethod
    def set_faults(cls, thread: EmulatorThread, **faults: Any) -> None:
        cls.post(thread, "faults", faults)


@pytest.fixture(scope="session")
def admin() -> type[SandboxAdmin]:
    return SandboxAdmin


@pytest.fixture(scope="module")
def hubspot_sandbox():
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    thread.call(lambda: thread.emulator.reset(SeedOptions(records=250, seed=3)))
    thread.call(
        lambda: thread.emulator.update_settings({"search_lag_seconds": 0, "rate_limits_enabled": False})
    )
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def salesforce_sandbox():
    thread = EmulatorThread(SalesforceEmulator(None)).start()
    thread.call(lambda: thread.emulator.reset(SeedOptions(records=250, seed=3)))
    thread.call(lambda: thread.emulator.update_settings({"bulk_processing_delay_s": 0.05}))
    yield thread
    thread.stop()


@pytest.fixture
def meter() -> CallMeter:
    return CallMeter()


@pytest.fixture
def hubspot(hubspot_sandbox, meter) -> HubSpotConnector:
    settings = SandboxAdmin.settings(hubspot_sandbox.url, "http://127.0.0.1:1")
    return HubSpotConnector(settings.hubspot, meter, base_delay_s=0.01)


@pytest.fixture
def salesforce(salesforce_sandbox, meter) -> SalesforceConnector:
    settings = SandboxAdmin.settings("http://127.0.0.1:1", salesforce_sandbox.url)
    return SalesforceConnector(settings.salesforce, meter, bulk_poll_s=0.1, base_delay_s=0.01)
