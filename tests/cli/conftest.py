"""The `crmsync` command run as a user runs it, against both sandbox CRMs over HTTP: each test module
gets its own seeded sandboxes, state file and Dagster instance, and the CRM fields `crmsync setup` makes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))  # sandboxes.py, crm_actions.py

from click.testing import CliRunner  # noqa: E402
from sandboxes import Sandbox  # noqa: E402

from crmsync_pipeline.cli.main import cli  # noqa: E402
from crmsync_pipeline.config import load_mapping  # noqa: E402
from crmsync_pipeline.connectors.calls import CallMeter  # noqa: E402
from crmsync_pipeline.connectors.hubspot import HubSpotConnector  # noqa: E402
from crmsync_pipeline.connectors.salesforce import SalesforceConnector  # noqa: E402
from crmsync_pipeline.connectors.settings import ConnectionSettings  # noqa: E402
from crmsync_pipeline.orchestration.resources import default_mapping_path  # noqa: E402
from crmsync_pipeline.setup.crm_fields import setup_fields  # noqa: E402
from crmsync_pipeline.state.db import PROJECT_ROOT  # noqa: E402


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=5)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def crm_env(sandbox, tmp_path_factory):
    """crmsync pointed at the sandboxes through the environment, a state file and Dagster home of the
    module's own, and the CRM fields set up."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", sandbox.hubspot.url)
    mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", sandbox.salesforce.url)
    mp.setenv("CRMSYNC_STATE_DB", str(tmp_path_factory.mktemp("state") / "crmsync.duckdb"))
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    mp.setenv("DAGSTER_HOME", str(home))
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


@pytest.fixture(scope="module")
def crmsync(crm_env):
    """Run `crmsync ARGS...` (its click entry, in this process) and return the result."""

    def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, list(args), input=stdin)

    return run
