"""`crmsync demo`: seed fresh sandbox CRMs, run `setup` and a full sync against them, show what happened,
then a second sync to show that a cycle with no edits writes nothing."""

from __future__ import annotations

import os
import shutil
import time

import click
import requests
from rich.console import Console

from crmsync_pipeline.cli.run_commands import verbose_option, verbose_wanted
from crmsync_pipeline.cli.run_report import wide_console
from crmsync_pipeline.cli.ui_command import dagster_home


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
    for title in ("First sync", "Second sync, no edits in between"):
        console.rule(title)
        before = _calls(threads)
        started = time.monotonic()
        _report(console, "sync", title, verbose)
        used = {name: _calls(threads)[name] - count for name, count in before.items()}
        console.print(
            f"took {time.monotonic() - started:.1f}s; API calls: HubSpot {used['hubspot']}, "
            f"Salesforce {used['salesforce']}"
        )
    console.rule("Next")
    console.print(
        f"Open the state file: duckdb {os.environ['CRMSYNC_STATE_DB']} (tables links, plan_rows, conflicts, "
        "write_results, sync_errors, audit_log, review_items, value_issues, api_calls, runs).\n"
        "Open the Dagster UI on sandbox CRMs with `crmsync ui` (`make ui` in a checkout) (the runs above are in its history), then\n"
        "`crmsync status`, `crmsync errors` and `crmsync review` show the same figures in the terminal."
    )


def _calls(threads: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {
        t.emulator.name: requests.get(f"{t.url}/_sandbox/stats", timeout=10).json()["api_calls"]
        for t in threads
    }
