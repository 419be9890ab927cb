"""Who wins when both sides changed a field depends on when each side changed it. Two ways that used to
go wrong (both found by the chaos soak): crmsync's own Salesforce write made a person's older Salesforce
edit look newer than a HubSpot edit, and a record crmsync had just created had no base for the fields
it left empty, so the first edits on both sides were judged as a first link. And a person's later edit
of another Salesforce field made the whole record, this field included, look newer."""

from __future__ import annotations

import time

import pytest
import requests
from crm_actions import (
    hubspot_edit,
    hubspot_value,
    salesforce_edit,
    salesforce_value,
    sync_with_a_hubspot_edit_while_it_writes,
)

pytestmark = pytest.mark.slow  # make test-slow

TOKEN = {"Authorization": "Bearer sandbox-token"}
SKEW = 2.5  # past crmsync's 2 s clock-skew window


@pytest.fixture(scope="module")
def linked_contacts(sandbox, sync, query):
    assert sync().success
    rows = query("""SELECT l.hubspot_id, l.salesforce_id FROM links l
                    JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                    WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
                      AND h.lifecyclestage IN ('salesqualifiedlead', 'customer', 'opportunity')
                    ORDER BY l.hubspot_id LIMIT 2""")
    assert len(rows) == 2
    return rows


def test_crmsyncs_own_salesforce_write_does_not_make_an_older_salesforce_edit_win(
    sandbox, sync, linked_contacts, query
):
    hubspot_id, salesforce_id = linked_contacts[0]
    salesforce_edit(sandbox, "Contact", salesforce_id, LastName="FromSalesforce")  # a person, first
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Ada")  # for crmsync to write to Salesforce
    time.sleep(SKEW)
    # While the next run writes, a person edits the same last name in HubSpot: after the Salesforce
    # edit, before crmsync's write of the first name moves the Salesforce record's LastModifiedDate.
    sync_with_a_hubspot_edit_while_it_writes(sandbox, sync, hubspot_id, lastname="FromHubSpot")
    assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == "Ada"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "FromHubSpot"  # not overwritten

    second = sync()
    assert second.success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "LastName") == "FromHubSpot"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "FromHubSpot"
    conflicts = query(
        "SELECT field, winner, salesforce_value FROM conflicts WHERE run_id = ? AND hubspot_id = ?",
        second.run_id,
        hubspot_id,
    )
    assert conflicts == [("lastname", "hubspot", "FromSalesforce")]


def test_a_later_salesforce_edit_of_another_field_does_not_make_an_older_edit_of_this_one_win(
    sandbox, sync, linked_contacts, query
):
    hubspot_id, salesforce_id = linked_contacts[1]
    salesforce_edit(sandbox, "Contact", salesforce_id, LastName="FromSalesforce")  # a person, first
    time.sleep(SKEW)
    sync_with_a_hubspot_edit_while_it_writes(sandbox, sync, hubspot_id, lastname="FromHubSpot")
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "FromHubSpot"  # not overwritten
    # Later still, a person edits another field of the Salesforce record: the record is now the newer,
    # its last name is not.
    salesforce_edit(sandbox, "Contact", salesforce_id, Title="Head of Things")

    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "LastName") == "FromHubSpot"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Head of Things"
    assert query(
        "SELECT field, winner FROM conflicts WHERE run_id = ? AND hubspot_id = ?", result.run_id, hubspot_id
    ) == [("lastname", "hubspot")]


def test_fields_a_create_left_empty_are_agreed_empty_so_later_edits_are_judged_as_changes(
    sandbox, sync, linked_contacts, query
):
    created = requests.post(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/",
        headers=TOKEN,
        json={
            "LastName": "Hopper",
            "FirstName": "Grace",
            "Email": "grace.hopper@cobol.dev",
            "HubSpot_Lifecycle_Stage__c": "customer",
        },  # within the contacts' HubSpot inclusion rule
        timeout=10,
    ).json()["id"]
    assert sync().success
    [(hubspot_id,)] = query(
        "SELECT hubspot_id FROM links WHERE pair = 'contacts' AND salesforce_id = ?", created
    )
    assert query(
        "SELECT value FROM base_values WHERE pair = 'contacts' AND hubspot_id = ? AND field = 'phone'",
        hubspot_id,
    ) == [(None,)]  # agreed empty, from the create itself

    # phone is prefer_salesforce: as a first link Salesforce would win; as two changes the newer does
    salesforce_edit(sandbox, "Contact", created, Phone="+1 555 0101")
    time.sleep(SKEW)
    hubspot_edit(sandbox, "contacts", hubspot_id, phone="+1 555 0202")
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", created, "Phone") == "+1 555 0202"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "+1 555 0202"
    assert query(
        "SELECT field, winner FROM conflicts WHERE run_id = ? AND hubspot_id = ?", result.run_id, hubspot_id
    ) == [("phone", "hubspot")]
