"""The peer-tap harness of `python -m bench.peers` without installing or running a tap: configs carry the
sandbox's credentials, catalogs select what crmsync extracts, Singer output is counted, the report's
verdicts compare the right rows, and the redirect shim reaches a local server."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path

from bench.peers import catalogs, edits, summary
from bench.peers.singer_output import read_messages
from crmsync_pipeline.sandbox.hubspot.settings import HubSpotSettings
from crmsync_pipeline.sandbox.salesforce.settings import SalesforceSettings

SHIM = Path(__file__).resolve().parents[2] / "bench" / "peers"


def _hubspot_stream(name: str, key: str, props: list[str]) -> dict:
    return {
        "tap_stream_id": name,
        "stream": name,
        "replication_key": key,
        "metadata": [
            {"breadcrumb": [], "metadata": {"inclusion": "available", "selected": True}},
            *(
                {"breadcrumb": ["properties", p], "metadata": {}}
                for p in ("id", "properties", "updatedAt", key)
            ),
            *({"breadcrumb": ["properties", "properties", "properties", p], "metadata": {}} for p in props),
        ],
    }


def _salesforce_stream(name: str, fields: list[str]) -> dict:
    return {
        "tap_stream_id": name,
        "stream": name,
        "metadata": [
            {"breadcrumb": [], "metadata": {"valid-replication-keys": ["SystemModstamp"]}},
            *({"breadcrumb": ["properties", f], "metadata": {"inclusion": "available"}} for f in fields),
        ],
    }


def test_configs_carry_the_credentials_the_sandbox_accepts() -> None:
    salesforce = SalesforceSettings()
    assert catalogs.hubspot_config()["access_token"] in HubSpotSettings().access_tokens
    config = catalogs.salesforce_config()
    assert (config["client_id"], config["client_secret"], config["refresh_token"]) == (
        salesforce.client_id,
        salesforce.client_secret,
        salesforce.refresh_token,
    )
    assert config["api_type"] == "REST" and config["select_fields_by_default"] is False


def test_hubspot_selection_keeps_only_crmsyncs_objects_and_properties() -> None:
    catalog = {
        "streams": [
            _hubspot_stream("contacts", "lastmodifieddate", ["email", "city", "lastmodifieddate"]),
            _hubspot_stream("tickets", "hs_lastmodifieddate", ["subject"]),
        ]
    }
    selected = catalogs.select_hubspot(catalog, {"contacts": ["email"]})
    assert catalogs.selected_fields(selected) == {
        "contacts": ["email", "id", "lastmodifieddate", "lastmodifieddate", "updatedAt"]
    }
    assert catalog["streams"][1]["metadata"][0]["metadata"]["selected"] is True  # input left alone


def test_salesforce_selection_replicates_on_systemmodstamp_without_parent_fields() -> None:
    catalog = {
        "streams": [
            _salesforce_stream("Contact", ["Id", "Email", "MailingCity", "SystemModstamp", "IsDeleted"]),
            _salesforce_stream("Task", ["Id", "Subject"]),
        ]
    }
    selected = catalogs.select_salesforce(catalog, {"Contact": ["Account.Name", "Email"]})
    assert catalogs.selected_fields(selected) == {"Contact": ["Email", "Id", "IsDeleted", "SystemModstamp"]}
    top = selected["streams"][0]["metadata"][0]["metadata"]
    assert top["replication-key"] == "SystemModstamp" and top["selected"] is True
    assert selected["streams"][1]["metadata"][0]["metadata"]["selected"] is False


def test_singer_output_counts_records_per_stream_and_keeps_the_last_state() -> None:
    lines = [
        b'{"type": "SCHEMA", "stream": "contacts", "schema": {}, "key_properties": ["id"]}',
        b'{"type": "RECORD", "stream": "contacts", "record": {"id": "1"}}',
        b"not a message",
        b'{"type": "STATE", "value": {"bookmarks": {"contacts": 1}}}',
        b'{"type": "RECORD", "stream": "contacts", "record": {"id": "2"}}',
        '{"type": "RECORD", "stream": "deals", "record": {"id": "3"}}',
        b'{"type": "STATE", "value": {"bookmarks": {"contacts": 2}}}',
        b"{broken",
    ]
    out = read_messages(lines)
    assert dict(out.records) == {"contacts": 2, "deals": 1} and out.total == 3
    assert out.state == {"bookmarks": {"contacts": 2}} and out.schemas == {"contacts"}


def test_edits_pick_one_percent_and_at_least_one() -> None:
    import random

    ids = [str(i) for i in range(1_000)]
    picked = edits.sample(ids, 0.01, random.Random(1))
    assert len(picked) == 10 and len(set(picked)) == 10 and set(picked) <= set(ids)
    assert len(edits.sample(ids[:20], 0.01, random.Random(1))) == 1
    assert edits.sample([], 0.01, random.Random(1)) == []


def test_verdicts_compare_crmsync_records_with_each_tap() -> None:
    def row(tool: str, crm: str, mode: str, calls: int, seconds: float) -> dict:
        return {"tool": tool, "crm": crm, "mode": mode, "api_calls": calls, "seconds": seconds,
                "records": 1, "calls_by_status": {"200": calls}}  # fmt: skip

    rows = [
        row(tool, crm, mode, calls, seconds)
        for crm, tap in (("hubspot", "tap-hubspot"), ("salesforce", "tap-salesforce"))
        for mode in ("full", "incremental")
        for tool, calls, seconds in (("crmsync", 5, 1.0), (tap, 6 if crm == "hubspot" else 4, 2.0))
    ]
    rows.append(row("crmsync: associations (taps read none)", "hubspot", "full", 50, 9.0))
    found = {(v["crm"], v["mode"]): v for v in summary.verdicts(rows)}
    assert found["hubspot", "full"]["calls"] == [5, 6] and found["hubspot", "full"]["fewer_or_equal_calls"]
    assert not found["salesforce", "incremental"]["fewer_or_equal_calls"]
    assert all(v["as_fast_or_faster"] for v in found.values())
    results = {"people_per_side": 10, "edited_for_incremental": {"hubspot": 1, "salesforce": 1},
               "rows": rows, "verdicts": summary.verdicts(rows)}  # fmt: skip
    table = "\n".join(summary.report(results))
    assert "| salesforce | incremental | 5 / 4 | 1.0 / 2.0 | NO |" in table


def test_the_shim_sends_a_public_crm_url_to_the_local_address() -> None:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        local = f"http://127.0.0.1:{server.server_port}"
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import requests; print(requests.get('https://api.hubapi.com/crm/v3/x?a=1').status_code)",
            ],
            env={"PYTHONPATH": str(SHIM), "EMU_REWRITE": f"https://api.hubapi.com={local}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
    assert done.stdout.strip() == "200", done.stderr
    assert seen == ["/crm/v3/x?a=1"]
