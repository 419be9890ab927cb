"""The approval threshold as a new user meets it (issue 16, scenarios 3-5), each on fresh sandbox CRMs:

- a first sync that would overwrite many values the CRMs already hold is held, shown as `held` (exit code
  3, `crmsync status`, the check in the UI, an alert) with its counts by field and the exact `crmsync
  approve RUN_ID`; approved, it writes exactly what was held, which the CRMs' own values show;
- a sync stopped at the daily API cap in the middle of an approved plan completes over the next runs
  (deals and tasks too) without another approval.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration.alerts import run_failure_alert
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.setup.crm_fields import setup_fields
from tests.orchestration.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
RUN_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def world(monkeypatch, tmp_path):
    """Fresh seeded CRMs (100 people a side, the same shape as the other tests'), set up, never synced;
    a Dagster home of its own so the CLI's runs are kept where the test can read them."""
    box = Sandbox(people=100, seed=11)
    monkeypatch.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", box.hubspot.url)
    monkeypatch.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", box.salesforce.url)
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "crmsync.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("CRMSYNC_CONFIG", raising=False)
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings, meter = ConnectionSettings.from_env(), CallMeter()
    report = setup_fields(
        load_mapping(default_mapping_path()),
        HubSpotConnector(settings.hubspot, meter),
        SalesforceConnector(settings.salesforce, meter),
    )
    assert report.complete, report.for_an_admin
    yield box
    box.stop()


@pytest.fixture
def webhook(monkeypatch):
    receiver = WebhookReceiver()
    monkeypatch.setenv("CRMSYNC_ALERT_WEBHOOK_URL", receiver.url)
    yield receiver
    receiver.stop()


def crmsync(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.output


def sync_job() -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        return (
            build_definitions()
            .resolve_job_def(SYNC_JOB)
            .execute_in_process(instance=instance, raise_on_error=False)
        )


def hubspot_contacts(box: Sandbox, props: list[str]) -> dict[str, dict]:
    found, after = {}, None
    while True:
        params = {"limit": 100, "properties": ",".join(props), **({"after": after} if after else {})}
        body = requests.get(
            f"{box.hubspot.url}/crm/v3/objects/contacts", headers=TOKEN, params=params, timeout=10
        ).json()
        found |= {r["id"]: r["properties"] for r in body["results"]}
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return found


def salesforce_records(box: Sandbox, sobject: str, fields: list[str]) -> dict[str, dict]:
    soql = f"SELECT Id, {', '.join(fields)} FROM {sobject}"
    url, found = f"{box.salesforce.url}/services/data/v59.0/query", {}
    body = requests.get(url, headers=TOKEN, params={"q": soql}, timeout=10).json()
    while True:
        found |= {r["Id"]: r for r in body["records"]}
        if body.get("done", True):
            return found
        body = requests.get(f"{box.salesforce.url}{body['nextRecordsUrl']}", headers=TOKEN, timeout=10).json()


def crm_values(box: Sandbox, rows: list[tuple]) -> dict[tuple[str, str, str], str | None]:
    """(target, record, field) -> the value the CRM itself holds now, for every record of the objects
    the plan rows name and every field they write (associations aside)."""
    fields: dict[tuple[str, str], set[str]] = {}
    for target, _, target_field, _, _, sobject in rows:
        if not target_field.startswith("association:"):
            fields.setdefault((target, sobject if target == "salesforce" else "contacts"), set()).add(
                target_field
            )
    values: dict[tuple[str, str, str], str | None] = {}
    for (target, sobject), wanted in fields.items():
        found = (
            hubspot_contacts(box, sorted(wanted))
            if target == "hubspot"
            else salesforce_records(box, sobject, sorted(wanted))
        )
        values |= {(target, record, f): row.get(f) or None for record, row in found.items() for f in wanted}
    return values


HELD_ROWS = """SELECT target, record_ref, target_field, old_value, new_value, salesforce_object FROM plan_rows
               WHERE run_id = ? AND pair = 'contacts' AND action = 'update' AND field <> '@xref'
                 AND preflight_error IS NULL"""


def test_a_first_sync_that_overwrites_many_values_is_held_shown_as_held_and_approved_writes_exactly_that(
    world, webhook, query
):
    # a careful user looks first: the dry run says it would be held, and how to approve it
    planned = crmsync("plan", code=3)
    assert "held for approval" in planned and "crmsync approve" in planned

    out = crmsync("sync", code=3)
    assert "DagsterAssetCheckFailedError" not in out and "the run failed" not in out
    (run_id,) = set(re.findall(rf"crmsync approve ({RUN_ID})", out))
    status, finished, summary = query(
        "SELECT status, finished_at, summary FROM runs WHERE run_id = ?", run_id
    )[0]
    assert status == "held" and finished is not None
    assert json.loads(summary)["approve"] == f"crmsync approve {run_id}"
    # the message counts, by field, the records whose existing values the plan would change
    ((by_field, records, linked),) = query(
        "SELECT by_field, records_to_overwrite, linked FROM plan_verdicts WHERE run_id = ? AND pair = 'contacts'",
        run_id,
    )
    by_field = json.loads(by_field)
    assert records >= 10 and records > 0.2 * linked
    assert f"change existing values on {records} of {linked} linked records" in out
    for name, count in by_field.items():
        assert f"{name} {count}" in out
    held_rows = query(HELD_ROWS, run_id)
    assert query("SELECT count(*) FROM audit_log WHERE run_id = ? AND pair = 'contacts'", run_id) == [(0,)]

    # shown as held everywhere a user looks: status, the check in the UI, one alert (not a failure alert)
    status_out = crmsync("status")
    assert "Held for approval" in status_out and f"crmsync approve {run_id}" in status_out
    instance = dg.DagsterInstance.get()
    check = next(
        e.dagster_event.event_specific_data
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if e.dagster_event.event_specific_data.asset_key.to_user_string() == "contacts_plan"
    )
    assert not check.passed and f"crmsync approve {run_id}" in check.description
    assert "held for approval" in check.description
    [alert] = webhook.of_kind("run_held")
    assert alert["detail"]["approve"] == f"crmsync approve {run_id}"
    assert alert["detail"]["records by field"] == by_field
    failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
    run_failure_alert(
        dg.build_run_status_sensor_context(
            sensor_name="crmsync_run_failure_alert",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run_id),
        ).for_run_failure()
    )
    assert webhook.of_kind("run_failure") == []

    # approved, the sync writes exactly the held plan: the CRMs changed those values and no other
    before = crm_values(world, held_rows)
    approved = crmsync("approve", run_id)
    assert "contacts: approved the plan of" in approved
    after = crm_values(world, held_rows)
    changed = {key for key, value in before.items() if value is not None and after.get(key) != value}
    planned_overwrites = {
        (t, r, f) for t, r, f, old, *_ in held_rows if old is not None and (t, r, f) in before
    }
    assert changed == planned_overwrites
    for target, record, target_field, old, new, _ in held_rows:
        if target_field.startswith("association:"):
            continue
        assert after[(target, record, target_field)] == new, (target, record, target_field, old)
    # the run that used the approval planned the very rows that were held
    (released,) = query(
        "SELECT used_by_run_id FROM plan_approvals WHERE approved_run_id = ? AND pair = 'contacts'", run_id
    )[0]
    assert sorted(query(HELD_ROWS, released)) == sorted(held_rows)
    assert query("SELECT status FROM runs WHERE run_id = ?", released) == [("succeeded",)]


def test_a_first_sync_stopped_at_the_cap_completes_over_the_next_runs_without_approval(
    world, query, monkeypatch
):
    # room for the reads (each HubSpot object's recycle bin listed too) and the companies: the first sync
    # stops at the cap after the contacts' plan
    monkeypatch.setenv("CRMSYNC_HUBSPOT_DAILY_CAP", "24")
    first = sync_job()
    assert not first.success
    if query("SELECT status FROM runs WHERE run_id = ?", first.run_id) == [("held",)]:
        # the first sync's contacts would change many existing values (the test above): approved once
        crmsync("approve", first.run_id, "--no-sync")
    approvals = query("SELECT count(*) FROM plan_approvals")[0][0]
    monkeypatch.delenv("CRMSYNC_HUBSPOT_DAILY_CAP")

    # a dry run shows what a run spends on HubSpot before it writes, and that the plan goes through
    looked = CliRunner().invoke(cli, ["plan"], env={"COLUMNS": "200"})
    assert looked.exit_code == 0, looked.output
    (plan_run,) = set(re.findall(rf"\(run ({RUN_ID})\)", looked.output))
    ((before_writes,),) = query(
        "SELECT sum(calls) FROM api_calls WHERE run_id = ? AND crm = 'hubspot'", plan_run
    )
    (today,) = query("SELECT calls FROM api_calls_daily WHERE crm = 'hubspot' AND day = current_date")[0]
    # room for the reads and the plan, then one HubSpot write call: the sync stops inside the contacts' writes
    monkeypatch.setenv("CRMSYNC_HUBSPOT_DAILY_CAP", str(today + before_writes + 1))
    stopped = sync_job()
    assert not stopped.success
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    assert status == "stopped" and "hubspot daily API budget reached" in summary
    left = query(
        """SELECT count(*) FROM plan_rows p WHERE run_id = $1 AND pair = 'contacts' AND action = 'update'
             AND field <> '@xref' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = $1
                 AND a.record_id = p.record_ref AND a.outcome = 'confirmed')""",
        stopped.run_id,
    )[0][0]
    assert left > 0  # stopped part way through the contacts' plan
    assert query("SELECT count(*) FROM links WHERE pair IN ('deals', 'tasks')") == [(0,)]

    monkeypatch.delenv("CRMSYNC_HUBSPOT_DAILY_CAP")
    first_resumed = None
    for _ in range(3):  # deals wait for contacts, tasks for deals: a few runs, each without approval
        resumed = sync_job()
        first_resumed = first_resumed or resumed.run_id
        assert resumed.success, query("SELECT status, summary FROM runs WHERE run_id = ?", resumed.run_id)
        if not query(
            "SELECT count(*) FROM plan_rows WHERE run_id = ? AND preflight_error IS NULL", resumed.run_id
        )[0][0]:
            break
    assert query("SELECT count(*) FROM plan_approvals")[0][0] == approvals  # nobody approved again
    assert query(
        "SELECT verdict FROM plan_verdicts WHERE run_id = ? AND pair = 'contacts'", stopped.run_id
    ) == [("approved",)]
    # the first resumed run carried on the stopped plan: those rows were not weighed again
    assert query(
        "SELECT carried_on > 0, verdict FROM plan_verdicts WHERE run_id = ? AND pair = 'contacts'",
        first_resumed,
    ) == [(True, "passed")]
    # complete, by the CRMs themselves: every deal and task is on both sides, each carrying the other's id
    for hubspot_object, sobject in (("deals", "Opportunity"), ("tasks", "Task")):
        hubspot_ids = set()
        after = None
        while True:
            params = {
                "limit": 100,
                "properties": "crmsync_salesforce_id",
                **({"after": after} if after else {}),
            }
            body = requests.get(
                f"{world.hubspot.url}/crm/v3/objects/{hubspot_object}",
                headers=TOKEN,
                params=params,
                timeout=10,
            ).json()
            hubspot_ids |= {(r["id"], r["properties"].get("crmsync_salesforce_id")) for r in body["results"]}
            after = body.get("paging", {}).get("next", {}).get("after")
            if not after:
                break
        salesforce = salesforce_records(world, sobject, ["CrmSync_HubSpot_Id__c"])
        assert hubspot_ids and salesforce
        assert {(h, s) for h, s in hubspot_ids} == {
            (row["CrmSync_HubSpot_Id__c"], record) for record, row in salesforce.items()
        }, hubspot_object


def test_value_map_entries_the_picklists_lack_fail_check_and_are_refused_before_any_call(
    world, query, monkeypatch, tmp_path
):
    """Issue 16 item 6: an industry map entry pointing at "Banks" (Salesforce has "Banking") and a lead
    status key HubSpot does not have are errors of `crmsync check`, naming the entry and the values it
    could use; a sync refuses the value in preflight, and Salesforce never receives it."""
    shipped = Path(default_mapping_path()).read_text()
    broken = shipped.replace("      BANKING: Banking\n", "      BANKING: Banks\n").replace(
        "      NEW: Open - Not Contacted\n", "      NEW_LEAD: Open - Not Contacted\n"
    )
    assert broken.count("Banks") == 1 and "NEW_LEAD" in broken
    (tmp_path / "crmsync.yaml").write_text(broken)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))

    checked = " ".join(crmsync("check", code=1).split())
    assert (
        "objects.companies.fields[3] (industry <-> Industry): value map 'industry' names Salesforce value(s) 'Banks'"
        in checked
    )
    assert "Banking" in checked.split("'Banks'")[1]  # the values it could use
    assert "value map 'lead_status' names HubSpot value(s) 'NEW_LEAD'" in checked
    assert "schemas fit" not in checked

    first = sync_job()
    if query("SELECT status FROM runs WHERE run_id = ?", first.run_id) == [("held",)]:
        crmsync("approve", first.run_id, "--no-sync")  # the first sync's hold (the test above)
        sync_job()
    # a person sets a linked company's industry to Banking in HubSpot; the map says Salesforce "Banks"
    hubspot_id, account = query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l JOIN hubspot_companies_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'companies' AND h.industry IS DISTINCT FROM 'BANKING' ORDER BY 1 LIMIT 1"""
    )[0]
    industry_before = salesforce_records(world, "Account", ["Industry"])[account]["Industry"]
    hubspot_edit(world, "companies", hubspot_id, industry="BANKING")
    result = sync_job()
    assert result.success
    refused = query(
        """SELECT w.error_code FROM write_results w WHERE w.run_id = ? AND w.pair = 'companies'
             AND w.target = 'salesforce' AND w.record_ref = ?""",
        result.run_id,
        account,
    )
    assert refused == [("UNLISTED_PICKLIST_VALUE",)]
    assert query(
        "SELECT preflight_error FROM plan_rows WHERE run_id = ? AND record_ref = ? AND new_value = 'Banks'",
        result.run_id,
        account,
    ) == [("UNLISTED_PICKLIST_VALUE",)]
    # by Salesforce itself: the Account kept its industry, and no Account carries the value nobody chose
    accounts = salesforce_records(world, "Account", ["Industry"])
    assert accounts[account]["Industry"] == industry_before
    assert not [r for r in accounts.values() if r["Industry"] == "Banks"]
