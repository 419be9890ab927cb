"""`crmsync undo` prints what it would restore and what it did as lines a person reads, never Python
reprs: `pair: side record, field: value now -> value restored`, failures by code with what to do, API
calls per CRM; checked on a run that changed a HubSpot-born Lead's first name, with HubSpot refusing the
first undo's update (the restore put back on Salesforce) and the second undo landing on both CRMs."""

from __future__ import annotations

import json
import os
import re
import uuid

import duckdb
import pytest
import requests
from cli_helpers import hubspot_contact
from crm_actions import hubspot_edit, hubspot_value, salesforce_value

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

REPR = re.compile(r"[{}]|'[^']*'|\bNone\b")  # a dict, a quoted str or None printed by Python


def _link(hubspot_id: str) -> tuple[str, str]:
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        ((sobject, salesforce_id),) = con.execute(
            "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
            [hubspot_id],
        ).fetchall()
    finally:
        con.close()
    return sobject, salesforce_id


def test_undo_prints_readable_lines(sandbox, crmsync):
    hubspot_id = hubspot_contact(
        sandbox, email=f"ann-{uuid.uuid4().hex[:6]}@undo-output.org", firstname="Ann", lastname="Readable",
        lifecyclestage="marketingqualifiedlead",
    )  # fmt: skip
    assert crmsync("sync").exit_code == 0
    sobject, lead = _link(hubspot_id)
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Annabel")
    synced = crmsync("sync")
    assert synced.exit_code == 0
    run_id = re.search(r"Synced \(run ([0-9a-f-]{36})\)", synced.output).group(1)
    assert salesforce_value(sandbox, sobject, lead, "FirstName") == "Annabel"

    dry = crmsync("undo", run_id, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"contacts: salesforce {lead}, FirstName: Annabel -> Ann" in dry.output, dry.output
    assert f"contacts: hubspot {hubspot_id}, firstname: Annabel -> Ann" in dry.output, dry.output
    assert re.search(r"written \d+ on (salesforce|hubspot)", dry.output), dry.output
    assert REPR.findall(dry.output) == [], dry.output

    # HubSpot refuses every record of the undo's update: the Salesforce restore is put back
    url = sandbox.hubspot.url
    hook = {
        "on": {"method": "POST", "contains": "batch/update", "nth": 1},
        "then": {"apply_edits": [{"method": "POST", "url": f"{url}/_sandbox/faults", "json": {"record_failure_rate": 1.0}}]},
    }  # fmt: skip
    requests.post(f"{url}/_sandbox/faults/hooks", json=hook, timeout=10).raise_for_status()
    try:
        failed = crmsync("undo", run_id, "--yes")
    finally:
        requests.delete(f"{url}/_sandbox/faults/hooks", timeout=10).raise_for_status()
        requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
    as_json = json.loads(crmsync("undo", run_id, "--dry-run", "--json").output)
    assert failed.exit_code == 1, failed.output
    assert REPR.findall(failed.output) == [], failed.output
    assert re.search(r"^  refused: 1 record\(s\) [A-Z_]+: \S", failed.output, re.M), failed.output
    assert re.search(r"^  put back: \d+ field\(s\)", failed.output, re.M), failed.output
    assert f"run `crmsync undo {run_id}` again" in failed.output
    assert re.search(r"API calls \d+ on hubspot, \d+ on salesforce", failed.output), failed.output
    assert as_json["fields"]["restore"] >= 1  # nothing was undone: it can be undone again

    done = crmsync("undo", run_id, "--yes")
    assert done.exit_code == 0, done.output
    assert REPR.findall(done.output) == [], done.output
    assert re.search(r"restored \d+ field\(s\), archived 0 record\(s\); API calls", done.output), done.output
    assert hubspot_value(sandbox, "contacts", hubspot_id, "firstname") == "Ann"
    assert salesforce_value(sandbox, sobject, lead, "FirstName") == "Ann"
