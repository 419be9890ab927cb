"""Undo keeps its promises under faults (issue 15): a record HubSpot answers with a per-record error in a
207 batch read (INTERNAL_ERROR, not OBJECT_NOT_FOUND) exists; undo must not report it "gone" and skip it
for good. It says the records could not be read now, asks for `crmsync undo RUN` again, exits non-zero and
writes nothing; run again once HubSpot answers, it restores every field on both sides. Oracles: the CRMs'
own values and crmsync's runs table (no undo run was recorded)."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=7)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def people(sandbox, sync, query):
    """Six HubSpot-born people synced as Leads, then renamed in HubSpot; one sync (the run to undo)
    carries the new first names to Salesforce."""
    assert sync().success
    ids = []
    for n in range(1, 7):
        person = {"email": f"p{n}@fault-qa.io", "firstname": f"First{n}", "lastname": "Faulty",
                  "lifecyclestage": "marketingqualifiedlead"}  # fmt: skip
        answer = requests.post(
            f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
            headers=TOKEN,
            json={"properties": person},
            timeout=10,
        )
        answer.raise_for_status()
        ids.append(str(answer.json()["id"]))
    assert sync().success
    leads = []
    for hubspot_id in ids:
        [(sobject, lead)] = query(
            "SELECT salesforce_object, salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id
        )
        assert sobject == "Lead"
        leads.append(lead)
        hubspot_edit(sandbox, "contacts", hubspot_id, firstname=f"Renamed{hubspot_id}")
    run = sync()
    assert run.success
    return {"run": run.run_id, "people": list(zip(ids, leads, strict=True))}


def _names(sandbox, people) -> list[tuple[str | None, object]]:
    return [
        (
            hubspot_value(sandbox, "contacts", h, "firstname"),
            salesforce_value(sandbox, "Lead", s, "FirstName"),
        )
        for h, s in people["people"]
    ]


def test_records_hubspot_could_not_read_are_not_gone(sandbox, query, people):
    renamed = [(f"Renamed{h}", f"Renamed{h}") for h, _ in people["people"]]
    assert _names(sandbox, people) == renamed
    url = f"{sandbox.hubspot.url}/_sandbox/faults"
    requests.post(url, json={"record_failure_rate": 1.0, "seed": 7}, timeout=10).raise_for_status()
    try:
        result = CliRunner().invoke(cli, ["undo", people["run"], "--yes"])
    finally:
        requests.delete(url, timeout=10).raise_for_status()
    assert result.exit_code != 0, result.output
    assert "gone" not in result.output
    assert "could not be read now" in result.output
    assert f"crmsync undo {people['run']}" in result.output
    assert _names(sandbox, people) == renamed  # nothing written
    assert query("SELECT count(*) FROM runs WHERE trigger = 'undo'") == [(0,)]

    again = CliRunner().invoke(cli, ["undo", people["run"], "--yes", "--json"])
    assert again.exit_code == 0, again.output
    assert _names(sandbox, people) == [(f"First{n}", f"First{n}") for n in range(1, 7)]
