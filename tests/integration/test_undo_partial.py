"""Scenario 1 of issue 15 through the sandboxes: undo of the sync that wrote a HubSpot-born Lead's new
first name ("Ann" -> "Annabel") to Salesforce, with a Lead Status change made in Salesforce in the same
cycle. Undo preflights every restore on both CRMs before writing: a Status restore Salesforce would refuse
(emptying the required Lead Status: REQUIRED_FIELD_MISSING) is reported up front and left out on both
sides, while the first name goes back to "Ann" on both; a restore one CRM refuses at write time is put
back on the side that took it; `crmsync undo` asks before writing; the audit log matches what each CRM
holds (values and HubSpot property history); later syncs keep both sides "Ann"."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from audit_oracle import audit_lies, hubspot_history
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def ann(sandbox, sync, query):
    """A HubSpot-born Lead: Ann, synced as a Salesforce Lead; then "Annabel" in HubSpot and a Lead Status
    change in Salesforce, carried across by one sync (the run to undo)."""
    assert sync().success
    email = f"ann-{uuid.uuid4().hex[:8]}@undo-scenario.org"
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": email,
                "firstname": "Ann",
                "lastname": "Undone",
                "lifecyclestage": "marketingqualifiedlead",
            }
        },
    ).json()
    hubspot_id = created["id"]
    assert sync().success
    ((sobject, lead_id),) = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id
    )
    assert sobject == "Lead"
    status_before = hubspot_value(sandbox, "contacts", hubspot_id, "hs_lead_status")
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Annabel")
    salesforce_edit(sandbox, "Lead", lead_id, Status="Working - Contacted")
    run = sync()
    assert run.success
    assert salesforce_value(sandbox, "Lead", lead_id, "FirstName") == "Annabel"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "hs_lead_status") == "IN_PROGRESS"
    return {"run": run.run_id, "hubspot": hubspot_id, "lead": lead_id, "status_before": status_before}


def test_undo_asks_and_refuses_without_a_terminal(sandbox, ann):
    result = CliRunner().invoke(cli, ["undo", ann["run"]])  # stdin is not a terminal
    assert result.exit_code != 0
    assert "--yes" in result.output
    assert "'Annabel' -> 'Ann'" in result.output  # the plan was shown: side, current -> restored
    assert salesforce_value(sandbox, "Lead", ann["lead"], "FirstName") == "Annabel"  # nothing written


def test_a_restore_refused_at_write_time_is_put_back_on_the_side_that_took_it(sandbox, query, ann):
    # HubSpot refuses every record of the undo's first batch update, after Salesforce took its restore
    # (per-record failures would hit the undo's reads too, so they are switched on by that request)
    url = sandbox.hubspot.url
    hook = {
        "on": {"method": "POST", "contains": "batch/update", "nth": 1},
        "then": {"apply_edits": [{"method": "POST", "url": f"{url}/_sandbox/faults", "json": {"record_failure_rate": 1.0}}]},
    }  # fmt: skip
    requests.post(f"{url}/_sandbox/faults/hooks", json=hook, timeout=10).raise_for_status()
    try:
        result = CliRunner().invoke(cli, ["undo", ann["run"], "--yes", "--json"])
    finally:
        requests.delete(f"{url}/_sandbox/faults/hooks", timeout=10).raise_for_status()
        requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
    assert result.exit_code == 1, result.output
    out = json.loads(result.output)
    assert out["failed"] and out["restored"] == 0 and out["left_apart"] == 0
    # both sides still hold what the run left: nothing moved apart
    assert salesforce_value(sandbox, "Lead", ann["lead"], "FirstName") == "Annabel"
    assert hubspot_value(sandbox, "contacts", ann["hubspot"], "firstname") == "Annabel"
    assert query("SELECT outcome FROM audit_log WHERE run_id = ? AND field = 'FirstName'", ann["run"]) == [
        ("confirmed",)
    ]  # not undone: a later undo can still revert it
    undo_run = out["undo_run"]
    assert audit_lies(sandbox, query, [ann["run"], undo_run], _objects(ann)) == []


def test_undo_restores_the_first_name_and_leaves_out_the_status_restore_salesforce_would_refuse(
    sandbox, sync, query, ann
):
    result = CliRunner().invoke(cli, ["undo", ann["run"], "--yes", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["failed"] == {}
    for value in (
        hubspot_value(sandbox, "contacts", ann["hubspot"], "firstname"),
        salesforce_value(sandbox, "Lead", ann["lead"], "FirstName"),
    ):
        assert value == "Ann"
    left_out = {item["field"]: item for item in out["left_out"]}
    if ann["status_before"] is None:
        # restoring meant emptying the Lead's required Status: reported up front and left out on both
        # sides, so HubSpot keeps the status Salesforce holds
        assert left_out["hs_lead_status"]["error_code"] == "REQUIRED_FIELD_MISSING", out
        assert "Status" in left_out["hs_lead_status"]["note"]
        assert salesforce_value(sandbox, "Lead", ann["lead"], "Status") == "Working - Contacted"
        assert hubspot_value(sandbox, "contacts", ann["hubspot"], "hs_lead_status") == "IN_PROGRESS"
    else:  # the status HubSpot held before the run can be written back on both sides
        assert "hs_lead_status" not in left_out
        assert hubspot_value(sandbox, "contacts", ann["hubspot"], "hs_lead_status") == ann["status_before"]
    assert salesforce_value(sandbox, "Lead", ann["lead"], "Status")  # never emptied

    # the audit log is the truth: HubSpot's history has the restore, each CRM holds the last confirmed
    # value, and the run's first-name write is marked undone
    history = [e["value"] for e in hubspot_history(sandbox, "contacts", ann["hubspot"], "firstname")]
    assert "Ann" in history and "Annabel" in history
    undo_runs = [r for (r,) in query("SELECT run_id FROM runs WHERE trigger = 'undo' ORDER BY started_at")]
    assert audit_lies(sandbox, query, [ann["run"], *undo_runs], _objects(ann)) == []
    assert query("SELECT outcome FROM audit_log WHERE run_id = ? AND field = 'FirstName'", ann["run"]) == [
        ("undone",)
    ]

    # the next syncs keep both sides "Ann" and write no first name again
    for _ in range(2):
        following = sync()
        assert following.success
        assert query(
            "SELECT count(*) FROM plan_rows WHERE run_id = ? AND hubspot_id = ? AND field = 'firstname'",
            following.run_id,
            ann["hubspot"],
        ) == [(0,)]
        assert hubspot_value(sandbox, "contacts", ann["hubspot"], "firstname") == "Ann"
        assert salesforce_value(sandbox, "Lead", ann["lead"], "FirstName") == "Ann"


def _objects(ann: dict) -> dict[str, str]:
    return {ann["hubspot"]: "contacts", ann["lead"]: "Lead"}
