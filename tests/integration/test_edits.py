"""Edits between syncs, made as users make them (the sandboxes' UI actions), and what the next sync does
with them: one-sided edits propagate, both-sided edits follow the field's rule and leave a conflict,
clears propagate, and a value never set never blanks the other side."""

from __future__ import annotations

import time

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value


@pytest.fixture(scope="module")
def linked_contacts(sandbox, sync, query):
    first = sync()
    assert first.success
    rows = query("""SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
                    JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                    WHERE l.pair = 'contacts' AND h.lifecyclestage IN ('salesqualifiedlead', 'customer', 'opportunity',
                          'marketingqualifiedlead') AND h.phone IS NOT NULL AND h.jobtitle IS NOT NULL
                    ORDER BY l.hubspot_id LIMIT 5""")
    assert len(rows) == 5
    return rows


def test_edits_on_either_side_follow_each_fields_rule(sandbox, sync, linked_contacts, query):
    (h1, o1, s1), (h2, o2, s2), (h3, o3, s3), (h4, o4, s4), (h5, o5, s5) = linked_contacts
    hubspot_edit(sandbox, "contacts", h1, firstname="Renamed-In-HubSpot")  # two_way, HubSpot only
    salesforce_edit(sandbox, o2, s2, Title="Chief Sync Officer")  # prefer_salesforce, SF only
    hubspot_edit(sandbox, "contacts", h3, jobtitle="Title from HubSpot")  # both changed: newer wins
    time.sleep(2.5)  # past the 2 s clock-skew window
    salesforce_edit(sandbox, o3, s3, Title="Title from Salesforce")
    hubspot_edit(sandbox, "contacts", h4, phone="")  # a clear propagates
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, o1, s1, "FirstName") == "Renamed-In-HubSpot"
    assert hubspot_value(sandbox, "contacts", h2, "jobtitle") == "Chief Sync Officer"
    assert hubspot_value(sandbox, "contacts", h3, "jobtitle") == "Title from Salesforce"
    assert salesforce_value(sandbox, o3, s3, "Title") == "Title from Salesforce"
    assert salesforce_value(sandbox, o4, s4, "Phone") is None
    conflicts = query("SELECT hubspot_id, field, winner FROM conflicts WHERE run_id = ?", result.run_id)
    assert conflicts == [(h3, "jobtitle", "salesforce")]


def test_a_value_never_set_never_blanks_the_other_side(sandbox, sync, linked_contacts, query):
    # The same person, unlinked: known in Salesforce with a first name, then added to HubSpot (later, so
    # HubSpot's record is the newer one) without one. The first link must not blank Salesforce.
    token = {"Authorization": "Bearer sandbox-token"}
    created = requests.post(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/",
        headers=token,
        json={"LastName": "Nightingale", "FirstName": "Florence", "Email": "florence@lamp.org"},
        timeout=10,
    ).json()
    time.sleep(2.5)
    contact = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=token,
        timeout=10,
        json={
            "properties": {
                "email": "florence@lamp.org",
                "lastname": "Nightingale",
                "lifecyclestage": "customer",
            }
        },
    ).json()
    result = sync()
    assert result.success
    assert query("SELECT salesforce_id, matched_by FROM links WHERE hubspot_id = ?", contact["id"]) == [
        (created["id"], "email")
    ]
    assert salesforce_value(sandbox, "Contact", created["id"], "FirstName") == "Florence"
    assert hubspot_value(sandbox, "contacts", contact["id"], "firstname") == "Florence"


def test_a_delete_is_reported_as_an_orphan_and_not_propagated(sandbox, sync, linked_contacts, query):
    hubspot_id, sobject, salesforce_id = linked_contacts[0]
    token = {"Authorization": "Bearer sandbox-token"}
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}"
    requests.delete(url, headers=token, timeout=10).raise_for_status()
    result = sync()
    assert result.success
    assert query(
        "SELECT kind, detail->>'deleted_in' FROM review_items WHERE item_id = ?",
        f"orphan:contacts:{hubspot_id}:{salesforce_id}",
    ) == [("orphan", "salesforce")]
    assert hubspot_value(sandbox, "contacts", hubspot_id, "email")  # the HubSpot contact is still there


def test_an_archive_in_hubspot_is_seen_and_reported_as_an_orphan(
    sandbox, sync, linked_contacts, query, monkeypatch
):
    """HubSpot's search never returns archived records: the archived list is read once an interval."""
    hubspot_id, sobject, salesforce_id = linked_contacts[4]
    token = {"Authorization": "Bearer sandbox-token"}
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    requests.delete(url, headers=token, timeout=10).raise_for_status()
    assert sync().success  # within the interval: not looked for yet
    item = f"orphan:contacts:{hubspot_id}:{salesforce_id}"
    assert query("SELECT count(*) FROM review_items WHERE item_id = ?", item) == [(0,)]
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")
    assert sync().success
    assert query("SELECT detail->>'deleted_in' FROM review_items WHERE item_id = ?", item) == [("hubspot",)]
    assert salesforce_value(sandbox, sobject, salesforce_id, "Email")  # not propagated by default


def test_both_changed_is_judged_by_the_property_time_not_the_record_time(
    sandbox, sync, linked_contacts, query
):
    # HubSpot's title edit is older than Salesforce's, but a later HubSpot edit of another field makes the
    # HubSpot record newer: only per-property history tells that Salesforce's title is the newer one.
    hubspot_id, sobject, salesforce_id = linked_contacts[1]
    hubspot_edit(sandbox, "contacts", hubspot_id, jobtitle="Older title from HubSpot")
    time.sleep(2.5)
    salesforce_edit(sandbox, sobject, salesforce_id, Title="Newer title from Salesforce")
    time.sleep(2.5)
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Touched-Later")
    result = sync()
    assert result.success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Newer title from Salesforce"
    assert query("SELECT field, winner FROM conflicts WHERE run_id = ?", result.run_id) == [
        ("jobtitle", "salesforce")
    ]
