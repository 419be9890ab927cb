"""The edges of a person's life, through the sandboxes (issue 15, scenarios 3, 6, 8 and 9): a Salesforce
merge into an unlinked survivor and a Lead converted into a new Contact fill the survivor instead of
clearing HubSpot; a Lead converted into an existing linked Contact is handled as a merge of two linked
records (review or mirror), never left linked to the converted Lead; a person with no usable key on
either side waits in review as `keyless` with its likely twin, and is linked by the review's decision.
Oracles read the CRMs (REST, SOQL, HubSpot's search) and the state file only for links and items."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, salesforce_value
from sandboxes import Sandbox
from test_merges import TOKEN, counts, hubspot_get, linked, merges, salesforce_merge, soql

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # make test-slow

# the contacts pair's mapped HubSpot properties (the shipped mapping) and their Contact fields
MAPPED = {
    "email": "Email",
    "firstname": "FirstName",
    "lastname": "LastName",
    "jobtitle": "Title",
    "phone": "Phone",
    "lifecyclestage": "HubSpot_Lifecycle_Stage__c",
    "lead_source": "LeadSource",
}
SF_API = "/services/data/v59.0"


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=7)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    assert sync().success


def hubspot_values(sandbox, contact: str) -> dict[str, str | None]:
    found = hubspot_get(sandbox, "contacts", contact, ",".join(MAPPED))["properties"]
    return {p: (found.get(p) or None) for p in MAPPED}


def salesforce_record(sandbox, sobject: str, record_id: str) -> dict:
    url = f"{sandbox.salesforce.url}{SF_API}/sobjects/{sobject}/{record_id}"
    return requests.get(url, headers=TOKEN, timeout=10).json()


def salesforce_create(sandbox, sobject: str, **fields: object) -> str:
    url = f"{sandbox.salesforce.url}{SF_API}/sobjects/{sobject}/"
    answer = requests.post(url, headers=TOKEN, json=fields, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["id"])


def hubspot_create(sandbox, **properties: str) -> str:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts"
    answer = requests.post(url, headers=TOKEN, json={"properties": properties}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["id"])


def convert_lead(sandbox, lead: str, contact: str | None = None, account: str | None = None) -> str:
    body = {"lead_id": lead, "contact_id": contact, "account_id": account}
    url = f"{sandbox.salesforce.url}/_sandbox/salesforce/convert-lead"
    answer = requests.post(url, json={k: v for k, v in body.items() if v}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["contact_id"])


def hubspot_named(sandbox, first: str, last: str) -> list[str]:
    filters = [{"propertyName": "firstname", "operator": "EQ", "value": first},
               {"propertyName": "lastname", "operator": "EQ", "value": last}]  # fmt: skip
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/search"
    body = {"filterGroups": [{"filters": filters}], "limit": 100}
    return [r["id"] for r in requests.post(url, headers=TOKEN, json=body, timeout=10).json()["results"]]


def salesforce_named(sandbox, first: str, last: str) -> list[str]:
    ids = []
    for sobject in ("Contact", "Lead"):
        text = f"SELECT Id FROM {sobject} WHERE FirstName = '{first}' AND LastName = '{last}'"
        ids += [r["Id"] for r in soql(sandbox, text)["records"]]
    return ids


def link_of(query, hubspot_id: str) -> list[tuple[str, str]]:
    return query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        hubspot_id,
    )


def kept_values(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, tuple]:
    """The HubSpot values that were set before and are not now (nobody cleared them in HubSpot)."""
    return {p: (v, after[p]) for p, v in before.items() if v is not None and after[p] in (None, "")}


def test_a_salesforce_merge_into_an_unlinked_survivor_fills_it(sandbox, sync, query, first_sync):
    """Scenario 3: b <-> B' linked (phone, stage customer); B' merged into an unlinked Contact X' that has
    neither. The link moves to X', X' is filled from HubSpot, and HubSpot keeps b's phone and stage."""
    candidates = [(h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'")
                  if hubspot_values(sandbox, h)["phone"]]  # fmt: skip
    b, b_prime = candidates[0]
    hubspot_edit(sandbox, "contacts", b, lifecyclestage="customer")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", b_prime, "HubSpot_Lifecycle_Stage__c") == "customer"
    before = hubspot_values(sandbox, b)
    assert before["phone"] and before["lifecyclestage"] == "customer"
    survivor = salesforce_create(
        sandbox, "Contact", FirstName=before["firstname"], LastName=before["lastname"], Email=before["email"]
    )
    salesforce_merge(sandbox, "Contact", survivor, b_prime)  # the master keeps its own (empty) values
    population = counts(sandbox)
    assert sync().success

    assert link_of(query, b) == [("Contact", survivor)]
    after = hubspot_values(sandbox, b)
    assert kept_values(before, after) == {}
    assert after == before
    filled = salesforce_record(sandbox, "Contact", survivor)
    assert filled["HubSpot_Lifecycle_Stage__c"] == "customer"
    assert filled["Phone"] == before["phone"]
    assert filled["CrmSync_HubSpot_Id__c"] == b
    assert counts(sandbox) == population  # nothing created on either side
    assert sync().success
    assert hubspot_values(sandbox, b) == before


def test_a_lead_converted_into_a_new_contact_keeps_hubspot_values(sandbox, sync, query, first_sync):
    """Scenario 8: a HubSpot contact synced as a Lead; the Lead converted into a new Contact (conversion
    does not copy the lifecycle custom field). The link follows, the Contact gets the Lead's agreed values,
    and nothing is cleared in HubSpot."""
    h, lead = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'"))
    hubspot_edit(sandbox, "contacts", h, lifecyclestage="marketingqualifiedlead")
    assert sync().success
    before = hubspot_values(sandbox, h)
    assert salesforce_value(sandbox, "Lead", lead, "HubSpot_Lifecycle_Stage__c") == before["lifecyclestage"]
    contact = convert_lead(sandbox, lead)
    assert salesforce_value(sandbox, "Contact", contact, "HubSpot_Lifecycle_Stage__c") is None
    assert sync().success

    assert link_of(query, h) == [("Contact", contact)]
    after = hubspot_values(sandbox, h)
    assert kept_values(before, after) == {}
    assert after == before
    record = salesforce_record(sandbox, "Contact", contact)
    # phones compare by their digits (the `phone` transform): a Contact keeping the Lead's "+1-690-..." for
    # HubSpot's "+1 690 ..." is the same number, in sync, and never rewritten
    assert _digits_for_phones({p: record[f] or None for p, f in MAPPED.items()}) == _digits_for_phones(before)
    assert sync().success
    assert hubspot_values(sandbox, h) == before


def _digits_for_phones(values: dict) -> dict:
    return {k: "".join(c for c in v if c.isdigit()) if k in ("phone", "mobilephone") and v else v
            for k, v in values.items()}  # fmt: skip


def _contact_and_lead(sandbox, query, taken: set[str]) -> tuple[str, str, str, str]:
    """(HubSpot id, Contact id) and (HubSpot id, Lead id) of two linked people not used yet."""
    h1, contact = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'")
                       if h not in taken)  # fmt: skip
    h2, lead = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'")
                    if h not in taken and not salesforce_value(sandbox, "Lead", s, "IsConverted"))  # fmt: skip
    return h1, contact, h2, lead


def test_a_lead_converted_into_a_linked_contact_goes_to_review(sandbox, sync, query, first_sync):
    """Scenario 9, `merges: review` (the default): the Lead's link closes, a merge item names both HubSpot
    contacts, later HubSpot edits fail nowhere and nothing is created."""
    h1, contact, h2, lead = _contact_and_lead(sandbox, query, set())
    account = salesforce_value(sandbox, "Contact", contact, "AccountId")
    convert_lead(sandbox, lead, contact, str(account) if account else None)
    population = counts(sandbox)
    assert sync().success

    assert link_of(query, h2) == []
    assert link_of(query, h1) == [("Contact", contact)]
    [(item, hubspot_id, detail)] = query(
        "SELECT item_id, hubspot_id, detail FROM review_items WHERE kind = 'merge' AND settled_at IS NULL "
        "AND item_id = ?",
        f"merge:contacts:salesforce:{lead}",
    )
    assert hubspot_id == h2
    assert json.loads(detail)["hubspot_survivor"] == h1
    hubspot_edit(sandbox, "contacts", h2, jobtitle="Converted Person")
    result = sync()
    assert result.success
    failures = query(
        "SELECT record_ref, error_code FROM write_results WHERE run_id = ? AND error_code IS NOT NULL",
        result.run_id,
    )
    assert failures == []
    assert query("SELECT count(*) FROM sync_errors WHERE error_code = 'CANNOT_UPDATE_CONVERTED_LEAD'") == [
        (0,)
    ]
    assert salesforce_value(sandbox, "Contact", contact, "Title") != "Converted Person"
    assert counts(sandbox) == population
    assert query("SELECT settled_at FROM review_items WHERE item_id = ?", item) == [(None,)]


def test_a_lead_converted_into_a_linked_contact_is_mirrored(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """Scenario 9, `merges: mirror`: HubSpot's two contacts are merged too (survivor: the Contact's)."""
    merges(tmp_path, monkeypatch, "mirror")
    taken = {h for (h,) in query("SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL")}
    h1, contact, h2, lead = _contact_and_lead(sandbox, query, taken)
    account = salesforce_value(sandbox, "Contact", contact, "AccountId")
    convert_lead(sandbox, lead, contact, str(account) if account else None)
    population = counts(sandbox)
    assert sync().success

    assert hubspot_get(sandbox, "contacts", h2)["id"] == h1  # the loser's id answers with the survivor
    assert counts(sandbox) == {**population, "contacts": population["contacts"] - 1}
    assert query("SELECT action, status FROM record_merges WHERE loser_id = ?", lead) == [("mirror", "done")]
    assert link_of(query, h1) == [("Contact", contact)]
    assert query("SELECT count(*) FROM links WHERE pair = 'contacts' AND salesforce_id = ?", lead) == [(0,)]
    hubspot_edit(sandbox, "contacts", h1, jobtitle="Merged Person")
    result = sync()
    assert result.success
    assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND error_code IS NOT NULL",
                 result.run_id) == [(0,)]  # fmt: skip
    assert salesforce_value(sandbox, "Contact", contact, "Title") == "Merged Person"


def test_a_keyless_person_waits_in_review_and_is_linked_by_its_decision(sandbox, sync, query, first_sync):
    """Scenario 6: "Kay Keyless", no email and no company in HubSpot, and a Salesforce Contact of that name
    without Account or email. One sync later: one Kay on each side, a `keyless` item per record naming the
    other as a likely twin; `crmsync review resolve --link` links them, and nothing is created."""
    kay = hubspot_create(
        sandbox, firstname="Kay", lastname="Keyless", lifecyclestage="marketingqualifiedlead"
    )
    twin = salesforce_create(sandbox, "Contact", FirstName="Kay", LastName="Keyless")
    assert sync().success

    assert hubspot_named(sandbox, "Kay", "Keyless") == [kay]
    assert salesforce_named(sandbox, "Kay", "Keyless") == [twin]
    assert link_of(query, kay) == []
    items = query(
        "SELECT item_id, hubspot_id, salesforce_ids, detail FROM review_items WHERE kind = 'keyless' "
        "AND settled_at IS NULL ORDER BY item_id"
    )
    by_record = {(h or s[0]): (item, json.loads(d)) for item, h, s, d in items}
    assert set(by_record) == {kay, twin}
    hubspot_item, hubspot_detail = by_record[kay]
    assert [t["id"] for t in hubspot_detail["twins"]][:1] == [twin]
    assert hubspot_detail["twins"][0]["name"] == "Kay Keyless"
    assert [t["id"] for t in by_record[twin][1]["twins"]][:1] == [kay]
    assert sync().success  # still waiting: nothing linked, nothing created
    assert hubspot_named(sandbox, "Kay", "Keyless") == [kay]
    assert salesforce_named(sandbox, "Kay", "Keyless") == [twin]

    decided = CliRunner().invoke(cli, ["review", "resolve", hubspot_item, "--link", kay, twin])
    assert decided.exit_code == 0, decided.output
    assert sync().success
    assert link_of(query, kay) == [("Contact", twin)]
    assert query("SELECT count(*) FROM review_items WHERE kind = 'keyless' AND settled_at IS NULL") == [(0,)]
    assert hubspot_named(sandbox, "Kay", "Keyless") == [kay]
    assert salesforce_named(sandbox, "Kay", "Keyless") == [twin]
    assert salesforce_value(sandbox, "Contact", twin, "CrmSync_HubSpot_Id__c") == kay
    assert (
        salesforce_value(sandbox, "Contact", twin, "HubSpot_Lifecycle_Stage__c") == "marketingqualifiedlead"
    )
