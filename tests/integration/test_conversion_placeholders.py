"""A placeholder crmsync invented never comes back as a record (issue 15): a HubSpot contact without a
company syncs as a Lead whose required Company is the mapping's `default:` ("[not provided]"); a person
converts the Lead in Salesforce into a new Contact, and Salesforce names the new Account after the Lead's
Company. That Account is held in review (kind `placeholder_name`), neither created in HubSpot nor linked,
and the contact gets no company association from it; once a person renames the Account in Salesforce,
the item closes and the Account syncs like any other. Oracles read the CRMs (HubSpot search and
associations, SOQL)."""

from __future__ import annotations

import json

import pytest
import requests
from crm_actions import salesforce_edit, salesforce_value
from sandboxes import Sandbox
from test_merges import TOKEN, counts, soql

PLACEHOLDER = "[not provided]"


pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=12, seed=11)
    yield box
    box.stop()


def _hubspot_contact(sandbox) -> str:
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        json={
            "properties": {
                "email": "noel.nocompany@lonely-lead.org",
                "firstname": "Noel",
                "lastname": "Nocompany",
                "lifecyclestage": "salesqualifiedlead",
            }
        },  # fmt: skip
        timeout=10,
    )
    created.raise_for_status()
    return str(created.json()["id"])


def _convert(sandbox, lead: str) -> tuple[str, str]:
    """(Contact id, Account id) of the Lead converted into a new Contact and a new Account."""
    answer = requests.post(f"{sandbox.salesforce.url}/_sandbox/salesforce/convert-lead", json={"lead_id": lead},
                           timeout=10)  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["contact_id"]), str(answer.json()["account_id"])


def _hubspot_companies_named(sandbox, name: str) -> list[str]:
    body = {"filterGroups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": name}]}]}
    url = f"{sandbox.hubspot.url}/crm/v3/objects/companies/search"
    return [r["id"] for r in requests.post(url, headers=TOKEN, json=body, timeout=10).json()["results"]]


def _companies_of(sandbox, contact: str) -> list[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact}/associations/companies"
    return [str(r["toObjectId"]) for r in requests.get(url, headers=TOKEN, timeout=10).json()["results"]]


def test_an_account_named_after_the_lead_placeholder_never_reaches_hubspot(sandbox, sync, query):
    assert sync().success
    contact = _hubspot_contact(sandbox)
    assert sync().success
    [(sobject, lead)] = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        contact,
    )
    assert sobject == "Lead" and salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER
    new_contact, account = _convert(sandbox, lead)
    assert salesforce_value(sandbox, "Account", account, "Name") == PLACEHOLDER  # Salesforce's conversion
    population = counts(sandbox)

    for _ in range(2):  # held, and it stays held
        result = sync()
        assert result.success
        assert _hubspot_companies_named(sandbox, PLACEHOLDER) == []
        assert counts(sandbox) == population
        assert _companies_of(sandbox, contact) == []
        assert query(
            "SELECT count(*) FROM links WHERE pair = 'companies' AND salesforce_id = ?", account
        ) == [(0,)]
        assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND error_code IS NOT NULL",
                     result.run_id) == [(0,)]  # fmt: skip
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", contact) == [
        (new_contact,)
    ]
    [(item, detail)] = query(
        "SELECT item_id, detail FROM review_items WHERE kind = 'placeholder_name' AND settled_at IS NULL "
        "AND list_contains(salesforce_ids, ?)",
        account,
    )
    assert json.loads(detail)["name"] == PLACEHOLDER
    assert "rename" in json.loads(detail)["todo"].lower()

    # a person gives the Account its real name: it syncs like any other Account from then on
    salesforce_edit(sandbox, "Account", account, Name="Noel Nocompany Consulting")
    assert sync().success
    assert query("SELECT resolution FROM review_items WHERE item_id = ?", item) == [("renamed",)]
    [company] = _hubspot_companies_named(sandbox, "Noel Nocompany Consulting")
    assert query("SELECT hubspot_id FROM links WHERE pair = 'companies' AND salesforce_id = ?", account) == [
        (company,)
    ]
    assert (
        soql(sandbox, f"SELECT AccountId FROM Contact WHERE Id = '{new_contact}'")["records"][0]["AccountId"]
        == account
    )
    assert _companies_of(sandbox, contact) == [company]
    assert _hubspot_companies_named(sandbox, PLACEHOLDER) == []
