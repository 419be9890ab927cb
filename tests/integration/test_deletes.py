"""Deletes through the sandboxes, by each `deletes:` policy both ways: report (an orphan, nothing
written), propagate (archive in HubSpot / delete in Salesforce), restore (re-created from the other side,
the link moved to the new record); every time the cycle after rests, so a record crmsync deleted never
comes back as a delete to restore. Many deletes in one run stop for approval like mass updates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.orchestration.resources import default_mapping_path

TOKEN = {"Authorization": "Bearer sandbox-token"}
SHIPPED = Path(default_mapping_path()).read_text()


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for archives every cycle
    assert sync().success
    yield
    mp.undo()


@pytest.fixture
def contacts(first_sync, query):
    """Linked (HubSpot id, Salesforce object, Salesforce id) of live contacts, a fresh slice per test."""
    return query(
        """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id AND NOT coalesce(h._archived, false)
           JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id AND NOT coalesce(s._deleted, false)
           WHERE l.pair = 'contacts' AND h.email IS NOT NULL ORDER BY l.hubspot_id"""
    )


def policy(tmp_path, monkeypatch, deletes: str) -> None:
    """The shipped mapping with the contacts pair's `deletes:` replaced."""
    head, rest = SHIPPED.split("\n  contacts:\n", 1)
    block, tail = rest.split("\n  deals:\n", 1)
    assert "    deletes: report" in block
    text = f"{head}\n  contacts:\n{block.replace('    deletes: report', f'    deletes: {deletes}')}\n  deals:\n{tail}"
    # deals and tasks have nothing to do here: paused, each cycle is quicker
    text = text.replace("\n  deals:\n", "\n  deals:\n    paused: true\n").replace(
        "\n  tasks:\n", "\n  tasks:\n    paused: true\n"
    )
    (tmp_path / "crmsync.yaml").write_text(text)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))


def archive_in_hubspot(sandbox, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def delete_in_salesforce(sandbox, sobject: str, salesforce_id: str) -> None:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def hubspot_contact(sandbox, hubspot_id: str, archived: bool = False) -> dict | None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    params = {"archived": str(archived).lower(), "properties": "email,crmsync_salesforce_id"}
    answer = requests.get(url, headers=TOKEN, params=params, timeout=10)
    return answer.json() if answer.status_code == 200 else None


def salesforce_record(sandbox, sobject: str, salesforce_id: str) -> tuple[int, object]:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}"
    answer = requests.get(url, headers=TOKEN, timeout=10)
    return answer.status_code, answer.json()


def assert_rests(sync, query) -> None:
    """The cycle after writes nothing for contacts and plans no delete, restore or create."""
    result = sync()
    assert result.success
    assert query(
        "SELECT count(*) FROM plan_rows WHERE run_id = ? AND pair = 'contacts' AND (reason LIKE 'deletes:%' OR action <> 'update')",
        result.run_id,
    ) == [(0,)]
    assert query(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND pair = 'contacts'", result.run_id
    ) == [(0,)]


def test_report_leaves_both_sides_alone_and_reports_once(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "report")
    (h1, o1, s1), (h2, o2, s2) = contacts[0], contacts[1]
    delete_in_salesforce(sandbox, o1, s1)
    archive_in_hubspot(sandbox, h2)
    assert sync().success
    assert query(
        "SELECT hubspot_id, detail->>'deleted_in' FROM review_items WHERE kind = 'orphan' AND hubspot_id IN (?, ?) ORDER BY 1",
        *sorted([h1, h2]),
    ) == sorted([(h1, "salesforce"), (h2, "hubspot")])
    assert hubspot_contact(sandbox, h1) is not None
    assert salesforce_record(sandbox, o2, s2)[0] == 200
    assert_rests(sync, query)
    assert query(
        "SELECT count(*) FROM review_items WHERE kind = 'orphan' AND hubspot_id IN (?, ?)", h1, h2
    ) == [(2,)]


def test_an_archive_in_hubspot_deletes_in_salesforce_and_never_bounces_back(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_hubspot: delete, deleted_in_salesforce: restore}")
    hubspot_id, sobject, salesforce_id = contacts[2]
    email = hubspot_contact(sandbox, hubspot_id)["properties"]["email"]
    archive_in_hubspot(sandbox, hubspot_id)
    result = sync()
    assert result.success
    status, body = salesforce_record(sandbox, sobject, salesforce_id)
    assert (status, body[0]["errorCode"]) == (404, "ENTITY_IS_DELETED")
    assert query(
        "SELECT operation, succeeded FROM write_results WHERE run_id = ? AND record_ref = ?",
        result.run_id,
        salesforce_id,
    ) == [("delete", True)]
    (before,) = query(
        "SELECT before_value FROM audit_log WHERE run_id = ? AND record_id = ? AND field = '@delete'",
        result.run_id,
        salesforce_id,
    )[0]
    assert json.loads(before)["Email"].lower() == email.lower()  # enough to re-create it by hand
    assert query("SELECT count(*) FROM links WHERE pair = 'contacts' AND hubspot_id = ?", hubspot_id) == [
        (0,)
    ]
    assert query("SELECT action FROM deleted_links WHERE hubspot_id = ?", hubspot_id) == [("propagated",)]
    assert_rests(sync, query)  # the Salesforce delete crmsync made is not restored (policy restore)
    assert salesforce_record(sandbox, sobject, salesforce_id)[0] == 404
    assert hubspot_contact(sandbox, hubspot_id) is None


def test_a_delete_in_salesforce_archives_in_hubspot_and_never_bounces_back(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_salesforce: archive, deleted_in_hubspot: restore}")
    hubspot_id, sobject, salesforce_id = contacts[3]
    delete_in_salesforce(sandbox, sobject, salesforce_id)
    result = sync()
    assert result.success
    assert hubspot_contact(sandbox, hubspot_id) is None
    assert hubspot_contact(sandbox, hubspot_id, archived=True)["archived"] is True
    assert query(
        "SELECT operation, succeeded FROM write_results WHERE run_id = ? AND record_ref = ?",
        result.run_id,
        hubspot_id,
    ) == [("archive", True)]
    assert_rests(sync, query)
    assert hubspot_contact(sandbox, hubspot_id) is None


def test_restore_re_creates_a_record_deleted_in_salesforce(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_salesforce: restore}")
    hubspot_id, sobject, salesforce_id = contacts[4]
    email = hubspot_contact(sandbox, hubspot_id)["properties"]["email"]
    delete_in_salesforce(sandbox, sobject, salesforce_id)
    assert sync().success
    ((new_object, new_id),) = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        hubspot_id,
    )
    assert (new_object, new_id != salesforce_id) == (sobject, True)
    status, body = salesforce_record(sandbox, sobject, new_id)
    assert status == 200 and body["Email"].lower() == email.lower()
    assert body["CrmSync_HubSpot_Id__c"] == hubspot_id
    assert hubspot_contact(sandbox, hubspot_id)["properties"]["crmsync_salesforce_id"] == new_id
    assert query("SELECT action FROM deleted_links WHERE salesforce_id = ?", salesforce_id) == [("restored",)]
    assert_rests(sync, query)


def test_restore_re_creates_a_record_archived_in_hubspot(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_hubspot: restore}")
    hubspot_id, sobject, salesforce_id = contacts[5]
    email = hubspot_contact(sandbox, hubspot_id)["properties"]["email"]
    archive_in_hubspot(sandbox, hubspot_id)
    assert sync().success
    ((new_id,),) = query(
        "SELECT hubspot_id FROM links WHERE pair = 'contacts' AND salesforce_id = ?", salesforce_id
    )
    assert new_id != hubspot_id
    restored = hubspot_contact(sandbox, new_id)
    assert restored["properties"]["email"].lower() == email.lower()
    assert restored["properties"]["crmsync_salesforce_id"] == salesforce_id
    assert salesforce_record(sandbox, sobject, salesforce_id)[1]["CrmSync_HubSpot_Id__c"] == new_id
    assert_rests(sync, query)


def test_a_delete_salesforce_refuses_keeps_its_code_and_the_link(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_hubspot: delete}")
    hubspot_id, sobject, salesforce_id = contacts[-1]
    settings = f"{sandbox.salesforce.url}/_sandbox/settings"
    requests.post(settings, json={"read_only_record_ids": [salesforce_id]}, timeout=10).raise_for_status()
    try:
        archive_in_hubspot(sandbox, hubspot_id)
        result = sync()
    finally:
        requests.post(settings, json={"read_only_record_ids": []}, timeout=10).raise_for_status()
    assert result.success
    assert query(
        "SELECT operation, succeeded, error_code FROM write_results WHERE run_id = ? AND record_ref = ?",
        result.run_id,
        salesforce_id,
    ) == [("delete", False, "INSUFFICIENT_ACCESS_OR_READONLY")]
    assert query("SELECT error_code FROM sync_errors WHERE record_ref = ?", salesforce_id) == [
        ("INSUFFICIENT_ACCESS_OR_READONLY",)
    ]
    assert query("SELECT count(*) FROM links WHERE hubspot_id = ?", hubspot_id) == [
        (1,)
    ]  # tried again next run
    assert salesforce_record(sandbox, sobject, salesforce_id)[0] == 200


def test_many_deletes_stop_for_approval_then_approve_writes_them(
    sandbox, sync, query, contacts, tmp_path, monkeypatch
):
    policy(tmp_path, monkeypatch, "{deleted_in_salesforce: archive}")
    linked = query("SELECT count(*) FROM links WHERE pair = 'contacts'")[0][0]
    doomed = contacts[6 : 6 + max(10, int(linked * 0.2) + 1)]
    assert len(doomed) >= 10
    for _, sobject, salesforce_id in doomed:
        delete_in_salesforce(sandbox, sobject, salesforce_id)
    held = sync()
    assert not held.success
    assert query(
        "SELECT count(DISTINCT record_ref) FROM plan_rows WHERE run_id = ? AND action = 'archive'",
        held.run_id,
    ) == [(len(doomed),)]
    assert all(hubspot_contact(sandbox, h) is not None for h, _, _ in doomed)  # nothing written
    plan = CliRunner().invoke(cli, ["approve", held.run_id, "--pair", "contacts", "--no-sync"])
    assert plan.exit_code == 0, plan.output
    released = sync()
    assert released.success
    assert all(hubspot_contact(sandbox, h) is None for h, _, _ in doomed)
    assert query(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND operation = 'archive' AND succeeded",
        released.run_id,
    ) == [(len(doomed),)]
    assert_rests(sync, query)


def test_a_merge_loser_in_salesforce_is_not_a_delete(sandbox, sync, query, contacts, tmp_path, monkeypatch):
    policy(tmp_path, monkeypatch, "{deleted_in_salesforce: archive}")
    contact_links = [c for c in contacts[-6:] if c[1] == "Contact"]
    (_, _, master), (h2, _, loser) = contact_links[0], contact_links[1]
    url = f"{sandbox.salesforce.url}/_sandbox/salesforce/merge"
    requests.post(
        url, json={"object": "Contact", "master_id": master, "loser_ids": [loser]}, timeout=10
    ).raise_for_status()
    result = sync()
    assert result.success
    assert hubspot_contact(sandbox, h2) is not None  # never archived for a merge
    assert query(
        "SELECT count(*) FROM plan_rows WHERE run_id = ? AND record_ref = ? AND action = 'archive'",
        result.run_id,
        h2,
    ) == [(0,)]
