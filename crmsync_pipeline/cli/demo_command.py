"""`crmsync demo`: seed fresh sandbox CRMs, run `setup` and a full sync against them, show what happened,
then a second sync to show that a cycle with no edits writes nothing. The first sync would overwrite many
values the CRMs already hold, so it is held for approval; the demo approves it as a user would
(`crmsync approve RUN_ID`), and the approved sync writes exactly that plan."""

from __future__ import annotations

import os
import shutil
import time

import click
import requests
from rich.console import Console

from crmsync_pipeline.cli.held_report import HELD_EXIT_CODE
from crmsync_pipeline.cli.run_commands import verbose_option, verbose_wanted
from crmsync_pipeline.cli.run_report import wide_console
from crmsync_pipeline.cli.ui_command import dagster_home

# piped (make demo), a line only for a task that took this long: the tables after each run say the rest
PIPED_AFTER_SECONDS = 2.0


@click.command()
@click.option("--records", default=2000, show_default=True, help="about N people per side")
@click.option("--seed", default=42, show_default=True)
@click.option("--hubspot-port", default=8765, show_default=True)
@click.option("--salesforce-port", default=8766, show_default=True)
@verbose_option
def demo(records: int, seed: int, hubspot_port: int, salesforce_port: int, verbose: bool = False) -> None:
    """Seed fresh sandbox CRMs, set them up and sync them, twice, printing what each run did."""
    from crmsync_pipeline.sandbox.run import SandboxOptions, build_emulators
    from crmsync_pipeline.sandbox.seed import SeedOptions
    from crmsync_pipeline.sandbox.server import EmulatorThread

    console = wide_console()
    demo_dir = dagster_home() / "demo"  # DAGSTER_HOME's, so an installed wheel never writes into itself
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True)
    os.environ["CRMSYNC_STATE_DB"] = str(demo_dir / "crmsync.duckdb")
    console.print(
        f"[bold]crmsync demo[/bold]: sandbox CRMs with about {records} people per side (seed {seed})"
    )
    options = SandboxOptions(
        data_dir=demo_dir / "sandbox", seed=SeedOptions(records=records, seed=seed), reset=True
    )
    emulators = build_emulators(options, say=console.print)
    threads = [
        EmulatorThread(e, port).start()
        for e, port in zip(emulators, (hubspot_port, salesforce_port), strict=True)
    ]
    os.environ["CRMSYNC_SANDBOX_HUBSPOT_URL"], os.environ["CRMSYNC_SANDBOX_SALESFORCE_URL"] = (
        t.url for t in threads
    )
    try:
        _run(console, threads, verbose_wanted(verbose))
    finally:
        for thread in threads:
            thread.stop()


def _run(console: Console, threads: list, verbose: bool) -> None:  # type: ignore[type-arg]
    from crmsync_pipeline.cli.run_commands import _report
    from crmsync_pipeline.cli.setup_commands import setup

    console.rule("crmsync setup: cross-reference and custom fields")
    try:
        setup.main(args=[], standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            raise
    steps = ["First sync", "Second sync, no edits in between"]
    while steps:
        title = steps.pop(0)
        console.rule(title)
        before = _calls(threads)
        started = time.monotonic()
        held = False
        try:
            _report(console, "sync", title, verbose, piped_after=PIPED_AFTER_SECONDS)
        except SystemExit as stop:
            if stop.code != HELD_EXIT_CODE or title.startswith("Second"):
                raise
            held = True
        used = {name: _calls(threads)[name] - count for name, count in before.items()}
        console.print(
            f"took {time.monotonic() - started:.1f}s; API calls: HubSpot {used['hubspot']}, "
            f"Salesforce {used['salesforce']}"
        )
        if held:
            steps.insert(0, _approve(console))  # the approved sync comes next, then the second sync
    console.rule("Next")
    console.print(
        f"Open the state file: duckdb {os.environ['CRMSYNC_STATE_DB']} (tables links, plan_rows, conflicts, "
        "write_results, sync_errors, audit_log, review_items, value_issues, api_calls, runs).\n"
        "Open the Dagster UI on sandbox CRMs with `crmsync ui` (`make ui` in a checkout) (the runs above are in its history), then\n"
        "`crmsync status`, `crmsync errors` and `crmsync review` show the same figures in the terminal."
    )


def _approve(console: Console) -> str:
    """Approve the held plan as a user would after reading it (`crmsync approve RUN_ID --no-sync`); the
    sync that follows writes it. Returns the next step's title."""
    from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
    from crmsync_pipeline.plan.approvals import approve_plan, held_verdicts
    from crmsync_pipeline.state import db

    state = CrmsyncResource(mapping_file=default_mapping_path()).state_path
    with db.connect(state, read_only=True) as con:
        (run_id,) = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchall()[0]
        held = [v.pair for v in held_verdicts(con, run_id)]
    console.rule("Approve the held plan, as a person does after reading it")
    console.print(f"  $ crmsync approve {run_id}", soft_wrap=True)
    for approval in approve_plan(state, run_id, held, by="crmsync demo"):
        console.print(f"  {approval.pair}: approved the plan of {approval.records} record update(s)")
    return "Approved sync: writes exactly the approved plan"


def _calls(threads: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {
        t.emulator.name: requests.get(f"{t.url}/_sandbox/stats", timeout=10).json()["api_calls"]
        for t in threads
    }
