"""Sync Health without CRMs: the checks over a state file holding a known history, the HTML report, the
published copy, and alerts delivered to a real local webhook (run failure, error spike, budget)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest
from webhook_receiver import WebhookReceiver

from crmsync_pipeline.health.queries import (
    CHECKS,
    ERROR,
    OK,
    WARN,
    HealthFinding,
    HealthSettings,
    health_findings,
)
from crmsync_pipeline.health.report import history_charts, render_report
from crmsync_pipeline.orchestration.alerts import Alert, run_alerts, run_failure_alert, send_alert
from crmsync_pipeline.orchestration.build import PLAN_JOB, SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.health import publish_state_copy, published_path
from crmsync_pipeline.state import db

SETTINGS = HealthSettings(salesforce_daily_limit=1_000, hubspot_daily_limit=1_000)


@pytest.fixture
def webhook(monkeypatch):
    receiver = WebhookReceiver()
    monkeypatch.setenv("CRMSYNC_ALERT_WEBHOOK_URL", receiver.url)
    yield receiver
    receiver.stop()


@pytest.fixture
def state(tmp_path):
    """Six runs: five calm ones (1 failure in 20) and a last one where 15 of 20 records failed, spent 900
    Salesforce calls, met an unmapped deal stage; one record has failed four times; one review is open."""
    path = tmp_path / "crmsync.duckdb"
    now = datetime.now(UTC)
    start = max(now - timedelta(minutes=80), now.replace(hour=0, minute=0, second=1))  # all today (UTC)
    with db.connect(path) as con:
        for n in range(6):
            run, at = f"run-{n}", start + timedelta(minutes=15 * n)
            con.execute("INSERT INTO runs VALUES (?, ?, ?, 'succeeded', 'schedule', NULL)", [run, at, at])
            failures = 15 if n == 5 else 1
            for i in range(20):
                failed = i < failures
                con.execute(
                    "INSERT INTO write_results VALUES (?, 'contacts', 'salesforce', ?, 'update', ?, ?, ?, [], ?)",
                    [
                        run,
                        f"rec-{i}",
                        not failed,
                        "REQUIRED_FIELD_MISSING" if failed else None,
                        "missing",
                        at,
                    ],
                )
            con.execute(
                "INSERT INTO api_calls VALUES (?, 'salesforce', 'composite', ?), (?, 'hubspot', 'search', 10)",
                [run, 900 if n == 5 else 0, run],
            )
            con.execute(
                "INSERT INTO conflicts VALUES (?, 'contacts', 'h1', 's1', 'jobtitle', NULL, 'a', 'b', NULL, NULL, "
                "'salesforce', 'two_way:newer', NULL)",
                [run],
            )
        con.execute(
            "INSERT INTO sync_errors VALUES ('contacts', 'salesforce', 'rec-0', 'REQUIRED_FIELD_MISSING', 'm', ?, ?, 4, "
            "'run-5'), ('deals', 'hubspot', 'd-1', 'INVALID_OPTION', 'm', ?, ?, 1, 'run-5')",
            [start, start, start, start],
        )
        con.execute(
            "INSERT INTO value_issues VALUES ('run-5', 'deals', 'hubspot', 'd-1', 'dealstage', 'negotiation2', "
            "'hubspot value ''negotiation2'' is not in the value map', ?), ('run-5', 'deals', 'hubspot', 'd-2', "
            "'dealstage', 'negotiation2', 'hubspot value ''negotiation2'' is not in the value map', ?)",
            [start, start],
        )
        con.execute(
            "INSERT INTO review_items VALUES ('a', 'ambiguous_match', 'contacts', 'h9', ['s8', 's9'], NULL, ?, "
            "'run-5', NULL, NULL), ('b', 'duplicate_lead', 'contacts', 'h7', ['s7'], NULL, ?, 'run-4', ?, 'linked')",
            [start, start, start],
        )
    return path


def test_each_check_names_what_is_wrong_with_its_severity(state):
    findings = health_findings(state, None, settings=SETTINGS)
    assert {name: f.severity for name, f in findings.items()} == {
        "error_rate": ERROR,  # 75% of the last run failed: clearly broken
        "repeated_failures": WARN,
        "unmapped_values": WARN,
        "api_budget": WARN,  # 900 + 0 of 1,000: near, not over
        "open_reviews": WARN,
        "drift": OK,
        "ping_pong": OK,
    }
    assert findings["error_rate"].records() == [
        {
            "pair": "contacts",
            "target": "salesforce",
            "records": 20,
            "failed": 15,
            "error_rate": 0.75,
            "top_code": "REQUIRED_FIELD_MISSING",
        }
    ]
    assert [r["record_ref"] for r in findings["repeated_failures"].records()] == ["rec-0"]
    assert findings["unmapped_values"].rows[0][:5] == ("deals", "hubspot", "dealstage", "negotiation2", 2)
    assert findings["api_budget"].records()[0]["crm"] == "salesforce"
    assert findings["open_reviews"].records()[0]["kind"] == "ambiguous_match"
    assert "rec-0" in findings["repeated_failures"].preview()


def test_over_the_daily_limit_is_an_error(state):
    findings = health_findings(state, None, settings=HealthSettings(salesforce_daily_limit=800))
    assert findings["api_budget"].severity == ERROR


def test_the_report_is_one_offline_page_with_four_charts(state):
    findings = health_findings(state, None, settings=SETTINGS)
    page = render_report(findings, history_charts(state), "test state")
    assert page.count("<svg") == 4
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert "<script" not in page
    for text in (
        "Records synced per run",
        "Errors by code over time",
        "API calls per run",
        "Conflicts per run",
    ):
        assert text in page
    assert "REQUIRED_FIELD_MISSING" in page and "negotiation2" in page


def test_the_published_copy_is_a_read_only_replica(state):
    first = publish_state_copy(state)
    assert first == published_path(state) and first.name == "crmsync_published.duckdb"
    with db.connect(state) as con:
        con.execute("DELETE FROM review_items")
    publish_state_copy(state)  # replaces the earlier copy
    assert stat.S_IMODE(first.stat().st_mode) == 0o400
    con = duckdb.connect(str(first), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM review_items").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM runs").fetchall() == [(6,)]
    finally:
        con.close()


def test_a_spike_and_a_budget_crossing_reach_the_webhook(state, webhook):
    findings = health_findings(state, None, settings=SETTINGS)
    alerts = run_alerts(state, "run-5", findings, SETTINGS)
    assert sorted(a.kind for a in alerts) == ["budget_near_cap", "error_spike"]
    for alert in alerts:
        assert send_alert(alert)
    spike = webhook.of_kind("error_spike")[0]
    assert spike["detail"]["failed"] == 15 and spike["detail"]["top_code"] == "REQUIRED_FIELD_MISSING"
    assert webhook.of_kind("budget_near_cap")[0]["detail"]["crm"] == "salesforce"
    assert webhook.headers[0]["Content-Type"] == "application/json"
    # a calm run alerts nothing: its failures are usual and the budget was already past the mark
    assert run_alerts(state, "run-4", health_findings(state, None, "run-4", SETTINGS), SETTINGS) == []


def test_a_configured_cap_alerts_before_the_limit_does(state, webhook, monkeypatch):
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", "1,000")
    roomy = HealthSettings(salesforce_daily_limit=100_000)
    alerts = run_alerts(state, "run-5", health_findings(state, None, settings=roomy), roomy)
    [budget] = [a for a in alerts if a.kind == "budget_near_cap"]
    assert budget.detail == {"crm": "salesforce", "calls_today": 900, "cap": 1000}
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", "2%")  # of the 100,000 limit: 2,000 calls
    assert [
        a
        for a in run_alerts(state, "run-5", {"api_budget": HealthFinding(CHECKS[3], OK, [], [])}, roomy)
        if a.kind != "error_spike"
    ] == []


def test_alert_bodies_never_carry_secrets(webhook, monkeypatch, caplog):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-very-secret-token")
    message = "HubSpot said 401 for token pat-na1-very-secret-token; header Bearer abc.def.ghi"
    assert send_alert(Alert("run_failure", "crmsync run failed", {"error": message}))
    body = webhook.bodies[0]
    assert "very-secret" not in str(body) and "abc.def.ghi" not in str(body)
    assert "very-secret" not in caplog.text
    assert "crmsync run failed" in caplog.text  # always logged


def test_an_unreachable_webhook_does_not_raise(monkeypatch):
    monkeypatch.setenv("CRMSYNC_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nowhere")
    assert send_alert(Alert("run_failure", "crmsync run failed")) is False


def test_a_failed_run_raises_an_alert(webhook):
    @dg.op
    def write_to_crm() -> None:
        raise RuntimeError("Salesforce is down")

    @dg.job
    def sync() -> None:
        write_to_crm()

    instance = dg.DagsterInstance.ephemeral()
    result = sync.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name="crmsync_run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    run_failure_alert(context)
    [body] = webhook.of_kind("run_failure")
    assert body["detail"]["run_id"] == result.run_id and body["detail"]["job"] == "sync"


def test_the_sync_job_ends_with_the_health_report_and_its_checks():
    definitions = build_definitions()
    sync = definitions.resolve_job_def(SYNC_JOB)
    plan = definitions.resolve_job_def(PLAN_JOB)
    report = dg.AssetKey("sync_health_report")
    assert report in sync.asset_layer.executable_asset_keys
    assert report not in plan.asset_layer.executable_asset_keys
    checks = {k.name for k in sync.asset_layer.asset_graph.asset_check_keys if k.asset_key == report}
    assert checks == {
        "error_rate",
        "repeated_failures",
        "unmapped_values",
        "api_budget",
        "open_reviews",
        "drift",
        "ping_pong",
    }
    assert definitions.resolve_sensor_def("crmsync_run_failure_alert")
