"""Request hooks (`/_sandbox/faults/hooks`): the chaos soak's fixed points. A kill lands after the CRM
committed the write and before its answer leaves; queued edits land before the matching request runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture
def hubspot():
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    yield thread.url
    thread.stop()


def _create(url: str, name: str) -> str:
    body = {"properties": {"firstname": name}}
    return requests.post(f"{url}/crm/v3/objects/contacts", json=body, headers=TOKEN, timeout=10).json()["id"]


def test_a_kill_hook_fires_on_the_nth_matching_write_after_it_is_committed(hubspot):
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    rule = {"on": {"method": "POST", "contains": "/crm/v3/objects/contacts", "nth": 2},
            "then": {"kill_pid": victim.pid, "signal": 9}}  # fmt: skip
    requests.post(f"{hubspot}/_sandbox/faults/hooks", json=rule, timeout=10).raise_for_status()
    _create(hubspot, "first")
    assert victim.poll() is None
    second = _create(hubspot, "second")
    assert victim.wait(timeout=10) == -9
    raw = requests.get(f"{hubspot}/_sandbox/hubspot/objects/contacts/{second}", timeout=10).json()
    assert raw["p"]["firstname"] == "second"  # the write the killed client never heard of is there
    [listed] = requests.get(f"{hubspot}/_sandbox/faults/hooks", timeout=10).json()
    assert listed["fired"] and listed["seen"] == 2


def test_queued_edits_land_before_the_matching_request_is_answered(hubspot):
    record = _create(hubspot, "before")
    edit = {"url": f"{hubspot}/_sandbox/hubspot/objects/contacts/{record}/edit",
            "json": {"properties": {"firstname": "edited meanwhile"}}}  # fmt: skip
    rule = {"on": {"method": "POST", "contains": "/batch/read"}, "then": {"apply_edits": [edit]}}
    requests.post(f"{hubspot}/_sandbox/faults/hooks", json=rule, timeout=10).raise_for_status()
    read = requests.post(
        f"{hubspot}/crm/v3/objects/contacts/batch/read",
        json={"inputs": [{"id": record}], "properties": ["firstname"]},
        headers=TOKEN,
        timeout=10,
    ).json()
    assert read["results"][0]["properties"]["firstname"] == "edited meanwhile"
    requests.delete(f"{hubspot}/_sandbox/faults/hooks", timeout=10)
    assert requests.get(f"{hubspot}/_sandbox/faults/hooks", timeout=10).json() == []


def test_injected_faults_are_counted_by_kind(hubspot):
    requests.post(f"{hubspot}/_sandbox/faults", json={"burst_429": 2}, timeout=10).raise_for_status()
    statuses = [requests.get(f"{hubspot}/crm/v3/objects/contacts", headers=TOKEN, timeout=10).status_code
                for _ in range(3)]  # fmt: skip
    assert statuses == [429, 429, 200]
    assert requests.get(f"{hubspot}/_sandbox/faults/injected", timeout=10).json() == {"burst_429": 2}
