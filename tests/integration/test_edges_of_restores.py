"""Soak finding (issue 15, soak seed 11, p845), through the sandboxes: a HubSpot contact linked to a Lead
is archived (`deletes: report`: an orphan item, nothing written), the Lead is converted in Salesforce
(the link follows to the new Contact), and a person restores the contact from HubSpot's recycle bin
without editing it. HubSpot's search (crmsync's incremental read) finds records by their last-modified
property, which a restore need not move, so crmsync kept the contact archived in its snapshot for good:
the orphan items stayed open, and the contact's cross-reference kept naming the converted Lead. A
restore is seen by the archive check instead: a record it no longer lists is read again by id.
Oracles read the CRMs (REST, SOQL) and the state file only for review items."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_value
from sandboxes import Sandbox
from test_merges import linked
from test_merges_and_people import convert_lead
from test_record_lifecycle import archive_in_hubspot, open_orphans, restore_in_hubspot

pytestmark = pytest.mark.slow  # make test-slow


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=11)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for archives every cycle
    assert sync().success
    yield
    mp.undo()


# the contacts' inclusion rule (the shipped mapping): the edit after the restore must be one that syncs
INCLUDED = "('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')"


def hubspot_modified(sandbox, contact: str, archived: bool = False) -> str:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{contact}"
    params = {"properties": "lastmodifieddate", "archived": str(archived).lower()}
    found = requests.get(
        url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10, params=params
    ).json()
    return str(found["properties"]["lastmodifieddate"])


def test_a_contact_restored_without_an_edit_is_seen_and_follows_its_converted_lead(
    sandbox, sync, query, first_sync
):
    person, lead = next(
        (h, s)
        for h, _, s in linked(
            query, "contacts", f"l.salesforce_object = 'Lead' AND h.lifecyclestage IN {INCLUDED}"
        )
        if not salesforce_value(sandbox, "Lead", s, "IsConverted")
    )
    archive_in_hubspot(sandbox, "contacts", person)
    assert sync().success
    assert [kind for _, kind in open_orphans(query, "contacts", person)] == ["hubspot"]
    contact = convert_lead(sandbox, lead)
    assert sync().success
    archived_at = hubspot_modified(sandbox, person, archived=True)
    restore_in_hubspot(sandbox, "contacts", person)  # and nobody edits it
    assert hubspot_modified(sandbox, person) == archived_at  # what search would find it by
    assert sync().success

    assert open_orphans(query, "contacts", person) == []
    assert hubspot_value(sandbox, "contacts", person, "crmsync_salesforce_id") == contact
    assert salesforce_value(sandbox, "Contact", contact, "CrmSync_HubSpot_Id__c") == person
    # and the link syncs again: an edit crosses
    hubspot_edit(sandbox, "contacts", person, firstname="Phoenix")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", contact, "FirstName") == "Phoenix"
