"""The Dagster UI in a real browser: `crmsync ui` (sandbox CRMs + `dagster dev` with its daemon) on free
ports, driven by Playwright through Debian's chromium as a person would: find the sync job and its
assets, launch a run (a first sync is held for approval: approve it as the run's alert says, launch
again), wait for it to succeed, open the health report. Saves the README's screenshots.

Run with `make ui-test` (installs chromium when missing); kept out of `make test` by the `ui` marker.
Selectors are roles, visible text and URLs, which change less between Dagster versions than markup.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import requests

from crmsync_pipeline.state.db import PROJECT_ROOT

pytestmark = [pytest.mark.ui, pytest.mark.timeout(900)]

CHROMIUM = os.environ.get("CRMSYNC_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LOCATION = "crmsync_pipeline.definitions"
RUN_TIMEOUT_MS = 600_000
SYNC_JOB_LINK = re.compile(r"^(job )?sync( info)?$")  # the link's accessible name includes its icons
EXPECTED_ASSETS = [
    "crmsync_mapping",
    "crm_owners",
    "hubspot_contacts_snapshot",
    "salesforce_contacts_snapshot",
    "contacts_links",
    "contacts_plan",
    "sync_summary",
    "sync_health_report",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


class UiStack:
    """`crmsync ui` in a subprocess, with its own DAGSTER_HOME (a copy of the project's dagster.yaml)."""

    def __init__(self, home: Path):
        shutil.copyfile(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        self.port, self.hubspot_port, self.salesforce_port = (_free_port() for _ in range(3))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "crmsync_ui.log"
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "SALESFORCE_", "CRMSYNC_"))
        }
        env["DAGSTER_HOME"] = str(home)
        crmsync = Path(sys.executable).with_name("crmsync")
        command = [str(crmsync), "ui", "--port", str(self.port), "--records", "300"]
        command += ["--hubspot-port", str(self.hubspot_port), "--salesforce-port", str(self.salesforce_port)]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def state_file(self) -> Path:
        """The state file `crmsync ui` printed it syncs into."""
        found = re.search(r"state file\s+(\S+)", self.log())
        assert found, f"`crmsync ui` did not print its state file:\n{self.log()[-4000:]}"
        return Path(found.group(1))

    def crmsync(self, *args: str) -> subprocess.CompletedProcess:
        """A `crmsync` command in a terminal beside the UI, on the UI's state file."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "SALESFORCE_", "CRMSYNC_"))
        }
        env["CRMSYNC_STATE_DB"] = str(self.state_file())
        crmsync = Path(sys.executable).with_name("crmsync")
        return subprocess.run([str(crmsync), *args], env=env, capture_output=True, text=True, timeout=300)

    def wait_until_serving(self, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while "Dagster UI: " not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`crmsync ui` did not start (exit {self.proc.poll()}):\n{self.log()[-4000:]}")
            time.sleep(1)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ui = UiStack(tmp_path_factory.mktemp("dagster_home"))
    try:
        ui.wait_until_serving()
        yield ui
    finally:
        ui.stop()


@pytest.fixture(scope="module")
def page(stack):
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is not installed: `make ui-test` installs the dev extras (pyproject.toml)")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make ui-test` installs Debian's chromium (apt-get install chromium)"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        tab = browser.new_page(viewport={"width": 1920, "height": 1000})
        tab.set_default_timeout(60_000)
        sync_api.expect.set_options(timeout=60_000)  # a busy 2-core machine renders slowly
        yield tab
        browser.close()


def _dismiss_welcome(page) -> None:  # type: ignore[no-untyped-def]
    """A fresh Dagster instance greets the first visitor with a newsletter dialog; skip it."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(state="visible", timeout=5_000)
    except Exception:
        return
    skip.click()


def _zoom_out(page, steps: int = 6) -> None:  # type: ignore[no-untyped-def]
    """The job graph opens at 100%, wider than its pane: zoom out so every stage shows (cosmetic only)."""
    zoom_out = page.get_by_role("button", name="zoom_out")
    for _ in range(steps):
        if zoom_out.count() == 1:
            zoom_out.click()


def _shot(page, name: str, full_page: bool = False) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_sync_job_and_its_assets_are_listed(stack, page):
    from playwright.sync_api import expect

    page.goto(f"{stack.url}/jobs")
    _dismiss_welcome(page)
    page.get_by_role("link", name=SYNC_JOB_LINK).click()
    expect(page).to_have_url(re.compile(rf"/locations/{re.escape(LOCATION)}/jobs/sync"))
    expect(page.get_by_text("A full sync cycle: extract both CRMs, match, plan, write back.")).to_be_visible()
    expect(page.get_by_role("button", name="Materialize all")).to_be_enabled()

    for name in EXPECTED_ASSETS:  # each asset's page names the jobs that materialize it
        page.goto(f"{stack.url}/assets/{name}")
        expect(
            page.get_by_role("link", name=SYNC_JOB_LINK), f"asset {name} is not in the sync job"
        ).to_be_visible()


def _materialize_all(stack, page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Launch the sync job from its page and wait for the run to end: (run path, final status)."""
    from playwright.sync_api import expect

    page.goto(f"{stack.url}/locations/{LOCATION}/jobs/sync")
    _dismiss_welcome(page)
    page.get_by_role("button", name="Materialize all").click()
    launched = page.get_by_role("link", name="View", exact=True)  # the "Launched run ..." toast
    expect(launched).to_have_attribute("href", re.compile(r"/runs/[0-9a-f-]{36}"))
    run_path = launched.get_attribute("href")
    page.goto(f"{stack.url}{run_path}")
    status = page.get_by_text(re.compile(r"^(Success|Failure|Canceled)$")).first
    expect(status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    return run_path, status.inner_text()


def test_launch_a_sync_from_the_ui_and_it_succeeds(stack, page):
    from playwright.sync_api import expect

    page.goto(f"{stack.url}/locations/{LOCATION}/jobs/sync")
    _dismiss_welcome(page)
    _zoom_out(page)
    _shot(page, "02_job.png")
    # The first sync of the sandbox's 300 people would overwrite more values than the mapping's
    # max_update_share: the run stops at a pair's plan_within_threshold check, held for approval, writing
    # nothing. The person reads the plan and approves it in a terminal, then launches the sync again from
    # the UI; a pair planned after the approved one's writes can be held in turn (one approval each).
    run_path, status = _materialize_all(stack, page)
    assert status == "Failure", (
        f"a first sync over the threshold ended {status}, not held:\n{stack.log()[-4000:]}"
    )
    holds = 0
    while status == "Failure" and holds < 4:  # companies, contacts, deals, tasks
        held = run_path.rsplit("/", 1)[-1]
        shown = stack.crmsync("status")
        assert held in shown.stdout, shown.stdout + shown.stderr  # status names the held run
        approved = stack.crmsync("approve", held, "--no-sync")
        assert approved.returncode == 0 and "approved the plan" in approved.stdout, (
            approved.stdout + approved.stderr
        )
        holds += 1
        run_path, status = _materialize_all(stack, page)
    assert status == "Success", (
        f"the run {run_path} ended {status} after {holds} approvals:\n{stack.log()[-4000:]}"
    )
    expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
    _shot(page, "03_run_success.png")

    page.goto(f"{stack.url}/assets")
    expect(page.get_by_text(re.compile(r"^Materialized")).first).to_be_visible()
    _shot(page, "01_assets.png")


def test_health_report_opens_from_its_asset_page(stack, page):
    from playwright.sync_api import expect

    page.goto(f"{stack.url}/assets/sync_health_report")
    expect(page.get_by_text("Latest materialization")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(r"^report_url\b"))
    if row.count() == 0:
        pytest.fail("sync_health_report shows no `report_url` metadata: the asset must link its HTML page")
    href = row.get_by_role("link").first.get_attribute("href") or ""
    assert href.startswith("file://"), f"report_url is not a file URL: {href!r}"
    report = Path(unquote(urlparse(href).path))
    assert report.is_file(), f"the report the UI links to does not exist: {report}"
    expect(page.get_by_text(str(report), exact=True)).to_be_visible()  # the `report` path, next to it
    _shot(page, "05_health_asset.png")

    page.goto(href)
    expect(page.get_by_role("heading", name="Sync Health", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Records synced per run"))).to_be_visible()
    assert page.locator("svg").count() > 0, "the health report has no charts"
    _shot(page, "04_health_report.png", full_page=True)


def test_ctrl_c_stops_the_ui_and_the_sandbox_it_started(stack):
    assert stack.stop() == 0, stack.log()[-4000:]
    assert not _answers(f"{stack.url}/server_info"), "the Dagster UI still answers after Ctrl-C"
    for port in (stack.hubspot_port, stack.salesforce_port):
        assert not _answers(f"http://127.0.0.1:{port}/_sandbox/stats"), f"the sandbox on {port} still answers"
    assert "sandbox stopped" in stack.log()
