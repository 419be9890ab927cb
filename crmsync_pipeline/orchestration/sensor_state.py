"""What the change sensor knows about past runs, read from the Dagster instance (never from DuckDB):
whether a sync is queued or running, when crmsync was writing, and which failed run is due a retry.
The sensor's own cursor (a small JSON document) is kept by Dagster too."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from crmsync_pipeline.connectors.change_probe import WriteWindow

from .health import published_path

SYNC_JOB = "sync"  # build.SYNC_JOB; not imported, to keep this module free of the definitions
BUSY = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
ATTEMPT_TAG = "crmsync/attempt"
RETRY_OF_TAG = "crmsync/retry_of"
TRIGGER_TAG = "crmsync/trigger"
MAX_RETRIES = 3
RETRY_BASE_S = 60.0  # 1, 2, 4 minutes


@dataclass
class SensorCursor:
    since: str | None = None  # ISO time the next probes ask "changed after"
    salesforce_user: str | None = None  # the integration user's id, asked once
    # records the last run-launching tick reported in the second of `since`: the next probe skips them
    # within that second (SystemModstamp has second precision, so the probe asks with >=)
    salesforce_seen: list[str] = field(default_factory=list)
    last_probe: str | None = None  # ISO time the CRMs were last asked (the adaptive interval counts from it)
    salesforce_limit: int | None = None  # the org's daily API allocation, from its Sforce-Limit-Info header
    day: str = ""
    calls: dict[str, int] = field(default_factory=dict)  # the sensor's API calls on `day`, per CRM

    @classmethod
    def load(cls, text: str | None) -> SensorCursor:
        return cls(**json.loads(text)) if text else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def add_calls(self, today: date, calls: dict[str, int]) -> None:
        if self.day != today.isoformat():
            self.day, self.calls = today.isoformat(), {}
        for crm, n in calls.items():
            self.calls[crm] = self.calls.get(crm, 0) + n


def busy_sync(instance: dg.DagsterInstance) -> str | None:
    """The id of a sync run queued or running, if any."""
    runs = instance.get_runs(filters=dg.RunsFilter(job_name=SYNC_JOB, statuses=BUSY), limit=1)
    return runs[0].run_id if runs else None


def write_windows(instance: dg.DagsterInstance, since: datetime) -> list[WriteWindow]:
    """For each sync run updated after `since`: from the start of its first write step to the end of
    its last (every crmsync write to a CRM happens inside a `*_writes` step)."""
    windows = []
    records = instance.get_run_records(
        filters=dg.RunsFilter(job_name=SYNC_JOB, updated_after=since - timedelta(minutes=1)), limit=50
    )
    for record in records:
        steps = [
            s
            for s in instance.get_run_step_stats(record.dagster_run.run_id)
            if s.step_key.endswith("_writes")
        ]
        starts = [s.start_time for s in steps if s.start_time]
        if not starts:
            continue
        ends = [s.end_time or record.end_time or datetime.now(UTC).timestamp() for s in steps]
        windows.append(
            WriteWindow(datetime.fromtimestamp(min(starts), UTC), datetime.fromtimestamp(max(ends), UTC))
        )
    return windows


@dataclass(frozen=True)
class RetryDecision:
    failed_run: str
    attempt: int  # the attempt the retry would be (1 = first retry)
    due_in_s: float


def retry_due(instance: dg.DagsterInstance, now: datetime) -> RetryDecision | None:
    """The latest sync run failed and may be retried (fewer than MAX_RETRIES so far, not stopped by the
    API budget): when its backoff ends. None when nothing waits for a retry."""
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=SYNC_JOB), limit=1)
    if not records or records[0].dagster_run.status != dg.DagsterRunStatus.FAILURE:
        return None
    record = records[0]
    run = record.dagster_run
    attempt = int(run.tags.get(ATTEMPT_TAG, "0")) + 1
    if attempt > MAX_RETRIES or stopped_by_budget(instance, run.run_id):
        return None
    ended = record.end_time or record.update_timestamp.timestamp()
    backoff = RETRY_BASE_S * 2 ** (attempt - 1)
    return RetryDecision(
        run.tags.get(RETRY_OF_TAG, run.run_id), attempt, max(0.0, ended + backoff - now.timestamp())
    )


def stopped_by_budget(instance: dg.DagsterInstance, run_id: str) -> bool:
    """A run stopped by the daily API cap is not retried: it would stop again at once."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        data = entry.dagster_event.step_failure_data if entry.dagster_event else None
        error = data.error if data else None
        while error is not None:
            if error.cls_name == "BudgetExhausted":
                return True
            error = error.cause
    return False


def paused_pairs_published(state_path: Path) -> set[str]:
    """Pairs paused as of the last run, from the copy of the state published after each run (the live
    file belongs to the runs). A pause made since is seen after the next run."""
    copy = published_path(state_path)
    if not copy.exists():
        return set()
    try:
        with duckdb.connect(str(copy), read_only=True) as con:
            return {pair_name for (pair_name,) in con.execute("SELECT pair FROM paused_pairs").fetchall()}
    except duckdb.Error:  # a copy from before migration 004, or mid-replace: probe every pair
        return set()
