"""Merges while syncing, through the sandboxes as users make them (HubSpot's merge API, Salesforce's
merge in its UI): a merge of two linked records merges the other side's pair too (`merges: mirror`,
Salesforce through SOAP) or opens a review item (`merges: review`); a merge whose survivor was unlinked
moves the loser's link; nothing is ever created on the other side, the loser's values stay in the audit
log, and the cycle after rests."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sandboxes import Sandbox

from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # make test-slow

TOKEN = {"Authorization": "Bearer sandbox-token"}
SHIPPED = Path(default_mapping_path()).read_text()
PAIRS = ("companies", "contacts")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=7)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    assert sync().success


def merges(tmp_path, monkeypatch, mode: str) -> None:
    """The shipped mapping with `merges: <mode>` on every pair."""
    assert SHIPPED.count("    deletes: report\n") >= 2
    (tmp_path / "crmsync.yaml").write_text(
        SHIPPED.replace("    deletes: report\n", f"    deletes: report\n    merges: {mode}\n")
    )
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))


def linked(query, pair: str, where: str = "true") -> list[tuple[str, str, str]]:
    """(HubSpot id, Salesforce object, Salesforce id) of live links of the pair, merged ones left out."""
    return query(
        f"""SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
            JOIN hubspot_{pair}_snapshot h ON h.id = l.hubspot_id AND NOT coalesce(h._archived, false)
            JOIN salesforce_{pair}_snapshot s ON s.id = l.salesforce_id AND NOT coalesce(s._deleted, false)
            WHERE l.pair = ? AND l.hubspot_id NOT IN (SELECT survivor_id FROM record_merges)
              AND l.salesforce_id NOT IN (SELECT coalesce(other_survivor_id, '') FROM record_merges)
              AND {where}
            ORDER BY l.hubspot_id""",
        pair,
    )


def accounts_with_contacts(query) -> list[tuple[str, str, str]]:
    return linked(query, "companies", "s.id IN (SELECT \"AccountId\" FROM salesforce_contacts_snapshot "
                                      "WHERE NOT coalesce(_deleted, false))")  # fmt: skip


def hubspot_merge(sandbox, object_type: str, primary: str, other: str) -> None:
    requests.post(f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/merge", headers=TOKEN, timeout=10,
                  json={"primaryObjectId": primary, "objectIdToMerge": other}).raise_for_status()  # fmt: skip


def salesforce_merge(sandbox, sobject: str, master: str, loser: str) -> None:
    requests.post(f"{sandbox.salesforce.url}/_sandbox/salesforce/merge", timeout=10,
                  json={"object": sobject, "master_id": master, "loser_ids": [loser]}).raise_for_status()  # fmt: skip


def soql(sandbox, text: str, all_rows: bool = False) -> dict:
    route = "queryAll" if all_rows else "query"
    url = f"{sandbox.salesforce.url}/services/data/v59.0/{route}/"
    return requests.get(url, headers=TOKEN, params={"q": text}, timeout=10).json()


def hubspot_total(sandbox, object_type: str) -> int:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/search"
    return requests.post(url, headers=TOKEN, json={"limit": 1}, timeout=10).json()["total"]


def hubspot_get(sandbox, object_type: str, record_id: str, props: str = "name") -> dict:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/{record_id}"
    return requests.get(url, headers=TOKEN, params={"properties": props}, timeout=10).json()


def counts(sandbox) -> dict[str, int]:
    return {
        "companies": hubspot_total(sandbox, "companies"),
        "contacts": hubspot_total(sandbox, "contacts"),
        "Account": soql(sandbox, "SELECT COUNT() FROM Account")["totalSize"],
        "Contact": soql(sandbox, "SELECT COUNT() FROM Contact")["totalSize"],
        "Lead": soql(sandbox, "SELECT COUNT() FROM Lead")["totalSize"],
    }


def assert_rests(sync, query) -> None:
    """The cycle after plans and writes nothing for companies and contacts."""
    result = sync()
    assert result.success
    planned = query("SELECT pair, target, record_ref, field, reason FROM plan_rows WHERE run_id = ? "
                    "AND pair IN ('companies', 'contacts') ORDER BY ALL", result.run_id)  # fmt: skip
    assert planned == []
    assert query("SELECT count(*) FROM write_results WHERE run_id = ?", result.run_id) == [(0,)]


def merge_row(query, loser: str) -> tuple:
    [row] = query("SELECT side, survivor_id, action, other_loser_id, other_survivor_id, status, error_code "
                  "FROM record_merges WHERE loser_id = ?", loser)  # fmt: skip
    return row


def test_merges_of_linked_records_are_mirrored(sandbox, sync, query, first_sync, tmp_path, monkeypatch):
    """`merges: mirror`: companies merged in HubSpot -> the two Accounts merged by SOAP (the loser's
    contacts follow); Contacts merged in Salesforce -> the two HubSpot contacts merged."""
    merges(tmp_path, monkeypatch, "mirror")
    (a, _, x), (b, _, y) = accounts_with_contacts(query)[:2]
    (c, _, w), (d, _, z) = linked(query, "contacts", "l.salesforce_object = 'Contact'")[:2]
    children = [r["Id"] for r in soql(sandbox, f"SELECT Id FROM Contact WHERE AccountId = '{y}'")["records"]]
    loser_name = query("SELECT name FROM hubspot_companies_snapshot WHERE id = ?", b)[0][0]
    before = counts(sandbox)
    hubspot_merge(sandbox, "companies", a, b)
    salesforce_merge(sandbox, "Contact", w, z)
    assert sync().success

    assert merge_row(query, b) == ("hubspot", a, "mirror", y, x, "done", None)
    [gone] = soql(sandbox, f"SELECT IsDeleted, MasterRecordId FROM Account WHERE Id = '{y}'", True)["records"]
    assert (gone["IsDeleted"], gone["MasterRecordId"]) == (True, x)
    moved = soql(sandbox, "SELECT Id, AccountId FROM Contact WHERE Id IN ('" + "', '".join(children) + "')")
    assert children and {r["AccountId"] for r in moved["records"]} == {x}
    assert merge_row(query, z) == ("salesforce", w, "mirror", d, c, "done", None)
    assert hubspot_get(sandbox, "contacts", d)["id"] == c  # the loser's id answers with the survivor
    for pair, ids in (("companies", (a, b, x, y)), ("contacts", (c, d, w, z))):
        assert query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = ? AND (hubspot_id IN (?, ?) "
                     "OR salesforce_id IN (?, ?))", pair, *ids) == [(ids[0], ids[2])]  # fmt: skip
    assert counts(sandbox) == {**before, "companies": before["companies"] - 1, "Account": before["Account"] - 1,
                               "contacts": before["contacts"] - 1, "Contact": before["Contact"] - 1}  # fmt: skip
    merged = query(
        "SELECT target, record_id, field, before_value, source_id FROM audit_log WHERE outcome = 'merged'"
    )
    assert ("hubspot", b, "name", loser_name, a) in merged
    assert {(t, r, src) for t, r, _, _, src in merged} >= {
        ("hubspot", b, a), ("salesforce", y, x),
        ("salesforce", z, w), ("hubspot", d, c),
    }  # fmt: skip
    assert query("SELECT count(*) FROM review_items WHERE kind IN ('orphan', 'merge')") == [(0,)]
    assert_rests(sync, query)


def test_merges_of_linked_records_go_to_review(sandbox, sync, query, first_sync, tmp_path, monkeypatch):
    """`merges: review`: the survivor keeps its link, a review item names the other side's two records,
    and nothing is merged or created on the other side."""
    merges(tmp_path, monkeypatch, "review")
    (a, _, x), (b, _, y) = accounts_with_contacts(query)[:2]
    (c, _, w), (d, _, z) = linked(query, "contacts", "l.salesforce_object = 'Contact'")[:2]
    before = counts(sandbox)
    hubspot_merge(sandbox, "companies", a, b)
    salesforce_merge(sandbox, "Contact", w, z)
    assert sync().success

    assert merge_row(query, b) == ("hubspot", a, "review", y, x, "open", None)
    assert merge_row(query, z) == ("salesforce", w, "review", d, c, "open", None)
    items = query("SELECT item_id, hubspot_id, salesforce_ids FROM review_items WHERE kind = 'merge' "
                  "AND settled_at IS NULL ORDER BY item_id")  # fmt: skip
    assert items == [(f"merge:companies:hubspot:{b}", a, [y]), (f"merge:contacts:salesforce:{z}", d, [])]
    assert query("SELECT salesforce_id FROM links WHERE pair = 'companies' AND hubspot_id = ?", a) == [(x,)]
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", c) == [(w,)]
    assert soql(sandbox, f"SELECT Id FROM Account WHERE Id = '{y}'")["totalSize"] == 1  # left for a person
    assert hubspot_get(sandbox, "contacts", d)["id"] == d
    assert counts(sandbox) == {
        **before,
        "companies": before["companies"] - 1,
        "Contact": before["Contact"] - 1,
    }
    kept = query(
        "SELECT DISTINCT record_id FROM audit_log WHERE outcome = 'merged' AND record_id IN (?, ?)", b, z
    )
    assert sorted(kept) == sorted([(b,), (z,)])
    assert_rests(sync, query)

    salesforce_merge(sandbox, "Account", x, y)  # the person does what the items ask
    hubspot_merge(sandbox, "contacts", c, d)
    result = sync()
    assert result.success
    assert query(
        "SELECT resolution FROM review_items WHERE item_id IN (?, ?)", *(i for i, _, _ in items)
    ) == [
        ("merged",),
        ("merged",),
    ]
    assert (merge_row(query, b)[5], merge_row(query, z)[5]) == ("done", "done")
    assert query("SELECT count(*) FROM plan_rows WHERE run_id = ? AND action = 'create'", result.run_id) == [
        (0,)
    ]
    assert query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' AND (hubspot_id IN (?, ?) "
                 "OR salesforce_id IN (?, ?))", c, d, w, z) == [(c, w)]  # fmt: skip


def test_a_merge_into_an_unlinked_survivor_moves_the_link(sandbox, sync, query, first_sync):
    """A linked HubSpot company merged into a new one, a linked Lead merged into a new Lead: the link
    moves to the survivor, its cross-reference follows, and nothing is created on either side."""
    (a, _, x) = accounts_with_contacts(query)[0]
    (b, _, y) = linked(query, "contacts", "l.salesforce_object = 'Lead'")[0]
    company = requests.post(f"{sandbox.hubspot.url}/crm/v3/objects/companies", headers=TOKEN, timeout=10,
                            json={"properties": {"name": "Freshly Made Holdings"}}).json()["id"]  # fmt: skip
    lead = requests.post(f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Lead/", headers=TOKEN,
                         timeout=10, json={"LastName": "Newcomb", "Company": "Newcomb Ltd"}).json()["id"]  # fmt: skip
    hubspot_merge(sandbox, "companies", company, a)  # the linked company is the loser
    salesforce_merge(sandbox, "Lead", lead, y)  # the linked Lead is the loser
    before = counts(sandbox)
    assert sync().success

    assert merge_row(query, a)[:3] == ("hubspot", company, "relinked")
    assert merge_row(query, y)[:3] == ("salesforce", lead, "relinked")
    assert query("SELECT salesforce_id, matched_by FROM links WHERE pair = 'companies' AND hubspot_id = ?",
                 company) == [(x, "merge")]  # fmt: skip
    assert query("SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
                 b) == [("Lead", lead)]  # fmt: skip
    account = soql(sandbox, f"SELECT Name, CrmSync_HubSpot_Id__c FROM Account WHERE Id = '{x}'")["records"][0]
    assert account["CrmSync_HubSpot_Id__c"] == company  # the cross-reference follows the survivor
    assert account["Name"] == "Freshly Made Holdings"  # the survivor's own values, written by the rules
    new_lead = soql(sandbox, f"SELECT CrmSync_HubSpot_Id__c FROM Lead WHERE Id = '{lead}'")["records"][0]
    assert new_lead["CrmSync_HubSpot_Id__c"] == b
    assert counts(sandbox) == before  # nothing created on either side
    assert_rests(sync, query)


def test_merges_when_hubspot_gives_the_survivor_a_new_id(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """The sandbox switch `merge_assigns_new_id` (unconfirmed in the reference): a HubSpot merge's survivor
    is a new record. A user's merge of two linked companies, and crmsync's own mirror of a Salesforce
    Contact merge, both leave one link on the new id and nothing created."""
    merges(tmp_path, monkeypatch, "mirror")
    settings = f"{sandbox.hubspot.url}/_sandbox/settings"
    requests.post(settings, json={"merge_assigns_new_id": True}, timeout=10).raise_for_status()
    try:
        (a, _, x), (b, _, y) = accounts_with_contacts(query)[:2]
        (c, _, w), (d, _, z) = linked(query, "contacts", "l.salesforce_object = 'Contact'")[:2]
        before = counts(sandbox)
        hubspot_merge(sandbox, "companies", a, b)
        company = hubspot_get(sandbox, "companies", a)["id"]
        salesforce_merge(sandbox, "Contact", w, z)
        assert sync().success
        contact = hubspot_get(sandbox, "contacts", c)["id"]
        assert company not in (a, b) and contact not in (c, d)
        assert query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'companies' AND (hubspot_id IN (?, ?, ?) "
                     "OR salesforce_id IN (?, ?))", a, b, company, x, y) == [(company, x)]  # fmt: skip
        assert query("SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' AND (hubspot_id IN (?, ?, ?) "
                     "OR salesforce_id IN (?, ?))", c, d, contact, w, z) == [(contact, w)]  # fmt: skip
        assert soql(sandbox, f"SELECT Id FROM Account WHERE Id = '{y}'")["totalSize"] == 0  # merged by SOAP
        assert counts(sandbox) == {**before, "companies": before["companies"] - 1, "Account": before["Account"] - 1,
                                   "contacts": before["contacts"] - 1, "Contact": before["Contact"] - 1}  # fmt: skip
        assert_rests(sync, query)
    finally:
        requests.post(settings, json={"merge_assigns_new_id": False}, timeout=10).raise_for_status()
