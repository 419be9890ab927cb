"""`crmsync undo RUN_ID` through the sandboxes: a sync carries edits made on both sides across and creates
a record; undoing it puts every field it wrote back on both CRMs, leaves alone (and reports) the field
someone edited again since, archives the record it created, and the next sync writes none of it again."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=7)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def run_b(sandbox, sync, query):
    """First sync, then edits on both sides and a new HubSpot contact, carried across by run B."""
    assert sync().success
    rows = query("""SELECT l.hubspot_id, l.salesforce_id FROM links l
                    JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                    JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
                    WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.phone IS NOT NULL
                      AND s.Title IS NOT NULL AND h.firstname IS NOT NULL
                      AND h.lifecyclestage IN ('salesqualifiedlead', 'customer', 'opportunity', 'marketingqualifiedlead')
                    ORDER BY l.hubspot_id LIMIT 3""")
    assert len(rows) == 3
    (h1, s1), (h2, s2), (h3, s3) = rows
    before = {
        "firstname": hubspot_value(sandbox, "contacts", h1, "firstname"),
        "phone1": salesforce_value(sandbox, "Contact", s1, "Phone"),
        "title": salesforce_value(sandbox, "Contact", s2, "Title"),
        "phone3": hubspot_value(sandbox, "contacts", h3, "phone"),
    }
    hubspot_edit(sandbox, "contacts", h1, firstname="Undo-Firstname")  # two_way: HubSpot -> Salesforce
    salesforce_edit(sandbox, "Contact", s1, Phone="+1 555 0101")  # prefer_salesforce: -> HubSpot
    salesforce_edit(sandbox, "Contact", s2, Title="Undo Title")
    hubspot_edit(sandbox, "contacts", h3, phone="+1 555 0103")
    email = f"undo-{uuid.uuid4().hex[:8]}@example.org"
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": email,
                "firstname": "Una",
                "lastname": "Done",
                "lifecyclestage": "customer",
            }
        },
    ).json()
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", s1, "FirstName") == "Undo-Firstname"
    assert hubspot_value(sandbox, "contacts", h1, "phone") == "+1 555 0101"
    assert hubspot_value(sandbox, "contacts", h2, "jobtitle") == "Undo Title"
    assert salesforce_value(sandbox, "Contact", s3, "Phone") == "+1 555 0103"
    made = query("SELECT salesforce_object, salesforce_id FROM links WHERE hubspot_id = ?", created["id"])
    assert len(made) == 1, "run B should have created the new contact in Salesforce"
    return {"run": result.run_id, "ids": rows, "before": before, "created": (created["id"], *made[0])}


def test_undo_restores_both_sides_and_leaves_fields_changed_since(sandbox, sync, query, run_b):
    (h1, s1), (h2, s2), (h3, s3) = run_b["ids"]
    before = run_b["before"]
    salesforce_edit(sandbox, "Contact", s3, Phone="+1 555 0999")  # someone edits a field B wrote, again

    dry = CliRunner().invoke(cli, ["undo", run_b["run"], "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["undo_run"] is None
    assert salesforce_value(sandbox, "Contact", s1, "FirstName") == "Undo-Firstname"  # nothing written

    result = CliRunner().invoke(cli, ["undo", run_b["run"], "--yes", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [(c["record"], c["field"]) for c in out["changed_since"]] == [(s3, "phone")]
    assert out["archived"] == 1 and out["failed"] == {}

    # every other field B wrote is back to its value before B, on both sides
    for side_value in (
        hubspot_value(sandbox, "contacts", h1, "firstname"),
        salesforce_value(sandbox, "Contact", s1, "FirstName"),
    ):
        assert side_value == before["firstname"]
    assert salesforce_value(sandbox, "Contact", s1, "Phone") == before["phone1"]
    assert hubspot_value(sandbox, "contacts", h1, "phone") == before["phone1"]
    assert salesforce_value(sandbox, "Contact", s2, "Title") == before["title"]
    assert hubspot_value(sandbox, "contacts", h2, "jobtitle") == before["title"]
    # the field edited since is untouched on both sides
    assert salesforce_value(sandbox, "Contact", s3, "Phone") == "+1 555 0999"
    assert hubspot_value(sandbox, "contacts", h3, "phone") == "+1 555 0103"
    # the record B created is gone from Salesforce and unlinked
    hubspot_id, sobject, salesforce_id = run_b["created"]
    gone = requests.get(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}",
        headers=TOKEN,
        timeout=10,
    )
    assert gone.status_code == 404
    assert query("SELECT count(*) FROM links WHERE hubspot_id = ?", hubspot_id) == [(0,)]

    # the undo is a run of its own, and B's writes are marked undone (a second undo finds nothing)
    undo_run = out["undo_run"]
    assert query("SELECT trigger, status FROM runs WHERE run_id = ?", undo_run) == [("undo", "succeeded")]
    assert (
        query("SELECT count(*) FROM audit_log WHERE run_id = ? AND outcome = 'undone'", run_b["run"])[0][0]
        >= 8
    )
    again = json.loads(CliRunner().invoke(cli, ["undo", run_b["run"], "--yes", "--json"]).output)
    assert again["undo_run"] is None and again["fields"].get("restore", 0) == 0

    # the next sync writes nothing for the undone fields and does not create the record again
    following = sync()
    assert following.success
    undone = query(
        """SELECT count(*) FROM plan_rows WHERE run_id = ? AND ((hubspot_id = ? AND field IN ('firstname', 'phone'))
           OR (hubspot_id = ? AND field = 'jobtitle') OR record_ref = ?)""",
        following.run_id,
        h1,
        h2,
        hubspot_id,
    )
    assert undone == [(0,)]
    # only the field edited since flows (Salesforce's newer phone to HubSpot)
    planned = query(
        "SELECT hubspot_id, field, target FROM plan_rows WHERE run_id = ? AND field <> '@xref'",
        following.run_id,
    )
    assert planned == [(h3, "phone", "hubspot")]
