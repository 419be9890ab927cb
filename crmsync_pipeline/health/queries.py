"""Sync Health: each check is an audit, a query in `sql/health/*.sql` that returns the offending rows
(none means healthy). The Dagster asset checks, the health report and `crmsync status` all read these
findings, so the UI, the HTML page and the terminal show the same figures."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.health.drift import drift_rows
from crmsync_pipeline.health.drift_cycles import (
    DRIFT_CYCLES,
    DriftRow,
    count_cycles,
    cycles_of,
    settle_converged,
    under_review,
)
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted

OK, WARN, ERROR = "OK", "WARN", "ERROR"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip().rstrip("%")
    if not raw:
        return default
    value = float(raw.replace(",", "").replace("_", ""))
    return value / 100 if os.environ[name].strip().endswith("%") else value


@dataclass(frozen=True)
class HealthSettings:
    """Thresholds and daily limits; each can be set by environment variable (named in from_env)."""

    # Salesforce: 100,000 is the base allocation of Enterprise orgs; HubSpot: the daily limit of a
    # private app on Professional. Set the real figures of your accounts.
    salesforce_daily_limit: int = 100_000
    hubspot_daily_limit: int = 625_000
    max_error_rate: float = 0.05
    error_rate_is_error: float = 0.5
    min_attempts: int = 3
    budget_warn_share: float = 0.8
    spike_min_failed: int = 10

    @classmethod
    def from_env(cls) -> HealthSettings:
        d = cls()
        return cls(
            salesforce_daily_limit=int(
                _env_number("CRMSYNC_SALESFORCE_DAILY_LIMIT", d.salesforce_daily_limit)
            ),
            hubspot_daily_limit=int(_env_number("CRMSYNC_HUBSPOT_DAILY_LIMIT", d.hubspot_daily_limit)),
            max_error_rate=_env_number("CRMSYNC_HEALTH_MAX_ERROR_RATE", d.max_error_rate),
            min_attempts=int(_env_number("CRMSYNC_HEALTH_MIN_ATTEMPTS", d.min_attempts)),
            budget_warn_share=_env_number("CRMSYNC_HEALTH_BUDGET_WARN_SHARE", d.budget_warn_share),
            spike_min_failed=int(_env_number("CRMSYNC_ALERT_SPIKE_MIN_FAILED", d.spike_min_failed)),
        )


@dataclass(frozen=True)
class HealthCheck:
    name: str
    title: str
    description: str


CHECKS = (
    HealthCheck("error_rate", "Error rate", "The share of records that failed to write in the last run."),
    HealthCheck(
        "repeated_failures", "Failing run after run", "Records still failing after several attempts."
    ),
    HealthCheck(
        "unmapped_values",
        "Values not mapped",
        "Stage, picklist or owner values seen in the data that the mapping cannot carry.",
    ),
    HealthCheck("api_budget", "API calls vs daily limit", "API calls over the last 24 hours per CRM."),
    HealthCheck("open_reviews", "Awaiting review", "Conflicts, ambiguous matches and duplicates to settle."),
    HealthCheck("drift", "Drift", "Linked records whose mapped fields still differ after the sync."),
    HealthCheck(
        "ping_pong",
        "Ping-pong held",
        "Fields crmsync stopped writing because CRM automation kept turning them around (on both sides, "
        "or on one side against an always_* direction).",
    ),
)


@dataclass
class HealthFinding:
    check: HealthCheck
    severity: str  # OK | WARN | ERROR
    columns: list[str]
    rows: list[tuple]
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.severity == OK

    def preview(self, limit: int = 10, without: frozenset[str] = frozenset()) -> str:
        """The first offending rows as a markdown table, `without` those columns."""
        if not self.rows:
            return "none"
        shown = [i for i, c in enumerate(self.columns) if c not in without]
        lines = ["| " + " | ".join(self.columns[i] for i in shown) + " |", "|" + "---|" * len(shown)]
        for row in self.rows[:limit]:
            lines.append("| " + " | ".join(_cell(row[i]) for i in shown) + " |")
        if len(self.rows) > limit:
            lines.append(f"\n... and {len(self.rows) - limit} more")
        return "\n".join(lines)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "/").replace("\n", " ")[:60]


def _audit(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    cursor = con.execute(sql(f"health/{name}.sql"), params or {})
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def latest_run(con: duckdb.DuckDBPyConnection, with_writes: bool = False) -> str | None:
    table = "write_results" if with_writes else "runs"
    row = con.execute(
        f"SELECT r.run_id FROM runs r WHERE r.run_id IN (SELECT run_id FROM {quoted(table)}) "
        "ORDER BY r.started_at DESC LIMIT 1"
    ).fetchall()
    return row[0][0] if row else None


def health_findings(
    state_path: Path,
    mapping: Mapping | None,
    run_id: str | None = None,
    settings: HealthSettings | None = None,
    *,
    read_only: bool = False,
) -> dict[str, HealthFinding]:
    """Every check's finding, by check name. `run_id` is the run under check (default: the latest)."""
    settings = settings or HealthSettings.from_env()
    checks = {c.name: c for c in CHECKS}
    with db.connect(state_path, read_only=read_only) as con:
        if (
            run_id
            and not con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
        ):
            run_id = None  # checks launched on their own check the latest sync
        return {
            "error_rate": _error_rate(con, checks["error_rate"], settings, run_id or latest_run(con, True)),
            "repeated_failures": _repeated_failures(con, checks["repeated_failures"], settings),
            "unmapped_values": _unmapped_values(con, checks["unmapped_values"], run_id or latest_run(con)),
            "api_budget": _budget(con, checks["api_budget"], settings),
            "open_reviews": _open_reviews(con, checks["open_reviews"]),
            "drift": _drift(con, checks["drift"], mapping, None if read_only else run_id),
            "ping_pong": _ping_pong(con, checks["ping_pong"]),
        }


def _error_rate(
    con: duckdb.DuckDBPyConnection, check: HealthCheck, settings: HealthSettings, write_run: str | None
) -> HealthFinding:
    columns, rows = _audit(con, "error_rate", {"run_id": write_run, "max_share": settings.max_error_rate})
    totals = con.execute(
        "SELECT count(DISTINCT pair || target || record_ref), "
        "count(DISTINCT pair || target || record_ref) FILTER (WHERE NOT succeeded) "
        "FROM write_results WHERE run_id = ?",
        [write_run],
    ).fetchall()[0]
    rate = round(totals[1] / totals[0], 4) if totals[0] else 0.0
    worst = max((r[4] for r in rows), default=0.0)
    return HealthFinding(
        check,
        ERROR if worst >= settings.error_rate_is_error else WARN if rows else OK,
        columns,
        rows,
        {"run": write_run, "records": totals[0], "failed": totals[1], "error rate": rate},
    )


def _repeated_failures(
    con: duckdb.DuckDBPyConnection, check: HealthCheck, settings: HealthSettings
) -> HealthFinding:
    columns, rows = _audit(con, "repeated_failures", {"min_attempts": settings.min_attempts})
    open_errors = con.execute("SELECT count(*) FROM sync_errors").fetchall()[0][0]
    figures = {
        "records failing": len(rows),
        "min attempts": settings.min_attempts,
        "open errors": open_errors,
    }
    return HealthFinding(check, WARN if rows else OK, columns, rows, figures)


def _unmapped_values(
    con: duckdb.DuckDBPyConnection, check: HealthCheck, plan_run: str | None
) -> HealthFinding:
    columns, rows = _audit(con, "unmapped_values", {"run_id": plan_run})
    figures = {"values": len(rows), "records": sum(r[4] for r in rows)}
    return HealthFinding(check, WARN if rows else OK, columns, rows, figures)


def _open_reviews(con: duckdb.DuckDBPyConnection, check: HealthCheck) -> HealthFinding:
    columns, rows = _audit(con, "open_reviews")
    return HealthFinding(check, WARN if rows else OK, columns, rows, {"items": sum(r[2] for r in rows)})


def _drift(
    con: duckdb.DuckDBPyConnection, check: HealthCheck, mapping: Mapping | None, counted_run: str | None
) -> HealthFinding:
    """Fields a person is already asked about are not drift; the others are counted for `counted_run`
    (the sync under check; None when the checks only read), and one past DRIFT_CYCLES syncs is an ERROR."""
    columns, found = drift_rows(con, mapping)
    typed = [DriftRow.of(columns, r) for r in found] if columns else []
    held = under_review(con, typed)
    kept = [(r, t) for r, t in zip(found, typed, strict=True) if (t.pair, t.hubspot_id, t.field) not in held]
    if counted_run is not None:
        count_cycles(con, [t for _, t in kept], counted_run)
        settle_converged(con, typed, datetime.now(UTC))
    cycles = cycles_of(con)
    rows = [(*r, cycles.get((t.pair, t.hubspot_id, t.field), 0)) for r, t in kept]
    columns = [*columns, "syncs_differing"] if columns else columns
    lasting = sum(1 for r in rows if r[-1] >= DRIFT_CYCLES)
    figures = {
        "fields differing": len(rows),
        "records": len({(r[0], r[1]) for r in rows}),
        f"fields differing after {DRIFT_CYCLES}+ syncs": lasting,
    }
    return HealthFinding(check, ERROR if lasting else WARN if rows else OK, columns, rows, figures)


def _ping_pong(con: duckdb.DuckDBPyConnection, check: HealthCheck) -> HealthFinding:
    columns, rows = _audit(con, "ping_pong")
    figures = {"fields held": len(rows), "links": len({(r[0], r[1]) for r in rows})}
    return HealthFinding(check, WARN if rows else OK, columns, rows, figures)


def budget_usage(con: duckdb.DuckDBPyConnection, settings: HealthSettings) -> list[tuple]:
    """(crm, calls in the last 24 hours, daily limit, share used) for both CRMs."""
    _, rows = _audit(con, "api_budget", _budget_params(settings, warn_share=0.0))
    return rows


def _budget_params(settings: HealthSettings, warn_share: float) -> dict[str, Any]:
    return {
        "since": datetime.now(UTC) - timedelta(hours=24),
        "warn_share": warn_share,
        "salesforce_limit": settings.salesforce_daily_limit,
        "hubspot_limit": settings.hubspot_daily_limit,
    }


def _budget(con: duckdb.DuckDBPyConnection, check: HealthCheck, settings: HealthSettings) -> HealthFinding:
    columns, rows = _audit(con, "api_budget", _budget_params(settings, settings.budget_warn_share))
    usage = budget_usage(con, settings)
    severity = ERROR if any(r[3] >= 1 for r in rows) else WARN if rows else OK
    figures = {
        f"{crm} calls (24 h)": f"{calls:,} of {limit:,} ({share:.1%})" for crm, calls, limit, share in usage
    }
    return HealthFinding(check, severity, columns, rows, figures)
