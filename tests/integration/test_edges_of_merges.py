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
from click.testing import CliRunner
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

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # make test-slow


# the contacts' inclusion rule (the shipped mapping)
INCLUDED = "('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')"


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


def _undone_write(sandbox, sync, query, h: str, contact: str, title: str) -> bool:
    """A sync writes `title` to the Contact, `crmsync undo` of that sync puts it back. Returns whether the
    undo began later than Salesforce's stamp of its restore (Salesforce stamps to the second, so an undo
    that began in the same second as its write reads as later than it)."""
    hubspot_edit(sandbox, "contacts", h, jobtitle=title)
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", contact, "Title") == title
    undo = CliRunner().invoke(cli, ["undo", result.run_id, "--yes", "--json"])
    assert undo.exit_code == 0, undo.output
    assert salesforce_value(sandbox, "Contact", contact, "Title") != title
    stamp = str(salesforce_record(sandbox, "Contact", contact)["LastModifiedDate"])
    [(later,)] = query(
        "SELECT started_at > strptime(?, '%Y-%m-%dT%H:%M:%S.%g%z') FROM runs WHERE run_id = ?",
        stamp,
        json.loads(undo.output)["undo_run"],
    )
    return bool(later)


def test_a_contact_merged_after_an_undo_of_a_write_to_it_is_seen_as_merged(sandbox, sync, query, first_sync):
    """Soak s11 p997: an undo restored a field of a linked Contact; the Contact was then merged into a new,
    unlinked survivor. The state's row of the Contact carried the undo's own time (microseconds), later
    than the loser's LastModifiedDate (Salesforce stamps to the second and a delete moves only
    SystemModstamp), so the deleted row read next was taken for a stale one and dropped: crmsync never saw
    the merge, created the survivor in HubSpot as a new person, and the old contact kept a dead link."""
    taken = {h for (h,) in query("SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL")}
    # people the inclusion rule syncs, untouched by the test above
    where = f"""l.salesforce_object = 'Contact' AND h.lifecyclestage IN {INCLUDED}
                AND l.salesforce_id NOT IN (SELECT survivor_id FROM record_merges)"""
    people = [(h, s) for h, _, s in linked(query, "contacts", where) if h not in taken]
    # the undo's clock and Salesforce's second must fall in one second for the row to read as newer;
    # a few people make sure it happens (each try is a real sync and undo, nothing else)
    for tries, (h, contact) in enumerate(people[:5]):
        if _undone_write(sandbox, sync, query, h, contact, f"Undone Title {tries}"):
            break
    else:
        pytest.fail("no undo began in the second of its write in 5 tries")
    before = hubspot_values(sandbox, h)
    survivor = salesforce_create(sandbox, "Contact", FirstName="Merged", LastName="After Undo",
                                 Email="after.undo.s11@edges.example.org")  # fmt: skip
    salesforce_merge(sandbox, "Contact", survivor, contact)
    population = counts(sandbox)
    assert sync().success

    assert link_of(query, h) == [("Contact", survivor)]
    assert salesforce_record(sandbox, "Contact", survivor)["CrmSync_HubSpot_Id__c"] == h
    assert counts(sandbox) == population  # the survivor is not created in HubSpot as someone new
    assert hubspot_values(sandbox, h)["email"] == "after.undo.s11@edges.example.org"
    assert hubspot_values(sandbox, h)["phone"] == before["phone"]
