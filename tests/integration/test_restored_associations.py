"""A contact restored from HubSpot's recycle bin gets its company back (chaos soak, seeds 7 and 11: the most
common discrepancy, "association": Salesforce's Contact keeps its AccountId, the HubSpot contact has no
company). HubSpot drops an archived record's associations and restores none, and it documents nothing about
whether a restore moves the record's modification time, which HubSpot's search (crmsync's incremental read)
filters on; the sandbox setting `restore_moves_modified` plays both. Either way the restore must be seen,
its orphan item settle, and the lookup be judged as a first link: Salesforce's Account fills the empty
HubSpot side. The same after a lost state file rebuilt while the contact sat in the recycle bin (soak s7
p388: rebuild-state never knew the contact, so no link was ever made again). Oracles read the CRMs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from click.testing import CliRunner
from crm_actions import salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.extract.hubspot import HUBSPOT_OVERLAP

pytestmark = pytest.mark.slow

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look at the recycle bin every cycle
    for _ in range(2):
        assert sync().success
    yield
    mp.undo()


@pytest.fixture
def restore_moves_modified(sandbox, request):
    def put(value: bool) -> None:
        url = f"{sandbox.hubspot.url}/_sandbox/settings"
        requests.post(url, json={"restore_moves_modified": value}, timeout=10).raise_for_status()

    put(request.param)
    yield request.param
    put(False)


def archive(sandbox, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def restore(sandbox, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/contacts/{hubspot_id}/restore"
    requests.post(url, timeout=10).raise_for_status()


def companies_of(sandbox, hubspot_id: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{hubspot_id}/associations/companies"
    answer = requests.get(url, headers=TOKEN, timeout=10)
    answer.raise_for_status()
    return {str(r["toObjectId"]) for r in answer.json().get("results", [])}


def person_with_company(query, offset: int) -> tuple[str, str, str, str]:
    """A linked contact (a Salesforce Contact) whose company is linked and associated on both sides:
    (HubSpot contact, Salesforce Contact, HubSpot company, Salesforce Account)."""
    ((person, contact, company, account),) = query(
        """SELECT l.hubspot_id, l.salesforce_id, c.hubspot_id, c.salesforce_id
           FROM links l JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
           JOIN links c ON c.pair = 'companies' AND c.salesforce_id = s."AccountId"
           JOIN hubspot_associations a ON a.from_object = 'contacts' AND a.from_id = l.hubspot_id
                AND a.to_object = 'companies' AND a.to_id = c.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
             AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL)
             AND (SELECT count(*) FROM hubspot_associations x WHERE x.from_object = 'contacts'
                  AND x.from_id = l.hubspot_id AND x.to_object = 'companies') = 1
           ORDER BY 1 LIMIT 1 OFFSET ?""",
        offset,
    )
    return person, contact, company, account


def past_the_search_window(sandbox, sync, hubspot_id: str) -> None:
    """One sync whose incremental window starts after the contact's last modification, as in the soak, where
    a restore came cycles after the archive: a restore that does not move the modification time is then
    invisible to HubSpot's search. (A wait for a known instant: at most the 15 s overlap, nothing raced.)"""
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    answer = requests.get(url, headers=TOKEN, params={"archived": "true"}, timeout=10)
    answer.raise_for_status()
    modified = datetime.fromisoformat(answer.json()["updatedAt"].replace("Z", "+00:00"))
    wait = (modified + HUBSPOT_OVERLAP - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)
    assert sync().success


def open_orphans(query, hubspot_id: str) -> list[str]:
    return [
        i
        for (i,) in query(
            "SELECT item_id FROM review_items WHERE kind = 'orphan' AND hubspot_id = ? AND settled_at IS NULL",
            hubspot_id,
        )
    ]


@pytest.mark.parametrize("restore_moves_modified", [False, True], indirect=True)
def test_a_contact_restored_under_report_gets_its_company_back(
    sandbox, sync, query, first_sync, restore_moves_modified
):
    person, contact, company, account = person_with_company(query, 3 + int(restore_moves_modified))
    archive(sandbox, person)
    assert sync().success
    assert open_orphans(query, person)  # report: nothing written, the orphan waits for a person
    assert salesforce_value(sandbox, "Contact", contact, "AccountId") == account
    past_the_search_window(sandbox, sync, person)

    restore(sandbox, person)  # no edit after it: only the restore tells crmsync the contact is back
    assert sync().success
    assert open_orphans(query, person) == []
    assert query("SELECT resolution FROM review_items WHERE kind = 'orphan' AND hubspot_id = ?", person) == [
        ("restored",)
    ]
    assert companies_of(sandbox, person) == {company}  # HubSpot restored none: Salesforce's Account fills it
    assert salesforce_value(sandbox, "Contact", contact, "AccountId") == account
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        (contact,)
    ]


def test_a_company_restored_under_report_gets_its_contacts_back(sandbox, sync, query, first_sync):
    """HubSpot dropped the archived company's associations and restores none; crmsync never re-read the
    contacts (nothing changed them), so what it last read still names the company: the restore must not
    be taken for contacts that kept it. Each contact whose Salesforce Contact points at the Account is
    associated with the company again."""
    person, _, company, account = person_with_company(query, 9)
    contacts = [
        h
        for (h,) in query(
            """SELECT l.hubspot_id FROM links l JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
               WHERE l.pair = 'contacts' AND s."AccountId" = ? ORDER BY 1""",
            account,
        )
    ]
    assert person in contacts
    requests.delete(
        f"{sandbox.hubspot.url}/crm/v3/objects/companies/{company}", headers=TOKEN, timeout=10
    ).raise_for_status()
    assert sync().success
    assert all(companies_of(sandbox, h) == set() for h in contacts)  # HubSpot dropped them
    url = f"{sandbox.hubspot.url}/crm/v3/objects/companies/{company}"
    answer = requests.get(url, headers=TOKEN, params={"archived": "true"}, timeout=10)
    modified = datetime.fromisoformat(answer.json()["updatedAt"].replace("Z", "+00:00"))
    wait = (modified + HUBSPOT_OVERLAP - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)
    assert sync().success

    requests.post(f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/companies/{company}/restore", timeout=10)
    assert sync().success
    assert {h: companies_of(sandbox, h) for h in contacts} == {h: {company} for h in contacts}
    assert (
        salesforce_value(
            sandbox,
            "Contact",
            query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", person)[0][0],
            "AccountId",
        )
        == account
    )


def test_a_contact_in_the_recycle_bin_when_the_state_file_was_lost_relinks_when_restored(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """Soak s7 p388: archived (orphan under report), then the state file lost and rebuilt while the
    contact is in the recycle bin, then restored: the pair links again and the company comes back."""
    person, contact, company, account = person_with_company(query, 6)
    archive(sandbox, person)
    assert sync().success
    assert open_orphans(query, person)

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    past_the_search_window(sandbox, sync, person)

    restore(sandbox, person)
    assert sync().success
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        (contact,)
    ]
    assert companies_of(sandbox, person) == {company}
    assert salesforce_value(sandbox, "Contact", contact, "AccountId") == account
    assert open_orphans(query, person) == []
