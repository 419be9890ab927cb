"""Fixtures: one Salesforce sandbox per module, reset before each test, driven by simple-salesforce."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.salesforce.settings import SalesforceSettings
from crmsync_pipeline.sandbox.server import EmulatorThread


class ToEmulator(requests.adapters.HTTPAdapter):
    """Rewrites the client's forced https:// URLs to the emulator's plain-http address."""

    def __init__(self, base: str, **kw: Any):
        self.base = base
        super().__init__(**kw)

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        parts = urllib.parse.urlsplit(request.url)
        request.url = urllib.parse.urlunsplit(("http", self.base, parts.path, parts.query, parts.fragment))
        return super().send(request, **kw)


def emulator_session(port: int) -> requests.Session:
    session = requests.Session()
    adapter = ToEmulator(f"127.0.0.1:{port}")
    session.mount("https://127.0.0.1", adapter)
    session.mount("https://sandbox.my.salesforce.com", adapter)
    return session


class Sandbox:
    def __init__(self, thread: EmulatorThread):
        self.thread = thread
        self.url = thread.url
        self.port = thread.port

    @property
    def emulator(self) -> SalesforceEmulator:
        return self.thread.emulator  # type: ignore[return-value]

    def admin(self, path: str, body: dict | None = None) -> Any:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def settings(self, **changes: Any) -> None:
        self.admin("settings", changes)

    def client(self, version: str = "59.0") -> Salesforce:
        return Salesforce(instance_url=f"https://127.0.0.1:{self.port}", session_id="sandbox-token",
                          session=emulator_session(self.port), version=version)  # fmt: skip

    def oauth_client(self, **kw: Any) -> Salesforce:
        return Salesforce(consumer_key=kw.get("key", "sandbox-client-id"),
                          consumer_secret=kw.get("secret", "sandbox-client-secret"), domain="sandbox.my",
                          session=emulator_session(self.port))  # fmt: skip


@pytest.fixture(scope="module")
def sandbox_module() -> Iterator[Sandbox]:
    thread = EmulatorThread(SalesforceEmulator(None)).start()
    yield Sandbox(thread)
    thread.stop()


@pytest.fixture
def sandbox(sandbox_module: Sandbox) -> Sandbox:
    sandbox_module.admin("settings", SalesforceSettings(bulk_processing_delay_s=0.05).model_dump(mode="json"))
    sandbox_module.admin("faults", {"record_failure_rate": 0.0})
    sandbox_module.admin("reset")
    sandbox_module.admin("salesforce/sessions/restore")
    return sandbox_module


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    return sandbox.client()


@pytest.fixture
def start_sandbox() -> Iterator[Any]:
    """Start a sandbox over a data directory (for restart tests); each is stopped afterwards."""
    started: list[EmulatorThread] = []

    def start(data_dir: Any) -> Sandbox:
        thread = EmulatorThread(SalesforceEmulator(data_dir)).start()
        started.append(thread)
        return Sandbox(thread)

    yield start
    for thread in started:
        thread.stop()
