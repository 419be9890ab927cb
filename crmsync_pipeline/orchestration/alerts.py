"""Alerts: a failed run, a run held for approval, an error spike, an API budget near its cap. Every alert is logged; it is also
POSTed as JSON to the webhook in CRMSYNC_ALERT_WEBHOOK_URL (Slack, Teams, a pager ...) and mailed when
CRMSYNC_ALERT_SMTP_HOST and CRMSYNC_ALERT_EMAIL_TO are set. Bodies carry codes and counts, never
record data or secrets: any connection secret found in a message is masked before it leaves."""

import logging
import os
import re
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import dagster as dg
import requests

from crmsync_pipeline.connectors.budget import CAP_ENV, Cap
from crmsync_pipeline.connectors.settings import HUBSPOT_VARIABLES, SALESFORCE_VARIABLES
from crmsync_pipeline.health.queries import HealthFinding, HealthSettings
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

WEBHOOK_ENV = "CRMSYNC_ALERT_WEBHOOK_URL"
logger = logging.getLogger("crmsync.alerts")
SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|client_secret|password|sessionid|token)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,]+"
    ),
)


@dataclass(frozen=True)
class Alert:
    kind: str  # run_failure | run_held | error_spike | budget_near_cap
    title: str
    detail: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "source": "crmsync",
            "kind": self.kind,
            "title": scrub(self.title),
            "text": scrub(self.title),  # Slack-compatible incoming webhooks show `text`
            "detail": {k: scrub(v) if isinstance(v, str) else v for k, v in self.detail.items()},
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def scrub(text: str) -> str:
    """Mask connection secrets: the values of the secret environment variables and token-like pairs."""
    for name in (*HUBSPOT_VARIABLES, *SALESFORCE_VARIABLES, "CRMSYNC_ALERT_SMTP_PASSWORD"):
        value = os.environ.get(name, "")
        if len(value) >= 6 and any(s in name for s in ("TOKEN", "SECRET", "PASSWORD")):
            text = text.replace(value, "***")
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def send_alert(alert: Alert, log: Any = None) -> bool:
    """Log the alert, then deliver it; True when a webhook accepted it. Delivery failures are logged,
    never raised: an alert must not fail the run it reports on."""
    body = alert.body()
    (log or logger).warning(f"crmsync alert [{alert.kind}]: {body['title']} {body['detail']}")
    delivered = False
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if url:
        try:
            response = requests.post(url, json=body, timeout=10)
            response.raise_for_status()
            delivered = True
        except requests.RequestException as err:
            (log or logger).error(f"alert webhook failed: {type(err).__name__}")
    if os.environ.get("CRMSYNC_ALERT_SMTP_HOST") and os.environ.get("CRMSYNC_ALERT_EMAIL_TO"):
        try:
            _mail(body)
        except (OSError, smtplib.SMTPException) as err:
            (log or logger).error(f"alert email failed: {type(err).__name__}")
    return delivered


def _mail(body: dict[str, Any]) -> None:
    message = EmailMessage()
    message["Subject"] = f"[crmsync] {body['title']}"
    message["From"] = os.environ.get("CRMSYNC_ALERT_EMAIL_FROM", "crmsync@localhost")
    message["To"] = os.environ["CRMSYNC_ALERT_EMAIL_TO"]
    message.set_content("\n".join([body["title"], ""] + [f"{k}: {v}" for k, v in body["detail"].items()]))
    port = int(os.environ.get("CRMSYNC_ALERT_SMTP_PORT", "25"))
    with smtplib.SMTP(os.environ["CRMSYNC_ALERT_SMTP_HOST"], port, timeout=10) as smtp:
        if os.environ.get("CRMSYNC_ALERT_SMTP_USER"):
            smtp.starttls()
            smtp.login(
                os.environ["CRMSYNC_ALERT_SMTP_USER"], os.environ.get("CRMSYNC_ALERT_SMTP_PASSWORD", "")
            )
        smtp.send_message(message)


def held_alert(run_id: str, job: str, message: str, command: str, by_field: dict[str, int]) -> Alert:
    """A plan held by the approval threshold: what it would change (counts by field, no values) and the
    command that releases it."""
    return Alert(
        "run_held",
        f"crmsync run {run_id} is held for approval: {command}",
        {"run_id": run_id, "job": job, "held": message, "approve": command, "records by field": by_field},
    )


def held_run(run_id: str) -> bool:
    """Whether the state file marks `run_id` held for approval (its failure is that hold, already alerted)."""
    state = db.default_state_path()
    if not state.exists():
        return False
    try:
        with db.connect(state, read_only=True) as con:
            rows = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchall()
    except Exception:  # the file busy or unreadable: report the failure as it is
        return False
    return bool(rows) and rows[0][0] == "held"


def run_alerts(
    state_path: Path, run_id: str, findings: dict[str, HealthFinding], settings: HealthSettings
) -> list[Alert]:
    """The alerts one finished run raises: an error spike, and a CRM whose calls crossed the warning share
    of its daily limit during this run (so one crossing alerts once, not on every run after it)."""
    alerts = []
    with db.connect(state_path) as con:
        spike = con.execute(
            sql("orchestration/error_spike.sql"),
            {"run_id": run_id, "min_failed": settings.spike_min_failed, "factor": 3, "window": 5},
        ).fetchall()
        this_run = dict(
            con.execute(
                "SELECT crm, sum(calls) FROM api_calls WHERE run_id = ? GROUP BY crm", [run_id]
            ).fetchall()
        )
        today = dict(
            con.execute(
                "SELECT a.crm, sum(a.calls) FROM api_calls a JOIN runs r USING (run_id) "
                "WHERE CAST(timezone('UTC', r.started_at) AS DATE) = ? GROUP BY a.crm",
                [datetime.now(UTC).date()],
            ).fetchall()
        )
    for _, failed, usual, top_code in spike:
        alerts.append(
            Alert(
                "error_spike",
                f"crmsync: {failed} records failed to sync in run {run_id} (usually {usual})",
                {"run_id": run_id, "failed": failed, "usual": usual, "top_code": top_code},
            )
        )
    capped = _cap_alerts(today, this_run, settings)
    alerts += capped
    for crm, calls, limit, share in findings["api_budget"].rows:
        before = (calls - int(this_run.get(crm, 0))) / limit
        if before < settings.budget_warn_share and crm not in {a.detail["crm"] for a in capped}:
            alerts.append(
                Alert(
                    "budget_near_cap",
                    f"crmsync: {crm} API calls at {share:.0%} of the daily limit",
                    {"crm": crm, "calls_24h": int(calls), "daily_limit": int(limit), "run_id": run_id},
                )
            )
    return alerts


def _cap_alerts(today: dict[str, Any], this_run: dict[str, Any], settings: HealthSettings) -> list[Alert]:
    """The configured daily cap (CRMSYNC_<CRM>_DAILY_CAP, calls or a share of the daily limit) crossed
    its warning share during this run: a run soon will stop at the cap."""
    limits = {"salesforce": settings.salesforce_daily_limit, "hubspot": settings.hubspot_daily_limit}
    alerts = []
    for crm, env in CAP_ENV.items():
        cap = Cap.parse(os.environ.get(env))
        if cap is None:
            continue
        cap_calls = cap.calls if cap.calls is not None else cap.allowed(limits[crm])
        used = int(today.get(crm, 0))
        before = used - int(this_run.get(crm, 0))
        if cap_calls and before < settings.budget_warn_share * cap_calls <= used:
            alerts.append(
                Alert(
                    "budget_near_cap",
                    f"crmsync: {crm} API calls today at {used / cap_calls:.0%} of crmsync's daily cap",
                    {"crm": crm, "calls_today": used, "cap": cap_calls},
                )
            )
    return alerts


@dg.run_failure_sensor(
    name="crmsync_run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert (log, webhook in CRMSYNC_ALERT_WEBHOOK_URL, optional email) when a crmsync "
    "run fails.",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    if held_run(run.run_id):
        return  # not a failure: the plan_within_threshold check sent a run_held alert with the command
    message = context.failure_event.message or "the run failed"
    send_alert(
        Alert(
            "run_failure",
            f"crmsync run {run.run_id} of job {run.job_name} failed",
            {"run_id": run.run_id, "job": run.job_name, "error": message[:500]},
        ),
        context.log,
    )
