"""A new record whose key matches a twin already linked to another record (issue 15, scenario 4's gap):
HubSpot's archives are seen at most once per CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES (default 60), so a
contact archived and re-created within the hour would otherwise be created in Salesforce a second time.
The match stage reads just the linked partner (one targeted batch read) and, when it is gone, relinks
the new record to the live twin; when the partner is live (the same person twice in HubSpot), it holds
the new record in review instead of creating it. Oracles read the CRMs."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, salesforce_value
from sandboxes import Sandbox

pytestmark = pytest.mark.slow  # a handful of syncs: make test-slow

TOKEN = {"Authorization": "Bearer sandbox-token"}
PEOPLE_STAGES = ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=7)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    mp = pytest.MonkeyPatch()
    mp.delenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", raising=False)  # the default: once an hour
    for _ in range(2):  # the second reads back what the first created
        assert sync().success
    yield
    mp.undo()


def soql(sandbox, statement: str) -> list[str]:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/query/"
    answer = requests.get(url, headers=TOKEN, params={"q": statement}, timeout=10)
    answer.raise_for_status()
    return [r["Id"] for r in answer.json()["records"]]


def hubspot_create(sandbox, **properties: str) -> str:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts"
    answer = requests.post(url, headers=TOKEN, json={"properties": properties}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["id"])


def archive_in_hubspot(sandbox, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def test_a_contact_archived_and_re_created_within_the_archive_interval_relinks_to_the_salesforce_twin(
    sandbox, sync, query, first_sync
):
    """Archive a linked contact and create a new one with its email before the hourly archive check is
    due: one sync later the new contact is linked to the existing Salesforce Contact (no second
    Salesforce record, the old link in history), and an edit of the new contact crosses."""
    stages = ", ".join(f"'{s}'" for s in PEOPLE_STAGES)
    ((person, contact, email),) = query(
        f"""SELECT l.hubspot_id, l.salesforce_id, h.email FROM links l
            JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
            WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.email IS NOT NULL
              AND h.lifecyclestage IN ({stages}) AND NOT coalesce(h._archived, false)
              AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items WHERE pair = 'contacts' AND hubspot_id IS NOT NULL)
            ORDER BY 1 LIMIT 1 OFFSET 2"""
    )
    archive_in_hubspot(sandbox, person)
    again = hubspot_create(
        sandbox, email=email, firstname="Renata", lastname="Again", lifecyclestage="customer"
    )
    assert sync().success
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE Email = '{email}'") == [contact]
    assert soql(sandbox, f"SELECT Id FROM Lead WHERE Email = '{email}'") == []
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", again) == [
        (contact,)
    ]
    assert query("SELECT action FROM deleted_links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        ("recreated",)
    ]
    assert salesforce_value(sandbox, "Contact", contact, "CrmSync_HubSpot_Id__c") == again
    hubspot_edit(sandbox, "contacts", again, firstname="Renate")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", contact, "FirstName") == "Renate"
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE Email = '{email}'") == [contact]


def test_a_second_live_hubspot_contact_sharing_a_linked_contacts_key_waits_in_review(
    sandbox, sync, query, first_sync
):
    """HubSpot refuses a second contact with an email (409 CONFLICT), so the same person twice in
    HubSpot shares the other key: name at company, for people without email. The second is never
    created in Salesforce; a review item names the kept (linked) contact and the duplicate."""
    kept = hubspot_create(
        sandbox, firstname="Quentin", lastname="Twiceborn", company="Doubles Ltd", lifecyclestage="customer"
    )
    assert sync().success
    ((twin_object, twin),) = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", kept
    )
    where = "FirstName = 'Quentin' AND LastName = 'Twiceborn'"
    assert soql(sandbox, f"SELECT Id FROM {twin_object} WHERE {where}") == [twin]

    duplicate = hubspot_create(
        sandbox, firstname="Quentin", lastname="Twiceborn", company="Doubles", lifecyclestage="customer"
    )
    assert sync().success
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE {where}") + soql(
        sandbox, f"SELECT Id FROM Lead WHERE {where}"
    ) == [twin]
    items = query(
        """SELECT kind, hubspot_id, detail->>'kept', detail->>'kept_salesforce_id' FROM review_items
           WHERE pair = 'contacts' AND settled_at IS NULL AND hubspot_id = ?""",
        duplicate,
    )
    assert items == [("duplicate_hubspot", duplicate, kept, twin)]
    assert query("SELECT count(*) FROM links WHERE pair = 'contacts' AND hubspot_id = ?", duplicate) == [(0,)]

    assert sync().success  # still held: no create
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE {where}") + soql(
        sandbox, f"SELECT Id FROM Lead WHERE {where}"
    ) == [twin]
