"""Two things a real HubSpot portal does that the sandbox used to hide (docs/sandbox.md, "Batch answers"),
end to end through a sync: a batch read with property history takes at most 50 records, so a plan with
more than 50 records changed on both sides must read their history 50 at a time; and batch results come
back in no particular order, so every record crmsync creates in HubSpot must still be linked to the
Salesforce record it was made from. The oracles are both CRMs, read through their own APIs."""

from __future__ import annotations

import time

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_get, hubspot_value, salesforce_edit, salesforce_value

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
SF_API = "/services/data/v59.0"
SKEW = 2.5  # past crmsync's 2 s clock-skew window: the HubSpot edits are the later ones
BOTH_CHANGED = 60  # more than the 50 HubSpot takes in one history read
NEW_PEOPLE = 130  # more than one HubSpot batch of 100


def test_a_plan_with_more_than_50_records_changed_on_both_sides_reads_their_history_50_at_a_time(
    sandbox, sync, query
):
    assert sync().success
    pairs = query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
             AND h.lifecyclestage IN ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')
             AND NOT regexp_matches(lower(h.email), '@(test|example)\\.com$')
           ORDER BY l.hubspot_id LIMIT ?""",
        BOTH_CHANGED,
    )  # linked people inside both sides' inclusion rules
    assert len(pairs) == BOTH_CHANGED
    for n, (_, salesforce_id) in enumerate(pairs):
        salesforce_edit(sandbox, "Contact", salesforce_id, FirstName=f"Salesforce{n}")
    time.sleep(SKEW)
    for n, (hubspot_id, _) in enumerate(pairs):
        hubspot_edit(sandbox, "contacts", hubspot_id, firstname=f"HubSpot{n}")

    result = sync()
    assert result.success  # a history read of 60 records would be refused with 400 and fail the plan
    for n, (hubspot_id, salesforce_id) in enumerate(pairs):
        assert hubspot_value(sandbox, "contacts", hubspot_id, "firstname") == f"HubSpot{n}"
        assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == f"HubSpot{n}"
    assert query(
        "SELECT winner, count(*) FROM conflicts WHERE run_id = ? AND field = 'firstname' GROUP BY ALL",
        result.run_id,
    ) == [("hubspot", BOTH_CHANGED)]
    assert query(
        "SELECT calls FROM api_calls WHERE run_id = ? AND route = 'contacts.batch.read.history'",
        result.run_id,
    ) == [(2,)]


def _new_salesforce_contacts(sandbox) -> dict[str, str]:
    """Salesforce Contacts nobody has in HubSpot, one composite call: email -> Salesforce id."""
    records = [
        {
            "attributes": {"type": "Contact"},
            "LastName": f"Shuffled{n}",
            "FirstName": f"Person{n}",
            "Email": f"shuffled.person{n}@batches.dev",
        }
        for n in range(NEW_PEOPLE)
    ]
    answers = requests.post(
        f"{sandbox.salesforce.url}{SF_API}/composite/sobjects",
        headers=TOKEN,
        json={"allOrNone": True, "records": records},
        timeout=30,
    ).json()
    assert all(a["success"] for a in answers), answers
    return {r["Email"]: a["id"] for r, a in zip(records, answers, strict=True)}


def _hubspot_record(sandbox, hubspot_id: str) -> dict:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    answer = hubspot_get(url, properties="email,firstname,crmsync_salesforce_id")
    assert answer.status_code == 200, (hubspot_id, answer.status_code, answer.text)
    return answer.json()


def test_people_created_in_hubspot_from_shuffled_batch_answers_link_to_their_own_salesforce_records(
    sandbox, sync, query
):
    settings = requests.get(f"{sandbox.hubspot.url}/_sandbox/settings", timeout=10).json()
    assert settings["batch_results_order"] == "shuffled"  # the default, as on a real portal
    made = _new_salesforce_contacts(sandbox)

    assert sync().success
    created = {}
    for email, salesforce_id in made.items():
        hubspot_id = salesforce_value(sandbox, "Contact", salesforce_id, "CrmSync_HubSpot_Id__c")
        record = _hubspot_record(sandbox, hubspot_id)
        # each side names the other, and the HubSpot record holds this person's own values
        assert record["properties"]["crmsync_salesforce_id"] == salesforce_id
        assert record["properties"]["email"].lower() == email
        assert record["properties"]["firstname"] == salesforce_value(
            sandbox, "Contact", salesforce_id, "FirstName"
        )
        created[hubspot_id] = record["updatedAt"]
    assert len(created) == NEW_PEOPLE
    linked = dict(query("SELECT salesforce_id, hubspot_id FROM links WHERE pair = 'contacts'"))
    assert {linked[s] for s in made.values()} == set(created)

    # the values read back right after the create were each record's own: nothing is left to fix
    assert sync().success
    assert {h: _hubspot_record(sandbox, h)["updatedAt"] for h in created} == created
