"""Errors and Sync Health through the sandbox CRMs. One timeline of five syncs, as a user lives it:

A. a Salesforce validation rule rejects a title edited in HubSpot (record V);
B. Salesforce locks every record (UNABLE_TO_LOCK_ROW) while a first name is edited (record T);
C. still locked; D. the lock is gone, V is edited but still rejected; E. V is fixed at its source.

Each test asserts on what the timeline left behind: sync_errors keeps first/last seen and attempts, a
transient failure is retried every run, a rejected record once it changes, and both leave the table
once they sync; `crmsync errors` groups them with the fix; every sync ends with the health report
(an HTML page linked from the asset), the health checks, a published copy of the state file, and an
alert when the API budget crosses its warning mark."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import duckdb
import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, salesforce_value

from crmsync_pipeline.cli.main import cli
from tests.integration.conftest import Sandbox
from tests.orchestration.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow  # make test-slow

INCLUDED = "('salesqualifiedlead', 'customer', 'opportunity', 'marketingqualifiedlead')"
ERRORS_OF = "SELECT error_code, attempts, first_seen, last_seen FROM sync_errors WHERE pair = 'contacts' AND target = 'salesforce' AND record_ref = ?"  # noqa: E501
RULE = {
    "object": "Contact",
    "error_condition": "Title LIKE 'Temp%'",
    "message": "Titles may not be temporary.",
    "field": "Title",
}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=23)
    yield box
    box.stop()


def _salesforce_admin(sandbox, route: str, body: dict) -> None:
    requests.post(f"{sandbox.salesforce.url}/_sandbox/{route}", json=body, timeout=10).raise_for_status()


def _errors_json(*args: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["errors", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def timeline(sandbox, sync, query):
    assert sync().success
    (v_hubspot, v_salesforce), (t_hubspot, t_salesforce) = query(f"""
        SELECT l.hubspot_id, l.salesforce_id FROM links l JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
        WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.lifecyclestage IN {INCLUDED}
          AND l.salesforce_id NOT IN (SELECT record_ref FROM sync_errors)
        ORDER BY l.hubspot_id LIMIT 2""")
    seen: dict = {"V": (v_hubspot, v_salesforce), "T": (t_hubspot, t_salesforce)}

    def errors() -> dict:
        return {name: query(ERRORS_OF, seen[name][1]) for name in ("V", "T")}

    rules = requests.get(f"{sandbox.salesforce.url}/_sandbox/settings", timeout=10).json()["validation_rules"]
    _salesforce_admin(sandbox, "settings", {"validation_rules": [*rules, RULE]})
    hubspot_edit(sandbox, "contacts", v_hubspot, jobtitle="Temp 1")
    assert sync().success
    seen["A"] = errors()

    _salesforce_admin(sandbox, "faults", {"record_failure_rate": 1.0, "path_contains": "composite/sobjects"})
    try:
        hubspot_edit(sandbox, "contacts", t_hubspot, firstname="Locked")
        assert sync().success
        seen["B"] = errors()
        assert sync().success
        seen["C"] = errors()
        seen["C json"] = _errors_json()
        seen["C text"] = CliRunner().invoke(cli, ["errors"]).output
    finally:
        _salesforce_admin(sandbox, "faults", {"record_failure_rate": 0.0, "path_contains": None})

    before = query(
        "SELECT coalesce(sum(calls), 0) FROM api_calls JOIN runs USING (run_id) "
        "WHERE crm = 'salesforce' AND started_at >= now() - INTERVAL 24 HOUR"
    )[0][0]
    seen["limit"] = math.floor((before + 1) / 0.8) + 1  # this run's first calls cross 80% of it
    webhook = WebhookReceiver()
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_ALERT_WEBHOOK_URL", webhook.url)
    mp.setenv("CRMSYNC_SALESFORCE_DAILY_LIMIT", str(seen["limit"]))
    mp.setenv("CRMSYNC_HEALTH_MIN_ATTEMPTS", "2")
    try:
        hubspot_edit(sandbox, "contacts", v_hubspot, jobtitle="Temp 2")  # edited, still rejected
        seen["D"] = sync()
        seen["D errors"] = errors()
        seen["D status"] = CliRunner().invoke(cli, ["status"])
    finally:
        mp.undo()
        webhook.stop()
    seen["alerts"] = webhook.bodies

    hubspot_edit(sandbox, "contacts", v_hubspot, jobtitle="Head of Sync")  # fixed at its source
    assert sync().success
    seen["E"] = errors()
    return seen


def test_a_rejected_record_keeps_its_attempts_and_leaves_once_fixed(sandbox, timeline):
    [(code, attempts, first_seen, last_seen)] = timeline["A"]["V"]
    assert (code, attempts) == ("FIELD_CUSTOM_VALIDATION_EXCEPTION", 1)
    # Sending the same data again cannot cure a validation error: an unchanged record is not resent.
    assert [row[1] for row in timeline["B"]["V"] + timeline["C"]["V"]] == [1, 1]
    [(code, attempts, first_again, last_again)] = timeline["D errors"]["V"]
    assert (code, attempts) == ("FIELD_CUSTOM_VALIDATION_EXCEPTION", 2)
    assert first_again == first_seen and last_again > last_seen
    assert timeline["E"]["V"] == []
    assert salesforce_value(sandbox, "Contact", timeline["V"][1], "Title") == "Head of Sync"


def test_a_transient_failure_is_retried_every_run_and_leaves_once_it_syncs(sandbox, timeline):
    assert [row[:2] for row in timeline["B"]["T"] + timeline["C"]["T"]] == [
        ("UNABLE_TO_LOCK_ROW", 1),
        ("UNABLE_TO_LOCK_ROW", 2),
    ]
    assert timeline["D errors"]["T"] == []
    assert salesforce_value(sandbox, "Contact", timeline["T"][1], "FirstName") == "Locked"


def test_crmsync_errors_groups_by_code_with_the_fix(timeline):
    groups = {g["error_code"]: g for g in timeline["C json"]}
    assert set(groups) == {"FIELD_CUSTOM_VALIDATION_EXCEPTION", "UNABLE_TO_LOCK_ROW"}
    rejected, locked = groups["FIELD_CUSTOM_VALIDATION_EXCEPTION"], groups["UNABLE_TO_LOCK_ROW"]
    assert (
        rejected["target"] == "salesforce" and rejected["records"] == 1 and rejected["pairs"] == ["contacts"]
    )
    assert rejected["samples"][0]["record"] == timeline["V"][1]
    assert "validation rule" in rejected["fix"] and rejected["retried"].startswith(
        "once the source record changes"
    )
    assert locked["most_attempts"] == 2 and locked["retried"] == "every run"
    assert (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION" in timeline["C text"]
        and "UNABLE_TO_LOCK_ROW" in timeline["C text"]
    )
    assert _errors_json("--code", "UNABLE_TO_LOCK_ROW") == []  # gone since D
    assert _errors_json("--pair", "deals") == []


def test_every_sync_reports_health_publishes_a_copy_and_alerts_near_the_cap(timeline):
    result = timeline["D"]
    assert result.success
    [materialization] = result.asset_materializations_for_node("sync_health_report")
    report = Path(materialization.metadata["report"].value)
    assert materialization.metadata["report_url"].value == report.as_uri()
    assert report == Path(os.environ["CRMSYNC_STATE_DB"]).parent / "reports" / "sync_health.html"
    page = report.read_text()
    assert page.count("<svg") == 4 and "FIELD_CUSTOM_VALIDATION_EXCEPTION" in page

    checks = {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path == ["sync_health_report"]
    }
    assert set(checks) == {
        "error_rate",
        "repeated_failures",
        "unmapped_values",
        "api_budget",
        "open_reviews",
        "drift",
        "ping_pong",
    }
    assert not checks["repeated_failures"].passed  # V, rejected twice
    assert timeline["V"][1] in checks["repeated_failures"].metadata["preview"].value
    assert not checks["api_budget"].passed
    drift = checks["drift"].metadata["preview"].value  # the rejected title differs on the two sides
    assert not checks["drift"].passed and timeline["V"][0] in drift and "jobtitle" in drift

    [alert] = [a for a in timeline["alerts"] if a["kind"] == "budget_near_cap"]
    assert alert["detail"]["crm"] == "salesforce" and alert["detail"]["daily_limit"] == timeline["limit"]

    published = Path(materialization.metadata["published_state"].value)
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [result.run_id]).fetchall() == [(1,)]
    finally:
        con.close()

    status = timeline["D status"]
    assert status.exit_code == 0, status.output
    assert "Sync health" in status.output and "Drift" in status.output and "WARN" in status.output
