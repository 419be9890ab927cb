"""The audit log is the truth for association writes too (issue 15): a HubSpot association crmsync
wrote and HubSpot holds is audited `confirmed`, never `not_applied` (a v4 associations answer carries no
properties, so the absence of a property in it says nothing). Scenario: a HubSpot contact synced as a
Lead; the Lead converted in Salesforce into a new Contact and Account; the next sync creates the company
in HubSpot and associates the contact with it. Oracle: HubSpot's own v4 associations read."""

from __future__ import annotations

import pytest
import requests
from sandboxes import Sandbox

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=7)
    yield box
    box.stop()


def hubspot_associated(sandbox, contact: str, to_type: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact}/associations/{to_type}"
    answer = requests.get(url, headers=TOKEN, timeout=10)
    answer.raise_for_status()
    return {str(r["toObjectId"]) for r in answer.json()["results"]}


def test_an_association_hubspot_holds_is_audited_confirmed(sandbox, sync, query):
    assert sync().success
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts"
    person = {
        "email": "p1@fault-qa.io",
        "firstname": "Pat",
        "lastname": "Quinn",
        "company": "Fault QA Ltd",
        "lifecyclestage": "marketingqualifiedlead",
    }
    answer = requests.post(url, headers=TOKEN, json={"properties": person}, timeout=10)
    answer.raise_for_status()
    contact = str(answer.json()["id"])
    assert sync().success
    [(lead,)] = query(
        "SELECT salesforce_id FROM links WHERE pair = 'contacts' AND salesforce_object = 'Lead' "
        "AND hubspot_id = ?",
        contact,
    )
    url = f"{sandbox.salesforce.url}/_sandbox/salesforce/convert-lead"
    requests.post(url, json={"lead_id": lead}, timeout=10).raise_for_status()
    run = sync()
    assert run.success

    rows = query(
        "SELECT field, after_value, outcome FROM audit_log WHERE run_id = ? AND target = 'hubspot' "
        "AND record_id = ? AND field LIKE 'association:%'",
        run.run_id,
        contact,
    )
    assert rows, "the conversion's new Account is associated with the contact"
    for name, company, outcome in rows:
        assert company in hubspot_associated(sandbox, contact, name.split(":")[1])  # HubSpot holds it
        assert outcome == "confirmed", (name, company, outcome)  # ... and the audit log says so
