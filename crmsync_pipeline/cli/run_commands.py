"""`crmsync plan` and `crmsync sync`: Dagster runs of the plan and sync jobs (the same runs, ids and
history the UI shows), followed by what they did. The terminal shows progress and the summary; the
run's event log is in the Dagster UI, or printed as the run goes with `-v`."""

from __future__ import annotations

import os
import sys

import click
import rich.markup
from rich.console import Console

from crmsync_pipeline.orchestration.build import PLAN_JOB, SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state.db import PROJECT_ROOT

from .backfill_report import backfill_table
from .held_report import HELD_EXIT_CODE, held_pairs_of, only_held, print_held, wrote_anything
from .plan_details import print_plan_details
from .progress_display import RunDisplay, quiet_console_logger, run_display
from .run_failure import print_failure
from .run_report import failed_record_lines, plan_table, run_did_something, run_table, wide_console

VERBOSE_HELP = "print the Dagster event log as the run goes (it is always in the Dagster UI)"


def verbose_option(command):  # type: ignore[no-untyped-def]
    """`-v/--verbose` on a command that runs a job (also accepted before the command: `crmsync -v sync`)."""
    return click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)(command)


def verbose_wanted(verbose: bool) -> bool:
    context = click.get_current_context(silent=True)
    root = context.find_root().obj if context is not None else None
    return verbose or bool(isinstance(root, dict) and root.get("verbose"))


def execute(  # type: ignore[no-untyped-def]
    job_name: str,
    tags: dict[str, str] | None = None,
    display: RunDisplay | None = None,
    verbose: bool = False,
):
    """Run a job in this process, recorded in the Dagster instance of DAGSTER_HOME. Unless `verbose`,
    the job's console logger is crmsync's (progress into `display`, warnings shown), not Dagster's
    event printer; the event log is stored either way."""
    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))
    job = build_definitions().resolve_job_def(job_name)
    run_config = None
    if not verbose:
        job = job.with_logger_defs({"console": quiet_console_logger(display or RunDisplay(wide_console()))})
        run_config = {"loggers": {"console": {}}}  # a logger absent from run config is not started
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=tags
        )


def job_steps(job_name: str) -> int:
    """How many steps a job runs (assets and checks), for the `step n/N` line."""
    return len(build_definitions().resolve_job_def(job_name).graph.nodes)


def failure_messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    """Each failed step with the error it raised (a failed blocking check shows as its step's failure)."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            messages.append(f"{event.step_key}: {cause.message.strip() if cause else event.message}")
    return messages


def blocking_check_findings(result) -> list[str]:  # type: ignore[no-untyped-def]
    """What each failed blocking check found (its text metadata: the mapping's problems, the approval a
    held plan needs), which the step failure alone does not say."""
    found = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed or not evaluation.blocking:
            continue
        texts = [
            f"{name}: {value.value}"
            for name, value in evaluation.metadata.items()
            if isinstance(value.value, str)
        ]
        found.append(f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}: " + "; ".join(texts))
    return found


def _report(  # noqa: PLR0913
    console: Console,
    job_name: str,
    title: str,
    verbose: bool = False,
    limit: int = 0,
    piped_after: float = 0.0,
) -> None:
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    if verbose:
        result = execute(job_name, verbose=True)
    else:
        with run_display(console, job_steps(job_name), piped_after) as display:
            result = execute(job_name, display=display)
    pair_names = _pair_names(resource)
    command = "plan" if job_name == PLAN_JOB else "sync"
    failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
    held = held_pairs_of(resource.state_path, result.run_id) if only_held(failed_steps) else []
    # a run stopped before its first step wrote nothing to show; a failed run shows its figures only
    # when it did something before failing, a held one only when it wrote (a table of zeros would read
    # as "nothing to do": the held plan is the news)
    exists = resource.state_path.exists()
    wrote = exists and run_did_something(resource.state_path, result.run_id, pair_names)
    shown = (
        exists and wrote_anything(resource.state_path, result.run_id)
        if held
        else exists and (result.success or wrote)
    )
    if shown:
        _summary(
            console, resource, job_name, result.run_id, f"{title} (run {result.run_id})", pair_names, limit
        )
    if held:
        print_held(console, _mapping(resource), result.run_id, held)
        sys.exit(HELD_EXIT_CODE)
    if not result.success:
        print_failure(
            console, result, command, pair_names, wrote, blocking_check_findings(result), job_steps(job_name)
        )
        sys.exit(1)
    console.print(
        f"state file: {resource.state_path}  (tables: links, plan_rows, conflicts, write_results, "
        "sync_errors, audit_log, review_items)"
    )


def _mapping(resource: CrmsyncResource):  # type: ignore[no-untyped-def]
    try:
        return resource.mapping()
    except Exception:  # a broken mapping: the failed check says why
        return None


def _pair_names(resource: CrmsyncResource) -> list[str]:
    try:
        return list(resource.mapping().active_pairs())
    except Exception:  # a broken mapping: the failed check says why
        return []


def _summary(  # noqa: PLR0913
    console: Console,
    resource: CrmsyncResource,
    job_name: str,
    run_id: str,
    heading: str,
    pair_names: list[str],
    limit: int,
) -> None:
    """The run's table (run_report.py's figures) and its errors by code; for a plan, first the records
    and fields it would write (`limit` records per pair and side)."""
    if job_name == PLAN_JOB:
        print_plan_details(console, resource.state_path, run_id, limit)
        console.print(plan_table(resource.state_path, run_id, heading))
        if (backfill := backfill_table(resource.state_path, run_id)) is not None:
            console.print(backfill)
    else:
        console.print(run_table(resource.state_path, run_id, pair_names, heading))
    for line in failed_record_lines(resource.state_path, run_id):
        console.print(rich.markup.escape(line), highlight=False)


PLAN_LIMIT = 3


@click.command()
@verbose_option
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=PLAN_LIMIT,
    show_default=True,
    help="records shown per pair and side, with the fields they would get (0: the counts only)",
)
def plan(verbose: bool = False, limit: int = PLAN_LIMIT) -> None:
    """Dry run: extract both CRMs, match and plan; write nothing. Shows, per pair and side, the records
    and fields a sync would write (value now -> value written, and the rule that decided), then the
    counts. The whole plan is in table plan_rows."""
    _report(wide_console(), PLAN_JOB, "Planned", verbose_wanted(verbose), limit)


@click.command()
@verbose_option
def sync(verbose: bool = False) -> None:
    """Run one full sync cycle: extract, match, plan and write back, then print what it did."""
    _report(wide_console(), SYNC_JOB, "Synced", verbose_wanted(verbose))
