"""The edges of a record's life through the sandbox CRMs (issue 15): a delete reported under `deletes:
report` writes nothing to the other side until a person decides; a re-created record relinks to the
live twin instead of making a duplicate; a restored (undeleted) record is seen, relinked and its edits
cross; a company reaches Salesforce only through records included now. Oracles read the CRMs."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # about nine minutes of syncs: make test-slow

TOKEN = {"Authorization": "Bearer sandbox-token"}
SHIPPED = Path(default_mapping_path()).read_text()
PEOPLE_STAGES = ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def first_sync(crm_env, sync):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for archives every cycle
    for _ in range(2):  # the second reads back what the first created
        assert sync().success
    yield
    mp.undo()


def soql(sandbox, statement: str, deleted: bool = False) -> list[dict]:
    endpoint = "queryAll" if deleted else "query"
    url = f"{sandbox.salesforce.url}/services/data/v59.0/{endpoint}/"
    answer = requests.get(url, headers=TOKEN, params={"q": statement}, timeout=10)
    answer.raise_for_status()
    return answer.json()["records"]


def archive_in_hubspot(sandbox, object_type: str, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/{hubspot_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def delete_in_salesforce(sandbox, sobject: str, salesforce_id: str) -> None:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def hubspot_associated(sandbox, from_object: str, record_id: str, to_object: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/{from_object}/{record_id}/associations/{to_object}"
    body = requests.get(url, headers=TOKEN, timeout=10).json()
    return {str(r["toObjectId"]) for r in body.get("results", [])}


def hubspot_contacts_by_email(sandbox, email: str) -> list[str]:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/search"
    body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]}
    requests.post(f"{sandbox.hubspot.url}/_sandbox/hubspot/search/flush", timeout=10).raise_for_status()
    answer = requests.post(url, headers=TOKEN, json=body, timeout=10)
    answer.raise_for_status()
    return [str(r["id"]) for r in answer.json()["results"]]


def review(*args: str) -> str:
    result = CliRunner().invoke(cli, ["review", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def open_orphans(query, pair: str, hubspot_id: str) -> list[tuple]:
    return query(
        """SELECT item_id, detail->>'deleted_in' FROM review_items
           WHERE kind = 'orphan' AND pair = ? AND hubspot_id = ? AND settled_at IS NULL""",
        pair,
        hubspot_id,
    )


# ---- scenario 2: `deletes: report` writes nothing to the other side ----------------------------------


def test_an_archived_company_under_report_leaves_its_contacts_and_deals_pointing_at_the_account(
    sandbox, sync, query, first_sync
):
    """Archiving a linked HubSpot company drops its associations in HubSpot; under report that is not a
    person clearing each contact's and deal's company: Salesforce keeps every AccountId until the
    person decides, and deciding `--propagate` then deletes the Account."""
    (company, account), *_ = query(
        """SELECT c.hubspot_id, c.salesforce_id FROM links c
           JOIN links p ON p.pair = 'contacts' AND p.salesforce_object = 'Contact'
           JOIN salesforce_contacts_snapshot s ON s.id = p.salesforce_id AND s.AccountId = c.salesforce_id
           JOIN links d ON d.pair = 'deals'
           JOIN salesforce_deals_snapshot o ON o.id = d.salesforce_id AND o.AccountId = c.salesforce_id
           WHERE c.pair = 'companies' GROUP BY ALL ORDER BY count(*) DESC, 1"""
    )
    pointing = "SELECT Id FROM {} WHERE AccountId = '" + account + "' ORDER BY Id"
    contacts, deals = soql(sandbox, pointing.format("Contact")), soql(sandbox, pointing.format("Opportunity"))
    assert contacts and deals
    archive_in_hubspot(sandbox, "companies", company)
    assert sync().success
    assert [i for _, i in open_orphans(query, "companies", company)] == ["hubspot"]
    assert soql(sandbox, pointing.format("Contact")) == contacts  # no AccountId cleared
    assert soql(sandbox, pointing.format("Opportunity")) == deals
    assert sync().success  # and not on a later cycle either
    assert soql(sandbox, pointing.format("Contact")) == contacts
    assert soql(sandbox, pointing.format("Opportunity")) == deals

    ((item, _),) = open_orphans(query, "companies", company)
    assert "propagate" in review("resolve", item, "--propagate")
    assert sync().success
    assert soql(sandbox, f"SELECT Id, IsDeleted FROM Account WHERE Id = '{account}'", deleted=True) == [
        {"attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{account}"},
         "Id": account, "IsDeleted": True}
    ]  # fmt: skip
    assert query("SELECT action FROM deleted_links WHERE pair = 'companies' AND hubspot_id = ?", company) == [
        ("propagated",)
    ]


def test_an_archived_contact_under_report_keeps_its_contact_role_and_task(sandbox, sync, query, first_sync):
    """Archiving a linked HubSpot contact drops its deal and task associations in HubSpot; Salesforce
    keeps the OpportunityContactRole and the Task's WhoId."""
    rows = query(
        """SELECT p.hubspot_id, p.salesforce_id, d.hubspot_id, t.hubspot_id FROM links p
           JOIN salesforce_junctions j ON j.other_id = p.salesforce_id AND NOT j.deleted
           JOIN links d ON d.pair = 'deals' AND d.salesforce_id = j.this_id
           JOIN links t ON t.pair = 'tasks'
           JOIN salesforce_tasks_snapshot k ON k.id = t.salesforce_id AND k.WhoId = p.salesforce_id
           WHERE p.pair = 'contacts' ORDER BY 1 LIMIT 1"""
    )
    assert rows, "the seed has a linked contact with a contact role and a task"
    ((person, contact, deal, task),) = rows
    roles = f"SELECT Id FROM OpportunityContactRole WHERE ContactId = '{contact}' ORDER BY Id"
    tasks = f"SELECT Id FROM Task WHERE WhoId = '{contact}' ORDER BY Id"
    before_roles, before_tasks = soql(sandbox, roles), soql(sandbox, tasks)
    assert before_roles and before_tasks
    archive_in_hubspot(sandbox, "contacts", person)
    # people go on working on the deal and the task: both are read again, without the archived contact
    hubspot_edit(sandbox, "deals", deal, dealname="Renewal, archived contact")
    hubspot_edit(sandbox, "tasks", task, hs_task_subject="Call back, archived contact")
    for _ in range(2):
        assert sync().success
        assert soql(sandbox, roles) == before_roles  # no contact role deleted
        assert soql(sandbox, tasks) == before_tasks  # no WhoId cleared
    assert [i for _, i in open_orphans(query, "contacts", person)] == ["hubspot"]
    (deal_id,) = query("SELECT salesforce_id FROM links WHERE pair = 'deals' AND hubspot_id = ?", deal)[0]
    (task_id,) = query("SELECT salesforce_id FROM links WHERE pair = 'tasks' AND hubspot_id = ?", task)[0]
    assert salesforce_value(sandbox, "Opportunity", deal_id, "Name") == "Renewal, archived contact"
    assert salesforce_value(sandbox, "Task", task_id, "Subject") == "Call back, archived contact"


# ---- scenario 10: a company reaches Salesforce only through records included now ----------------------


def hubspot_create(sandbox, object_type: str, **properties: str) -> str:
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/{object_type}"
    answer = requests.post(url, json={"properties": properties}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["id"])


def hubspot_associate(sandbox, from_object: str, from_id: str, to_object: str, to_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/{from_object}/{from_id}/associations/default/{to_object}/{to_id}"
    requests.put(url, headers=TOKEN, timeout=10).raise_for_status()


def test_a_company_does_not_enter_salesforce_through_a_contact_moved_out_of_the_rule(
    sandbox, sync, query, first_sync
):
    """A synced contact moved back to lifecycle stage `lead` (outside the contacts rule), then associated
    with a new company: the company follows no included record, so no Account is created."""
    stages = ", ".join(f"'{s}'" for s in PEOPLE_STAGES)
    ((person,),) = query(
        f"""SELECT l.hubspot_id FROM links l JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
            WHERE l.pair = 'contacts' AND h.lifecyclestage IN ({stages}) AND NOT coalesce(h._archived, false)
            ORDER BY 1 DESC LIMIT 1"""
    )
    hubspot_edit(sandbox, "contacts", person, lifecyclestage="lead")  # the UI may move a stage backward
    company = hubspot_create(sandbox, "companies", name="Backwater Holdings", domain="backwater-holdings.io")
    hubspot_associate(sandbox, "contacts", person, "companies", company)
    for _ in range(2):
        assert sync().success
        assert soql(sandbox, "SELECT Id FROM Account WHERE Name = 'Backwater Holdings'") == []
    assert query("SELECT count(*) FROM links WHERE pair = 'companies' AND hubspot_id = ?", company) == [(0,)]


# ---- scenario 4: a re-created record relinks to the live twin -------------------------------------------


def test_a_contact_re_created_in_hubspot_relinks_to_the_live_salesforce_twin(
    sandbox, sync, query, first_sync
):
    """A linked HubSpot contact is archived (report: an orphan), then a person creates a new contact with
    the same email: the new contact is linked to the live Salesforce Contact, not created a second time;
    the old link goes to history, the orphan item closes, and an edit of the new contact crosses."""
    stages = ", ".join(f"'{s}'" for s in PEOPLE_STAGES)
    ((person, contact, email),) = query(
        f"""SELECT l.hubspot_id, l.salesforce_id, h.email FROM links l
            JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
            WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.email IS NOT NULL
              AND h.lifecyclestage IN ({stages}) AND NOT coalesce(h._archived, false)
              AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items WHERE pair = 'contacts' AND hubspot_id IS NOT NULL)
            ORDER BY 1 LIMIT 1 OFFSET 3"""
    )
    archive_in_hubspot(sandbox, "contacts", person)
    assert sync().success
    assert [i for _, i in open_orphans(query, "contacts", person)] == ["hubspot"]
    again = hubspot_create(
        sandbox, "contacts", email=email, firstname="Renata", lastname="Again", lifecyclestage="customer"
    )
    assert sync().success
    assert soql(sandbox, f"SELECT Id FROM Contact WHERE Email = '{email}'") == [
        {"attributes": {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{contact}"},
         "Id": contact}
    ]  # fmt: skip
    assert soql(sandbox, f"SELECT Id FROM Lead WHERE Email = '{email}'") == []
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", again) == [
        (contact,)
    ]
    assert query("SELECT action FROM deleted_links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        ("recreated",)
    ]
    assert open_orphans(query, "contacts", person) == []
    assert salesforce_value(sandbox, "Contact", contact, "CrmSync_HubSpot_Id__c") == again
    hubspot_edit(sandbox, "contacts", again, firstname="Renate")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", contact, "FirstName") == "Renate"


def test_a_contact_re_entered_in_salesforce_relinks_to_the_live_hubspot_twin(
    sandbox, sync, query, first_sync
):
    """The mirror: a linked Salesforce Contact is deleted and entered again with the same email."""
    stages = ", ".join(f"'{s}'" for s in PEOPLE_STAGES)
    ((person, contact, email, last),) = query(
        f"""SELECT l.hubspot_id, l.salesforce_id, h.email, s.LastName FROM links l
            JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
            JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
            WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.email IS NOT NULL
              AND h.lifecyclestage IN ({stages}) AND NOT coalesce(h._archived, false)
              AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items WHERE pair = 'contacts' AND hubspot_id IS NOT NULL)
            ORDER BY 1 LIMIT 1 OFFSET 5"""
    )
    delete_in_salesforce(sandbox, "Contact", contact)
    assert sync().success
    assert [i for _, i in open_orphans(query, "contacts", person)] == ["salesforce"]
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/"
    answer = requests.post(url, headers=TOKEN, json={"LastName": last, "Email": email}, timeout=10)
    answer.raise_for_status()
    again = answer.json()["id"]
    assert sync().success
    assert hubspot_contacts_by_email(sandbox, email) == [person]  # no second HubSpot contact
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        (again,)
    ]
    assert open_orphans(query, "contacts", person) == []
    salesforce_edit(sandbox, "Contact", again, Title="Returned Buyer")
    assert sync().success
    assert hubspot_value(sandbox, "contacts", person, "jobtitle") == "Returned Buyer"


# ---- scenario 5: a restored record is seen -------------------------------------------------------------


def restore_in_hubspot(sandbox, object_type: str, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/{object_type}/{hubspot_id}/restore"
    requests.post(url, timeout=10).raise_for_status()


def undelete_in_salesforce(sandbox, sobject: str, salesforce_id: str) -> None:
    url = f"{sandbox.salesforce.url}/_sandbox/salesforce/undelete"
    requests.post(url, json={"object": sobject, "id": salesforce_id}, timeout=10).raise_for_status()


def contacts_policy(tmp_path, monkeypatch, deletes: str) -> None:
    """The shipped mapping with the contacts pair's `deletes:` replaced."""
    head, rest = SHIPPED.split("\n  contacts:\n", 1)
    block, tail = rest.split("\n  deals:\n", 1)
    assert "    deletes: report" in block
    text = f"{head}\n  contacts:\n{block.replace('    deletes: report', f'    deletes: {deletes}')}\n  deals:\n{tail}"
    (tmp_path / "crmsync.yaml").write_text(text)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))


def live_person(query, offset: int) -> tuple[str, str, str]:
    stages = ", ".join(f"'{s}'" for s in PEOPLE_STAGES)
    ((person, contact, email),) = query(
        f"""SELECT l.hubspot_id, l.salesforce_id, h.email FROM links l
            JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
            WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.email IS NOT NULL
              AND h.lifecyclestage IN ({stages}) AND NOT coalesce(h._archived, false)
              AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items
                                       WHERE pair = 'contacts' AND hubspot_id IS NOT NULL)
            ORDER BY 1 LIMIT 1 OFFSET ?""",
        offset,
    )
    return person, contact, email


def test_a_pair_restored_on_both_sides_after_propagate_relinks_and_its_edits_cross(
    sandbox, sync, query, first_sync, tmp_path, monkeypatch
):
    """`deletes: propagate` deleted the Salesforce twin of an archived HubSpot contact; a person restores
    the contact (same id) and undeletes the Contact (same id) and edits both: the two are linked again,
    with no duplicate, and each edit reaches the other side."""
    contacts_policy(tmp_path, monkeypatch, "propagate")
    person, contact, email = live_person(query, 7)
    archive_in_hubspot(sandbox, "contacts", person)
    assert sync().success
    assert soql(sandbox, f"SELECT IsDeleted FROM Contact WHERE Id = '{contact}'", deleted=True)[0][
        "IsDeleted"
    ]
    restore_in_hubspot(sandbox, "contacts", person)
    undelete_in_salesforce(sandbox, "Contact", contact)
    hubspot_edit(sandbox, "contacts", person, firstname="Lazarus")
    salesforce_edit(sandbox, "Contact", contact, Title="Returned from the Recycle Bin")
    for _ in range(2):  # the second: both edits stay, nothing bounces
        assert sync().success
        assert salesforce_value(sandbox, "Contact", contact, "FirstName") == "Lazarus"
        assert hubspot_value(sandbox, "contacts", person, "jobtitle") == "Returned from the Recycle Bin"
        assert [r["Id"] for r in soql(sandbox, f"SELECT Id FROM Contact WHERE Email = '{email}'")] == [
            contact
        ]
        assert soql(sandbox, f"SELECT Id FROM Lead WHERE Email = '{email}'") == []
        assert hubspot_contacts_by_email(sandbox, email) == [person]
    assert query("SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", person) == [
        (contact,)
    ]


def test_a_contact_restored_under_report_closes_its_orphan_and_syncs_again(sandbox, sync, query, first_sync):
    """Under report the archive opened an orphan item and wrote nothing; restoring the contact settles
    the item by itself and the link resumes: an edit made after the restore crosses."""
    person, contact, _ = live_person(query, 9)
    archive_in_hubspot(sandbox, "contacts", person)
    assert sync().success
    assert [i for _, i in open_orphans(query, "contacts", person)] == ["hubspot"]
    restore_in_hubspot(sandbox, "contacts", person)
    hubspot_edit(sandbox, "contacts", person, firstname="Phoenix")
    assert sync().success
    assert open_orphans(query, "contacts", person) == []
    assert query(
        "SELECT resolution FROM review_items WHERE kind = 'orphan' AND pair = 'contacts' AND hubspot_id = ?",
        person,
    ) == [("restored",)]
    assert salesforce_value(sandbox, "Contact", contact, "FirstName") == "Phoenix"
