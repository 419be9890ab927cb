"""What follows a merge, through the sandboxes: a deal's contacts (HubSpot deal-contact associations,
Salesforce OpportunityContactRoles) follow a contact merged on either side, so the deal's contacts agree
on both sides with no failed write and the cycle after writes none; and with `merges: mirror` a mirror
merge the other CRM refused is tried again next cycle, its error kept with the CRM's code, until a
bounded number of failures opens a review item instead."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit
from sandboxes import Sandbox
from test_merges import TOKEN, hubspot_merge, linked, merge_row, merges, salesforce_merge, soql

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

JUNCTION = "@junction:OpportunityContactRole:"


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    assert sync().success


def hubspot_deal_contacts(sandbox, deal: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal}/associations/contacts"
    return {str(r["toObjectId"]) for r in requests.get(url, headers=TOKEN, timeout=10).json()["results"]}


def salesforce_roles(sandbox, opportunity: str) -> set[str]:
    text = f"SELECT ContactId FROM OpportunityContactRole WHERE OpportunityId = '{opportunity}'"
    roles = [r["ContactId"] for r in soql(sandbox, text)["records"]]
    assert len(roles) == len(set(roles)), f"a contact holds two roles on {opportunity}"
    return set(roles)


def deals_of_contacts(query) -> dict[str, set[str]]:
    """Linked HubSpot contact (a Salesforce Contact) -> the linked deals both sides agree it is on."""
    rows = query(
        f"""SELECT c.hubspot_id, b.hubspot_id FROM base_values b
            JOIN links d ON d.pair = 'deals' AND d.hubspot_id = b.hubspot_id
            JOIN links c ON c.pair = 'contacts' AND c.salesforce_object = 'Contact'
             AND c.hubspot_id = replace(b.field, '{JUNCTION}', '')
            WHERE b.pair = 'deals' AND starts_with(b.field, '{JUNCTION}')"""
    )
    found: dict[str, set[str]] = {}
    for contact, deal in rows:
        found.setdefault(contact, set()).add(deal)
    return found


def two_contacts_with_deals(query, taken: set[str]) -> tuple[tuple[str, str], tuple[str, str], set[str]]:
    """(HubSpot id, Contact id) of two linked contacts each on a deal of its own, and those deals."""
    with_deals = deals_of_contacts(query)
    people = [(h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'")
              if with_deals.get(h) and h not in taken]  # fmt: skip
    for i, (c, _) in enumerate(people):
        for d, _ in people[i + 1 :]:
            if with_deals[c].isdisjoint(with_deals[d]):
                partner = dict(people)
                return (c, partner[c]), (d, partner[d]), with_deals[c] | with_deals[d]
    raise AssertionError("the seed should give two linked contacts on different deals")


def assert_deals_agree(sandbox, query, deals: set[str]) -> None:
    """Each deal's HubSpot contacts linked to a Salesforce Contact, through their links, are its contact
    roles in Salesforce (a contact linked to a Lead, or unlinked, has no role to hold)."""
    contact_links = dict(query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' "
                               "AND salesforce_object = 'Contact'"))  # fmt: skip
    for deal in deals:
        [(opportunity,)] = query(
            "SELECT salesforce_id FROM links WHERE pair = 'deals' AND hubspot_id = ?", deal
        )
        hubspot = {contact_links[c] for c in hubspot_deal_contacts(sandbox, deal) if c in contact_links}
        assert hubspot == salesforce_roles(sandbox, opportunity), deal


def junction_writes(query, run_id: str) -> list[tuple]:
    return query("SELECT target, operation, succeeded, error_code FROM write_results WHERE run_id = ? "
                 "AND operation IN ('associate', 'dissociate') ORDER BY ALL", run_id)  # fmt: skip


def assert_rests(sync, query) -> None:
    result = sync()
    assert result.success
    assert junction_writes(query, result.run_id) == []
    assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND NOT succeeded", result.run_id) == [
        (0,)
    ]


def test_deal_contacts_follow_a_contact_merged_in_hubspot(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """Two linked contacts, each on a deal, merged in HubSpot; the Salesforce pair is merged by crmsync:
    both deals now have the survivor on both sides, and no role is added or removed for the loser."""
    merges(tmp_path, monkeypatch, "mirror")
    (c, w), (d, z), deals = two_contacts_with_deals(query, set())
    hubspot_merge(sandbox, "contacts", c, d)
    result = sync()
    assert result.success

    assert merge_row(query, d) == ("hubspot", c, "mirror", z, w, "done", None)
    assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND NOT succeeded", result.run_id) == [
        (0,)
    ]
    assert junction_writes(query, result.run_id) == []  # each CRM moved the loser's roles itself
    for deal in deals:
        assert c in hubspot_deal_contacts(sandbox, deal)
    assert_deals_agree(sandbox, query, deals)
    assert_rests(sync, query)
    assert_deals_agree(sandbox, query, deals)


def test_deal_contacts_follow_a_contact_merged_in_salesforce(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """Two linked Contacts, each on an opportunity, merged in Salesforce (their roles re-parented to the
    master); the HubSpot pair is merged by crmsync: both deals agree on both sides, then rest."""
    merges(tmp_path, monkeypatch, "mirror")
    (c, w), (d, z), deals = two_contacts_with_deals(query, set())
    salesforce_merge(sandbox, "Contact", w, z)
    result = sync()
    assert result.success

    assert merge_row(query, z) == ("salesforce", w, "mirror", d, c, "done", None)
    assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND NOT succeeded", result.run_id) == [
        (0,)
    ]
    assert junction_writes(query, result.run_id) == []  # each CRM moved the loser's roles itself
    for deal in deals:
        assert c in hubspot_deal_contacts(sandbox, deal)
    assert_deals_agree(sandbox, query, deals)
    assert_rests(sync, query)
    assert_deals_agree(sandbox, query, deals)


def test_deal_contacts_follow_a_merge_into_an_unlinked_survivor(sandbox, sync, query, first_sync):
    """A linked contact merged into a new HubSpot contact, another linked Contact merged into a new
    Salesforce Contact: the links move, and the deals keep their contacts on both sides."""
    (c, _), (d, z), deals = two_contacts_with_deals(query, set())
    fresh = requests.post(f"{sandbox.hubspot.url}/crm/v3/objects/contacts", headers=TOKEN, timeout=10,
                          json={"properties": {"firstname": "Fresh", "lastname": "Contact"}}).json()["id"]  # fmt: skip
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/"
    master = requests.post(url, headers=TOKEN, timeout=10, json={"LastName": "Master"}).json()["id"]
    hubspot_merge(sandbox, "contacts", fresh, c)
    salesforce_merge(sandbox, "Contact", master, z)
    result = sync()
    assert result.success

    assert merge_row(query, c)[:3] == ("hubspot", fresh, "relinked")
    assert merge_row(query, z)[:3] == ("salesforce", master, "relinked")
    assert query("SELECT count(*) FROM write_results WHERE run_id = ? AND NOT succeeded", result.run_id) == [
        (0,)
    ]
    assert junction_writes(query, result.run_id) == []
    assert_deals_agree(sandbox, query, deals)
    assert_rests(sync, query)
    assert_deals_agree(sandbox, query, deals)


@pytest.mark.slow
def test_a_removal_after_a_merge_removes_every_role_of_the_survivor(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """Two contacts on one deal, merged in HubSpot: Salesforce's mirrored merge leaves the master two
    roles on the opportunity. Taking the survivor off the deal in HubSpot removes both roles, and the
    contact is not put back on the HubSpot deal from the role left over."""
    merges(tmp_path, monkeypatch, "mirror")
    (c, w), (d, z), _ = two_contacts_with_deals(query, set())
    deal, opportunity = query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'deals' "
                              "ORDER BY hubspot_id DESC LIMIT 1")[0]  # fmt: skip
    for contact in (c, d):
        url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal}/associations/default/contacts/{contact}"
        requests.put(url, headers=TOKEN, timeout=10).raise_for_status()
    hubspot_edit(sandbox, "deals", deal, description="Two people")  # so the deal is read again
    assert sync().success
    assert {w, z} <= salesforce_roles(sandbox, opportunity)

    hubspot_merge(sandbox, "contacts", c, d)
    assert sync().success
    text = (
        f"SELECT Id FROM OpportunityContactRole WHERE OpportunityId = '{opportunity}' AND ContactId = '{w}'"
    )
    assert soql(sandbox, text)["totalSize"] == 2  # Salesforce moved the loser's role to the master

    url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal}/associations/contacts/{c}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()
    hubspot_edit(sandbox, "deals", deal, description="One person left")
    assert sync().success
    assert soql(sandbox, text)["totalSize"] == 0
    assert sync().success
    assert c not in hubspot_deal_contacts(sandbox, deal)
    assert w not in salesforce_roles(sandbox, opportunity)


def test_a_failed_mirror_merge_is_retried_next_cycle(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch, faults
):
    """Salesforce refuses the SOAP merge (5xx): the failure is kept with its code and no review opens;
    the next cycle, with Salesforce answering again, merges the pair."""
    merges(tmp_path, monkeypatch, "mirror")
    (c, w), (d, z), _ = two_contacts_with_deals(query, set())
    faults("salesforce", error_rates={503: 1.0}, path_contains="/Soap/")
    hubspot_merge(sandbox, "contacts", c, d)
    assert sync().success

    side, survivor, action, other_loser, other_survivor, status, code = merge_row(query, d)
    assert (action, status, other_loser, other_survivor) == ("mirror", "failed", z, w)
    assert code, "the CRM's code is kept"
    assert query("SELECT error_code FROM sync_errors WHERE target = 'salesforce' AND record_ref = ?", z) == [
        (code,)
    ]
    assert query("SELECT count(*) FROM review_items WHERE item_id = ?", f"merge:contacts:hubspot:{d}") == [
        (0,)
    ]
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE Id = '{z}'")["totalSize"] == 1

    faults("salesforce", error_rates={})
    assert sync().success
    assert merge_row(query, d)[5:] == ("done", None)
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE Id = '{z}'")["totalSize"] == 0
    assert query("SELECT count(*) FROM sync_errors WHERE record_ref = ?", z) == [(0,)]
    assert query("SELECT count(*) FROM review_items WHERE item_id = ?", f"merge:contacts:hubspot:{d}") == [
        (0,)
    ]


@pytest.mark.slow
def test_a_mirror_merge_failing_every_cycle_goes_to_review(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch, faults
):
    """HubSpot refuses the merge of a Salesforce merge's pair each cycle (a 400 for this record): retried,
    then after the last attempt a review item carries the CRM's code, and crmsync stops calling."""
    from crmsync_pipeline.write.record_merges import MIRROR_ATTEMPTS

    merges(tmp_path, monkeypatch, "mirror")
    (c, w), (d, z), _ = two_contacts_with_deals(query, set())
    faults("hubspot", error_rates={400: 1.0}, path_contains="/merge")
    salesforce_merge(sandbox, "Contact", w, z)
    item = f"merge:contacts:salesforce:{z}"
    for attempt in range(1, MIRROR_ATTEMPTS + 1):
        assert sync().success
        assert merge_row(query, z)[5] == "failed"
        [(attempts, code)] = query("SELECT attempts, error_code FROM sync_errors WHERE target = 'hubspot' "
                                   "AND record_ref = ?", d)  # fmt: skip
        assert attempts == attempt and code == merge_row(query, z)[6]
        opened = query(
            "SELECT detail->>'error_code' FROM review_items WHERE item_id = ? AND settled_at IS NULL", item
        )
        assert opened == ([(code,)] if attempt == MIRROR_ATTEMPTS else [])
    calls = requests.get(f"{sandbox.hubspot.url}/_sandbox/faults/injected", timeout=10).json()
    assert sync().success  # no further attempt
    assert requests.get(f"{sandbox.hubspot.url}/_sandbox/faults/injected", timeout=10).json() == calls
    assert (
        requests.get(f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{d}", headers=TOKEN, timeout=10).json()[
            "id"
        ]
        == d
    )  # not merged
