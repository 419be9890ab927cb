"""Soak findings at the edges of a record's life (issue 15, soak seed 11), through the sandboxes.

p266/p904: in one cycle a person merged a linked Contact B' into a new, unlinked Contact X' (a dedup
tool's survivor), and converted another person's linked Lead into X' (now, in Salesforce, the linked
Contact of the first person). crmsync saw both at once: the conversion moved the Lead's link to X' in
the match stage, so the merge found X' linked and made the Contact's HubSpot record the loser. The
Contact's person lost its link, the Lead's took over the Contact's record and wrote its values into it.
A Contact outranks a Lead (design.md, "One person, a Lead and a Contact"): the merge moves B''s link to
X', and the conversion is a merge of two linked records, the Lead's link closing (review here).
Oracles read the CRMs (REST) and the state file only for links and review items."""

from __future__ import annotations

import json

import pytest
from crm_actions import hubspot_edit, salesforce_value
from sandboxes import Sandbox
from test_merges import counts, hubspot_get, linked, salesforce_merge
from test_merges_and_people import (
    convert_lead,
    hubspot_values,
    link_of,
    salesforce_create,
    salesforce_record,
)

pytestmark = pytest.mark.slow  # make test-slow


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=11)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    assert sync().success


def test_a_contact_merged_into_a_new_survivor_keeps_it_when_a_lead_is_converted_into_it_too(
    sandbox, sync, query, first_sync
):
    h1, contact = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'"))
    h2, lead = next(
        (h, s)
        for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'")
        if not salesforce_value(sandbox, "Lead", s, "IsConverted")
    )
    # a stage in the contacts' inclusion rule: h1's values fill the survivor
    hubspot_edit(sandbox, "contacts", h1, phone="+1 555 0100 904", lifecyclestage="customer")
    assert sync().success
    before_h1, before_h2 = hubspot_values(sandbox, h1), hubspot_values(sandbox, h2)
    survivor = salesforce_create(
        sandbox, "Contact", FirstName="Dedup", LastName="Survivor", Email="kept.s11@edges.example.org",
        Title="Title 1571",
    )  # fmt: skip
    salesforce_merge(sandbox, "Contact", survivor, contact)  # the dedup tool keeps the new record
    convert_lead(sandbox, lead, survivor)  # then another person's Lead goes into that Contact
    population = counts(sandbox)
    assert sync().success

    # the Contact's person follows its merge; the Lead's link closes, a merge item names both
    assert link_of(query, h1) == [("Contact", survivor)]
    assert link_of(query, h2) == []
    [(hubspot_id, detail)] = query(
        "SELECT hubspot_id, detail FROM review_items WHERE item_id = ? AND settled_at IS NULL",
        f"merge:contacts:salesforce:{lead}",
    )
    assert hubspot_id == h2
    assert json.loads(detail)["hubspot_survivor"] == h1
    kept = salesforce_record(sandbox, "Contact", survivor)
    assert kept["CrmSync_HubSpot_Id__c"] == h1
    after_h1 = hubspot_values(sandbox, h1)
    assert (
        hubspot_get(sandbox, "contacts", h1, "crmsync_salesforce_id")["properties"]["crmsync_salesforce_id"]
        == survivor
    )
    # the survivor's own values are its side's changes; HubSpot's values fill what it lacks
    assert after_h1["email"] == "kept.s11@edges.example.org"
    assert after_h1["jobtitle"] == "Title 1571"
    assert after_h1["phone"] == before_h1["phone"] and kept["Phone"]
    assert after_h1["lifecyclestage"] == kept["HubSpot_Lifecycle_Stage__c"] == "customer"
    assert {f: after_h1[f] for f in ("email", "firstname", "lastname", "jobtitle")} == {
        "email": kept["Email"], "firstname": kept["FirstName"], "lastname": kept["LastName"],
        "jobtitle": kept["Title"],
    }  # fmt: skip
    # the Lead's person waits in review untouched: nothing of the survivor written into it
    assert hubspot_values(sandbox, h2) == before_h2
    assert counts(sandbox) == population
    assert sync().success
    assert link_of(query, h1) == [("Contact", survivor)]
    assert hubspot_values(sandbox, h2) == before_h2
