"""`crmsync sandbox` as a newcomer runs it: a separate process, seeded, read back through both official
clients with paging, stopped with SIGTERM, restarted on the same data dir with its records kept."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from crmsync_pipeline.connectors.clients import hubspot_client, salesforce_client

CRMSYNC = str(Path(sys.executable).with_name("crmsync"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(data_dir: Path, hubspot_port: int, salesforce_port: int, records: int) -> subprocess.Popen:
    """The sandbox once it serves; how fast it starts is a benchmark (bench/emulator_throughput.py)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            CRMSYNC,
            "sandbox",
            "--hubspot-port",
            str(hubspot_port),
            "--salesforce-port",
            str(salesforce_port),
            "--records",
            str(records),
            "--seed",
            "3",
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    while time.monotonic() - started < 60:
        assert proc.poll() is None, proc.stdout.read()
        try:
            for port in (hubspot_port, salesforce_port):
                requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=1).raise_for_status()
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("sandbox did not serve within 60 s")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def test_serves_5000_records_readable_through_paging_and_keeps_them_across_restart(tmp_path):
    hubspot_port, salesforce_port = _free_port(), _free_port()
    hubspot_url, salesforce_url = f"http://127.0.0.1:{hubspot_port}", f"http://127.0.0.1:{salesforce_port}"
    proc = _start(tmp_path, hubspot_port, salesforce_port, 5000)
    try:
        hubspot = hubspot_client("sandbox-token", hubspot_url)
        contacts = hubspot.crm.contacts.get_all(properties=["email", "jobtitle"])
        assert len(contacts) == 5000 and len({c.id for c in contacts}) == 5000
        sf = salesforce_client(salesforce_url, "sandbox-token")
        sf_contacts = list(sf.query_all_iter("SELECT Id, Email FROM Contact"))
        leads = list(sf.query_all_iter("SELECT Id, Email FROM Lead"))
        people = sf_contacts + leads
        assert len(sf_contacts) > 2000  # read past the first 2,000-record page
        assert 5000 <= len(people) <= 5250 and len({p["Id"] for p in people}) == len(people)
        pages = sum(-(-len(rows) // 2000) for rows in (sf_contacts, leads))
        assert requests.get(f"{salesforce_url}/_sandbox/stats", timeout=5).json()["api_calls"] == pages

        hubspot.crm.contacts.basic_api.update(
            contacts[0].id, {"properties": {"jobtitle": "Kept across restarts"}}
        )
        sf.Lead.update(leads[0]["Id"], {"Title": "Also kept"})
    finally:
        out = _stop(proc)
    assert "serving on http://127.0.0.1" in out

    proc = _start(tmp_path, hubspot_port, salesforce_port, 100)
    try:
        hubspot = hubspot_client("sandbox-token", hubspot_url)
        again = hubspot.crm.contacts.basic_api.get_by_id(contacts[0].id, properties=["jobtitle"])
        assert again.properties["jobtitle"] == "Kept across restarts"
        assert len(hubspot.crm.contacts.get_all()) == 5000
        sf = salesforce_client(salesforce_url, "sandbox-token")
        assert sf.Lead.get(leads[0]["Id"])["Title"] == "Also kept"
    finally:
        out = _stop(proc)
    assert "keeping it (pass --reset to reseed)" in out


def test_bad_setting_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [CRMSYNC, "sandbox", "--set", "nosuchcrm.x=1", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "hubspot.NAME=VALUE" in result.stderr
