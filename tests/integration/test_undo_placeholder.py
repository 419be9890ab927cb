"""Undo of a run that carried a real value over a mapping `default:` placeholder (issue 14): the value
crmsync invented (Lead.Company "[not provided]") goes back to the Lead only; HubSpot's company, empty
before the run, goes back to empty and never receives the placeholder. Every assertion reads the CRMs."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

PLACEHOLDER = "[not provided]"
TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=5)
    yield box
    box.stop()


def test_undo_never_writes_the_placeholder_to_hubspot(sandbox, sync, query):
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": "ann.lee@acme-qa.io",
                "firstname": "Ann",
                "lastname": "Lee",
                "lifecyclestage": "salesqualifiedlead",
            }
        },
    )
    created.raise_for_status()
    contact = created.json()["id"]
    assert sync().success
    assert sync().success
    [(sobject, lead)] = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        contact,
    )
    assert sobject == "Lead"
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER

    hubspot_edit(sandbox, "contacts", contact, firstname="Anna", company="Acme QA")
    run = sync()
    assert run.success
    assert salesforce_value(sandbox, "Lead", lead, "Company") == "Acme QA"

    result = CliRunner().invoke(cli, ["undo", run.run_id, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["failed"] == {}
    assert hubspot_value(sandbox, "contacts", contact, "company") in (None, "")
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER
    assert hubspot_value(sandbox, "contacts", contact, "firstname") == "Ann"
    assert salesforce_value(sandbox, "Lead", lead, "FirstName") == "Ann"
