"""Both sandbox CRMs served over HTTP in this process, seeded, with crmsync pointed at them through the
environment exactly as a user's sync would be."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests
from sandboxes import Sandbox

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.plan.approvals import approve_plan
from crmsync_pipeline.setup.crm_fields import setup_fields


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    box = Sandbox(people=300, seed=11)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def crm_env(sandbox, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", sandbox.hubspot.url)
    mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", sandbox.salesforce.url)
    mp.setenv("CRMSYNC_STATE_DB", str(tmp_path_factory.mktemp("state") / "crmsync.duckdb"))
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        mp.delenv(name, raising=False)
    settings = ConnectionSettings.from_env()
    meter = CallMeter()
    report = setup_fields(
        load_mapping(default_mapping_path()),
        HubSpotConnector(settings.hubspot, meter),
        SalesforceConnector(settings.salesforce, meter),
    )
    assert report.complete, report.for_an_admin
    yield settings
    mp.undo()


def query_state(sql: str, *params):  # type: ignore[no-untyped-def]
    """Read the state file as a user would, between runs (read-only, closed right after)."""
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def query():
    return query_state


def sync_once(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    job = build_definitions().resolve_job_def(SYNC_JOB)
    return job.execute_in_process(instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=False)


def first_sync_held(run_id: str) -> bool:
    """Whether `run_id` is held for approval while no sync has succeeded yet (a first sync)."""
    return query_state(
        """SELECT status = 'held' AND NOT EXISTS (SELECT 1 FROM runs WHERE status = 'succeeded')
           FROM runs WHERE run_id = ?""",
        run_id,
    ) == [(True,)]


def run_sync(instance: dg.DagsterInstance | None = None) -> dg.ExecuteInProcessResult:
    """One sync, as `crmsync sync` runs it. A first sync that would change many values the CRMs already
    hold is held for approval (tests/integration/test_approvals_and_holds.py tests that); here it is
    approved and run again, as a user does after reading the held plan, so tests start from a synced pair.
    Every run goes to `instance` when one is given (a test that reads the event log), else to a fresh one."""
    result = sync_once(instance)
    for _ in range(3):  # a pair that waits on a held one is planned (and may be held) once that one writes
        if result.success or not first_sync_held(result.run_id):
            break
        approve_plan(Path(os.environ["CRMSYNC_STATE_DB"]), result.run_id, by="integration tests")
        result = sync_once(instance)
    return result


@pytest.fixture(scope="module")
def sync(crm_env):
    """Runs the sync job once per call, as `crmsync sync` does."""
    return run_sync


@pytest.fixture
def faults(sandbox):
    """Set faults on one emulator (`hubspot` or `salesforce`), e.g. `faults("hubspot",
    record_failure_rate=0.5, seed=3)`; cleared after the test."""
    used = []

    def inject(side: str, **settings) -> None:
        url = f"{getattr(sandbox, side).url}/_sandbox/faults"
        requests.post(url, json=settings, timeout=10).raise_for_status()
        used.append(url)

    yield inject
    for url in used:
        requests.delete(url, timeout=10).raise_for_status()
