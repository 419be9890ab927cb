"""`crmsync plan` and `crmsync sync`: Dagster runs of the plan and sync jobs (the same runs, ids and
history the UI shows), followed by what they did."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console

from crmsync_pipeline.orchestration.build import PLAN_JOB, SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state.db import PROJECT_ROOT

from .backfill_report import backfill_table
from .progress_display import progress_bars
from .run_report import error_codes, plan_table, run_table, wide_console


def execute(job_name: str, tags: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Run a job in this process, recorded in the Dagster instance of DAGSTER_HOME."""
    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))
    job = build_definitions().resolve_job_def(job_name)
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False, tags=tags)


def failure_messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    """Each failed step with the error it raised (a failed blocking check shows as its step's failure)."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            messages.append(f"{event.step_key}: {cause.message.strip() if cause else event.message}")
    return messages


def _failure(result) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(failure_messages(result)[:10]) or "no step failed"


def _report(console: Console, job_name: str, title: str) -> None:
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    with progress_bars(console):
        result = execute(job_name)
    try:
        pair_names = resource.mapping().active_pairs()
    except Exception:  # a broken mapping: the failed check below says why
        pair_names = []
    heading = f"{title} (run {result.run_id})"
    if job_name == PLAN_JOB:
        console.print(plan_table(resource.state_path, result.run_id, heading))
        if (backfill := backfill_table(resource.state_path, result.run_id)) is not None:
            console.print(backfill)
    else:
        console.print(run_table(resource.state_path, result.run_id, pair_names, heading))
    for target, code, count in error_codes(resource.state_path, result.run_id):
        console.print(f"  {count} record(s) not written to {target}: {code}")
    if not result.success:
        console.print(
            f"[red]the run failed[/red] ({_failure(result)})\nsee `crmsync status` and the run in the "
            "Dagster UI (make ui)"
        )
        sys.exit(1)
    console.print(
        f"state file: {resource.state_path}  (tables: links, plan_rows, conflicts, write_results, "
        "sync_errors, audit_log, review_items)"
    )


@click.command()
def plan() -> None:
    """Dry run: extract both CRMs, match and plan; write nothing. The plan is in table plan_rows."""
    _report(wide_console(), PLAN_JOB, "Planned")


@click.command()
def sync() -> None:
    """Run one full sync cycle: extract, match, plan and write back, then print what it did."""
    _report(wide_console(), SYNC_JOB, "Synced")
