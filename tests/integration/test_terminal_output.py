"""What a person sees in the terminal when `crmsync sync` / `plan` run against the sandbox CRMs: progress
and the summary table, not the Dagster event log (which stays in the run's storage, for the UI, and
comes back with `-v`); a warning a step logs and a failed run's cause are still shown."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import dagster as dg
import pytest
from click.testing import CliRunner
from rich.console import Console
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.state.db import PROJECT_ROOT

# what Dagster's console logger prints: "2026-12-06 08:29:05 +0000 - dagster - DEBUG - sync - <run> - ..."
EVENT_LOG_LINE = re.compile(
    r" - dagster - (DEBUG|INFO|WARNING|ERROR) - |STEP_START|ASSET_MATERIALIZATION|RUN_START"
)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=5)
    yield box
    box.stop()


@pytest.fixture
def home(crm_env, tmp_path, monkeypatch):
    """A Dagster instance of its own (runs and their event logs in sqlite under it)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _event_log_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if EVENT_LOG_LINE.search(line)]


def test_sync_prints_progress_and_the_summary_not_the_event_log(home):
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 0, result.output
    assert _event_log_lines(result.output) == [], result.output[:3000]
    assert "DEBUG" not in result.output
    assert "Synced (run " in result.output and "┃ pair" in result.output  # the summary table
    # piped output: one plain line per long task, with its count
    assert re.search(r"^  extract salesforce contacts:Contact: \d+/\d+ records$", result.output, re.M)
    assert len(result.output.splitlines()) < 60, result.output
    # the event log is still stored for the UI
    run_id = re.search(r"Synced \(run ([0-9a-f-]{36})\)", result.output).group(1)
    with dg.DagsterInstance.get() as instance:
        stored = [e.dagster_event.event_type_value for e in instance.all_logs(run_id) if e.dagster_event]
    assert "STEP_START" in stored and "ASSET_MATERIALIZATION" in stored


@pytest.mark.parametrize("args", [["sync", "-v"], ["-v", "plan"]], ids=["sync -v", "-v plan"])
def test_verbose_prints_the_event_log_again(home, args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = _event_log_lines(result.output)
    assert any("STEP_START" in line for line in lines), result.output[:3000]
    assert any("ASSET_MATERIALIZATION" in line for line in lines)
    assert "┃ pair" in result.output  # and the summary still follows


def test_a_failed_run_says_what_failed_and_what_to_do(home, tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text("objects:\n  contacts:\n    hubspot: contacts\n    salesforce: [Nope]\n    fields: 7\n")
    monkeypatch.setenv("CRMSYNC_CONFIG", str(broken))
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 1, result.output
    assert _event_log_lines(result.output) == [], result.output[:3000]
    assert "the run failed" in result.output and "crmsync_mapping" in result.output
    assert "objects.contacts.fields" in result.output  # what the failed check found, not only its name
    assert "crmsync sync -v" in result.output


def test_a_step_warning_is_shown_on_one_line_and_the_bars_stay_quiet():
    from crmsync_pipeline.cli.progress_display import quiet_console_logger, run_display

    @dg.asset
    def reader(context) -> None:  # type: ignore[no-untyped-def]
        context.log.info("an info line stays in the event log")
        context.log.warning("fields mapped but missing in Salesforce (run `crmsync setup`): Foo__c")

    job = dg.Definitions(
        assets=[reader], jobs=[dg.define_asset_job("j", executor_def=dg.in_process_executor)]
    ).resolve_job_def("j")
    console = Console(record=True, width=120, force_terminal=False)
    with run_display(console, 1) as display:
        result = job.with_logger_defs({"console": quiet_console_logger(display)}).execute_in_process(
            run_config={"loggers": {"console": {}}}, instance=dg.DagsterInstance.ephemeral()
        )
    assert result.success
    printed = console.export_text()
    assert printed.splitlines() == [
        "warning reader: fields mapped but missing in Salesforce (run `crmsync setup`): Foo__c"
    ], printed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a whole demo: ~25 s on an idle machine
def test_the_demo_fits_on_two_screens(tmp_path):
    """`make demo` (piped, as make and CI show it): setup, the first sync held for approval, the approval,
    the approved sync and a sync with no edits, with their tables, in <= 100 lines (two screens; 89
    measured with 150 people: a held run that wrote nothing shows no table, quick tasks no line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMSYNC_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path / "home")
    ports = ["--hubspot-port", str(_free_port()), "--salesforce-port", str(_free_port())]
    run = [
        sys.executable,
        "-c",
        "from crmsync_pipeline.cli.main import cli; cli()",
        "demo",
        "--records",
        "150",
    ]
    result = subprocess.run([*run, *ports], env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Second sync, no edits in between (run " in output
    assert _event_log_lines(output) == [], output[:3000]
    assert "held for approval" in output and "Approved sync" in output
    assert len(output.splitlines()) <= 100, output
