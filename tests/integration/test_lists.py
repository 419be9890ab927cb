"""A HubSpot list as the contacts inclusion rule (`in_list:`): its members sync to Salesforce, others do
not; a member taken off the list stops sending its edits and keeps its link; a list that does not exist
is named by `crmsync check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit

from crmsync_pipeline.cli.main import cli
from tests.integration.conftest import Sandbox

TOKEN = {"Authorization": "Bearer sandbox-token"}
SHIPPED = (Path(__file__).parents[2] / "crmsync.yaml").read_text()
SHIPPED_RULE = """      hubspot:
        all:
          - field: lifecyclestage
            in: [marketingqualifiedlead, salesqualifiedlead, opportunity, customer]
"""
assert SHIPPED_RULE in SHIPPED


def list_mapping(list_ref: str) -> str:
    return SHIPPED.replace(SHIPPED_RULE, f"      hubspot:\n        all:\n          - in_list: {list_ref}\n")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=12, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def list_env(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("mapping") / "crmsync.yaml"
    path.write_text(list_mapping("sync to salesforce"))  # names match case-insensitively, as in HubSpot
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_CONFIG", str(path))
    request.getfixturevalue("crm_env")
    yield path
    mp.undo()


def hubspot_api(sandbox, method: str, path: str, body=None):  # type: ignore[no-untyped-def]
    response = requests.request(method, f"{sandbox.hubspot.url}{path}", json=body, headers=TOKEN, timeout=10)
    response.raise_for_status()
    return response.json() if response.content else None


def new_contact(sandbox, email: str) -> str:
    properties = {"email": email, "firstname": "Lista", "lastname": "Member", "lifecyclestage": "lead"}
    return hubspot_api(sandbox, "POST", "/crm/v3/objects/contacts", {"properties": properties})["id"]


def salesforce_people(sandbox, email: str) -> list[dict]:
    found = []
    for sobject in ("Contact", "Lead"):
        soql = f"SELECT Id, FirstName FROM {sobject} WHERE Email = '{email}'"
        url = f"{sandbox.salesforce.url}/services/data/v59.0/query"
        found += requests.get(url, params={"q": soql}, headers=TOKEN, timeout=10).json()["records"]
    return found


def test_list_members_sync_and_a_member_taken_off_stops_syncing(sandbox, list_env, sync, query):
    listed = hubspot_api(sandbox, "GET", "/crm/v3/lists/object-type-id/0-1/name/Sync%20to%20Salesforce")
    list_id = listed["list"]["listId"]
    member, outsider = new_contact(sandbox, "member@listco.io"), new_contact(sandbox, "outsider@listco.io")
    hubspot_api(sandbox, "PUT", f"/crm/v3/lists/{list_id}/memberships/add", [member])

    assert sync().success
    assert len(salesforce_people(sandbox, "member@listco.io")) == 1
    assert salesforce_people(sandbox, "outsider@listco.io") == []
    stored = query("SELECT list_id, list_name FROM hubspot_lists WHERE list_ref = 'sync to salesforce'")
    assert stored == [(list_id, "Sync to Salesforce")]
    assert query("SELECT count(*) FROM hubspot_list_memberships WHERE record_id = ?", member) == [(1,)]
    calls = query("SELECT route, sum(calls) FROM api_calls WHERE route LIKE 'lists.%' GROUP BY route")
    assert dict(calls) == {"lists.by_name": 1, "lists.memberships": 1}  # one list, under 250 members

    hubspot_api(sandbox, "PUT", f"/crm/v3/lists/{list_id}/memberships/remove", [member])
    hubspot_edit(sandbox, "contacts", member, firstname="Renamed")
    hubspot_api(sandbox, "PUT", f"/crm/v3/lists/{list_id}/memberships/add", [outsider])
    assert sync().success

    (person,) = salesforce_people(sandbox, "member@listco.io")
    assert person["FirstName"] == "Lista"  # off the list: its edit stays in HubSpot
    assert query("SELECT count(*) FROM links WHERE pair = 'contacts' AND hubspot_id = ?", member) == [(1,)]
    assert len(salesforce_people(sandbox, "outsider@listco.io")) == 1  # joined the list: created


def test_check_names_a_list_that_does_not_exist(sandbox, list_env, tmp_path):
    broken = tmp_path / "crmsync.yaml"
    broken.write_text(list_mapping("Sync to Salesforsce"))
    result = CliRunner().invoke(cli, ["check"], env={"CRMSYNC_CONFIG": str(broken), "COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert "objects.contacts.include.hubspot (in_list: Sync to Salesforsce)" in result.output
    assert "HubSpot has no contacts list" in result.output
