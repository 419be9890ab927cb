"""The API budget of a first sync at scale: 10,000 people per side (companies and deals in proportion),
Professional-tier limits, counted by the sandbox itself. The HubSpot connector spends about one call per
record per cycle; crmsync must stay under 0.05 calls per record read on the first sync. (The cycles after
it are measured by `make bench`, at the same scale.)"""

from __future__ import annotations

import pytest

from bench.first_sync import sync_and_count
from bench.sandbox_process import SandboxProcess
from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.setup.crm_fields import setup_fields

pytestmark = pytest.mark.slow  # make test-slow

PEOPLE = 10_000


@pytest.fixture(scope="module")
def large_sandbox(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    with SandboxProcess(records=PEOPLE) as sandbox:
        mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", sandbox.hubspot_url)
        mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", sandbox.salesforce_url)
        mp.setenv("CRMSYNC_STATE_DB", str(tmp_path_factory.mktemp("state10k") / "crmsync.duckdb"))
        for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
            mp.delenv(name, raising=False)
        mapping = load_mapping(default_mapping_path())
        setup_fields(mapping, *CrmsyncResource(mapping_file=default_mapping_path()).connectors(CallMeter()))
        yield sandbox
    mp.undo()


@pytest.mark.timeout(900)  # about 2 minutes alone on 2 cores; slower when the machine is shared
def test_first_sync_of_10k_people_spends_under_005_calls_per_record_read(large_sandbox):
    first = sync_and_count(large_sandbox)
    assert first["success"]
    assert first["records_read"] >= 2 * PEOPLE  # both sides' people, companies, deals and tasks
    assert first["calls_per_record_read"] <= 0.05, first
