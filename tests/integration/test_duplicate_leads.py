"""Two Leads sharing an email: the oldest is kept and created once in HubSpot, the other waits in a
`duplicate_lead` item that names the kept Lead and why (`crmsync review --kind duplicate_lead` lists it),
and the item closes by itself once the kept Lead is linked and the duplicate is merged away."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
EMAIL = "twin.lead@duplicates.example"


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=6)
    yield box
    box.stop()


def create_lead(sandbox, last_name: str) -> str:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Lead/"
    body = {"LastName": last_name, "FirstName": "Twin", "Company": "Twins Ltd", "Email": EMAIL}
    answer = requests.post(url, headers=TOKEN, json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()["id"]


def hubspot_contacts_with_the_email(sandbox) -> list[dict]:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/search"
    body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": EMAIL}]}],
            "properties": ["email", "crmsync_salesforce_id"], "limit": 10}  # fmt: skip
    requests.post(f"{sandbox.hubspot.url}/_sandbox/hubspot/search/flush", timeout=10)
    return requests.post(url, headers=TOKEN, json=body, timeout=10).json()["results"]


def review_json(kind: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["review", "--kind", kind, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_leads_sharing_an_email_keep_one_and_close_the_item_once_settled(sandbox, crm_env, sync, query):
    # an org whose duplicate rule only alerts (or has none): the second Lead saves
    settings = f"{sandbox.salesforce.url}/_sandbox/settings"
    requests.post(settings, json={"duplicate_rules": []}, timeout=10).raise_for_status()
    kept = create_lead(sandbox, "Older")
    duplicate = create_lead(sandbox, "Newer")
    assert sync().success

    [item] = [i for i in review_json("duplicate_lead") if duplicate in i["salesforce_ids"]]
    assert item["detail"]["kept"] == kept
    assert "oldest" in item["detail"]["why_kept"]
    [contact] = hubspot_contacts_with_the_email(sandbox)  # one HubSpot contact, for the kept Lead
    assert query("SELECT salesforce_id FROM links WHERE hubspot_id = ?", contact["id"]) == [(kept,)]
    assert query("SELECT count(*) FROM links WHERE salesforce_id = ?", duplicate) == [(0,)]

    assert sync().success  # the kept Lead is linked, the duplicate still exists: the item stays open
    [item] = [i for i in review_json("duplicate_lead") if duplicate in i["salesforce_ids"]]
    assert item["detail"]["kept"] == kept and item["hubspot_id"] == contact["id"]

    requests.post(f"{sandbox.salesforce.url}/_sandbox/salesforce/merge", timeout=10,
                  json={"object": "Lead", "master_id": kept, "loser_ids": [duplicate]}).raise_for_status()  # fmt: skip
    assert sync().success
    assert not [i for i in review_json("duplicate_lead") if duplicate in i["salesforce_ids"]]
    [(resolution,)] = query("SELECT resolution FROM review_items WHERE item_id = ?", item["item_id"])
    assert "kept record is linked" in resolution
    assert [c["id"] for c in hubspot_contacts_with_the_email(sandbox)] == [contact["id"]]
