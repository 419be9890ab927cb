"""Sync Health in Dagster: the health report asset (an HTML page, linked from its metadata) with its
health checks (each an audit query in sql/health/, reported by the asset that ran it), a read-only copy of the state file published
for people and BI tools after each run, and the alerts (run failure, error spike, budget near cap)."""

import os
import shutil
from pathlib import Path

import dagster as dg

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.erasure.rewrite import rewrite_after_erasure
from crmsync_pipeline.health.queries import (
    CHECKS,
    ERROR,
    HealthFinding,
    HealthSettings,
    health_findings,
)
from crmsync_pipeline.health.report import history_charts, render_report, write_report
from crmsync_pipeline.state import db

from .alerts import run_alerts, run_failure_alert, send_alert
from .resources import CrmsyncResource

REPORT_KEY = dg.AssetKey("sync_health_report")


def report_path(state_path: Path) -> Path:
    """<the state file's directory (dagster_home by default)>/reports/sync_health.html"""
    return state_path.resolve().parent / "reports" / "sync_health.html"


def published_path(state_path: Path) -> Path:
    return state_path.resolve().with_name(f"{state_path.stem}_published{state_path.suffix}")


def publish_state_copy(state_path: Path) -> Path:
    """Copy the state file next to itself, atomically (copy to a temp file, then rename), so a reader
    never sees half a file and never holds a lock on the live one. The copy is read-only."""
    with db.connect(state_path) as con:
        con.execute("CHECKPOINT")  # everything in the main file, nothing left in the WAL
    target = published_path(state_path)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(state_path, temp)
    os.chmod(temp, 0o400)
    os.replace(temp, target)
    return target


def rewrite_after_erasures(state_path: Path, run_id: str) -> bool:
    """After an erasure: the state file rewritten without the freed blocks that still hold the person,
    and the published copy (if any) made again from it. True when it happened."""
    if not rewrite_after_erasure(state_path, run_id):
        return False
    if published_path(state_path).exists():
        publish_state_copy(state_path)
    return True


# Columns of the checks' rows holding CRM values (a person's email, name, phone; a CRM's message that
# quotes one): left out of the preview kept in Dagster's run storage, which no erasure can reach. The
# report page and `crmsync status` show them from the state file.
VALUE_COLUMNS = frozenset({"hubspot_value", "salesforce_value", "base_value", "error_message"})


def check_result(finding: HealthFinding) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=REPORT_KEY,
        check_name=finding.check.name,
        passed=finding.passed,
        severity=dg.AssetCheckSeverity.ERROR if finding.severity == ERROR else dg.AssetCheckSeverity.WARN,
        description=finding.check.description,
        metadata={
            "offending rows": len(finding.rows),
            **{k: v if isinstance(v, int | float) else str(v) for k, v in finding.figures.items()},
            "preview": dg.MetadataValue.md(finding.preview(without=VALUE_COLUMNS)),
        },
    )


def health_definitions(mapping: Mapping) -> dg.Definitions:
    @dg.asset(
        name=REPORT_KEY.path[-1],
        group_name="report",
        kinds={"html", "duckdb"},
        # the checks come out of the same queries as the page: computed once, reported with it
        check_specs=[dg.AssetCheckSpec(c.name, asset=REPORT_KEY, description=c.description) for c in CHECKS],
        deps=[dg.AssetKey("sync_summary")],
        description="Sync Health: an HTML page (reports/sync_health.html next to the state file) with the health "
        "checks' figures and charts of records synced per run and direction, errors by code over time, API calls "
        "and conflicts per run. Also publishes a read-only copy of the state file for people and BI tools, and "
        "sends alerts on an error spike or an API budget near its cap.",
    )
    def sync_health_report(
        context: dg.AssetExecutionContext, crmsync: CrmsyncResource
    ) -> dg.MaterializeResult:
        state, settings = crmsync.state_path, HealthSettings.from_env()
        findings = health_findings(state, mapping, context.run.run_id, settings)
        page = render_report(findings, history_charts(state), f"the state file {state.name}")
        path = write_report(report_path(state), page)
        for alert in run_alerts(state, context.run.run_id, findings, settings):
            send_alert(alert, context.log)
        rewrite_after_erasure(state, context.run.run_id)  # an erasure whose own step could not
        published = publish_state_copy(state)
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.path(str(path)),
                "report_url": dg.MetadataValue.url(path.as_uri()),
                "published_state": dg.MetadataValue.path(str(published)),
                **{f"{f.check.name}": f.severity for f in findings.values()},
            },
            check_results=[check_result(f) for f in findings.values()],
        )

    return dg.Definitions(assets=[sync_health_report], sensors=[run_failure_alert])
