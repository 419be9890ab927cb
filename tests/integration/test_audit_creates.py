"""The audit log is the truth for HubSpot creates whose association HubSpot refuses (soak seed 11, audit
mismatch on contact 100313): crmsync creates a HubSpot contact for a new Salesforce Contact, HubSpot takes
the contact and its properties (batch upsert) and then refuses its association with the company (a
per-record INTERNAL_ERROR in the v4 associations batch answer, the soak's `record_failure`). The audit
log called every property of the create `failed` although HubSpot holds them, and left the record
unlinked until a later run found it by its cross-reference.

Oracles: HubSpot's own search and v4 associations reads, its property history (an INTEGRATION write of
each value), the sandbox's record count by email (no duplicate)."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_get, salesforce_value
from sandboxes import Sandbox

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
ASSOCIATION = "association:companies:279"
PERSON = {"Email": "kim.refused@assoc-qa.io", "FirstName": "Kim", "LastName": "Refused", "Title": "Buyer"}
HUBSPOT_NAMES = {"Email": "email", "FirstName": "firstname", "LastName": "lastname", "Title": "jobtitle"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=11)
    yield box
    box.stop()


def salesforce_create(sandbox, sobject: str, **fields: object) -> str:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/"
    response = requests.post(url, json=fields, headers=TOKEN, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


def hubspot_contacts_by_email(sandbox, email: str) -> list[dict]:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/search"
    body = {
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
        "properties": list(HUBSPOT_NAMES.values()),
    }
    answer = requests.post(url, json=body, headers=TOKEN, timeout=10)
    answer.raise_for_status()
    return answer.json()["results"]


def hubspot_companies_of(sandbox, contact: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact}/associations/companies"
    answer = hubspot_get(url)
    answer.raise_for_status()
    return {str(r["toObjectId"]) for r in answer.json()["results"]}


def integration_wrote(sandbox, contact: str, prop: str, value: str) -> bool:
    """Whether HubSpot's history of the property has crmsync's write of `value`."""
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{contact}"
    history = hubspot_get(url, propertiesWithHistory=prop).json()["propertiesWithHistory"][prop]
    return any(h["value"] == value and h.get("sourceType") == "INTEGRATION" for h in history)


def test_a_create_whose_association_hubspot_refuses_is_confirmed_for_what_hubspot_took(
    sandbox, sync, query, faults
):
    assert sync().success
    [(company, account)] = query(
        "SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'companies' AND salesforce_object = 'Account' "
        "ORDER BY hubspot_id LIMIT 1"
    )
    contact_sf = salesforce_create(sandbox, "Contact", AccountId=account, **PERSON)
    # HubSpot takes the contact, then answers its association with a per-record INTERNAL_ERROR (207)
    faults("hubspot", record_failure_rate=1.0, path_contains="/associations/")
    run = sync()
    assert run.success
    requests.delete(f"{sandbox.hubspot.url}/_sandbox/faults", timeout=10).raise_for_status()

    [created] = hubspot_contacts_by_email(sandbox, PERSON["Email"])
    contact = str(created["id"])
    assert company not in hubspot_companies_of(sandbox, contact)  # the association was refused
    rows = dict(
        query(
            "SELECT field, outcome FROM audit_log WHERE run_id = ? AND target = 'hubspot' AND source_id = ?",
            run.run_id,
            contact_sf,
        )
    )
    for sf_name, prop in HUBSPOT_NAMES.items():
        assert created["properties"][prop] == PERSON[sf_name]  # HubSpot holds the written value ...
        assert integration_wrote(sandbox, contact, prop, PERSON[sf_name])  # ... written by crmsync
        assert rows[prop] == "confirmed", (prop, rows)  # ... and the audit log says so
    assert rows[ASSOCIATION] == "failed"  # only the refused association failed
    # the record HubSpot holds is linked at once, its base what both sides hold, the association none
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", contact) == [
        (contact_sf,)
    ]
    base = dict(
        query("SELECT field, value FROM base_values WHERE pair = 'contacts' AND hubspot_id = ?", contact)
    )
    assert {f: base.get(f) for f in ("email", "firstname", "lastname", "jobtitle")} == {
        prop: PERSON[sf_name] for sf_name, prop in HUBSPOT_NAMES.items()
    }
    assert "@association:companies" not in base
    # ... and Salesforce holds the new HubSpot id as its cross-reference, written in the same run
    assert salesforce_value(sandbox, "Contact", contact_sf, "CrmSync_HubSpot_Id__c") == contact
    [(code,)] = query(
        "SELECT error_code FROM sync_errors WHERE pair = 'contacts' AND target = 'hubspot'"
        " AND record_ref IN (?, ?)",
        contact_sf,
        contact,
    )
    assert code == "INTERNAL_ERROR"  # the CRM's code, kept for `crmsync errors` and health

    again = sync()  # faults gone: the association is written to the linked record, nothing created twice
    assert again.success
    assert len(hubspot_contacts_by_email(sandbox, PERSON["Email"])) == 1
    assert company in hubspot_companies_of(sandbox, contact)
    assert query(
        "SELECT outcome FROM audit_log WHERE run_id = ? AND target = 'hubspot' AND record_id = ? AND field = ?",
        again.run_id,
        contact,
        ASSOCIATION,
    ) == [("confirmed",)]
    assert (
        query(
            "SELECT record_ref FROM sync_errors WHERE pair = 'contacts' AND target = 'hubspot'"
            " AND record_ref IN (?, ?)",
            contact_sf,
            contact,
        )
        == []
    )  # the error left with the write that settled it
