"""Large writes as Bulk API 2.0 jobs (landing exactly as collections writes would), a Bulk job left by
a crashed run reconciled instead of written again, and plans that went stale skipped and re-planned;
all against the sandbox CRMs over HTTP, each test on its own small seeded pair of CRMs."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.clients import salesforce_client
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration.build import PLAN_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.setup.crm_fields import setup_fields
from crmsync_pipeline.state import db
from crmsync_pipeline.write.apply import apply_plan
from crmsync_pipeline.write.writers import SalesforceWriter
from tests.integration.conftest import Sandbox, query_state, run_sync

PEOPLE = 40
INGEST_CREATE = "POST /services/data/v{version}/jobs/ingest{slash}"
HUBSPOT_BATCH_READ = "POST /crm/v3/objects/{type}/batch/read"
SOQL = "GET /services/data/v{version}/query{slash}"
COLLECTION_UPSERT = "PATCH /services/data/v{version}/composite/sobjects/{obj}/{field}{slash}"
COMPARED = {
    "Account": "Name, Website, Industry, NumberOfEmployees",
    "Contact": "FirstName, LastName, Email, Title, Phone",
    "Lead": "FirstName, LastName, Email, Title, Phone, Company",
    "Opportunity": "Name, Amount, StageName, CloseDate",
    "Task": "Subject, Status, Priority",
}


@contextmanager
def synced_against(box: Sandbox, state_dir: Path, **env: str):
    """crmsync pointed at this sandbox pair through the environment, fields set up, as a user has it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", box.hubspot.url)
    mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", box.salesforce.url)
    mp.setenv("CRMSYNC_STATE_DB", str(state_dir / "crmsync.duckdb"))
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        mp.delenv(name, raising=False)
    for name, value in env.items():
        mp.setenv(name, value)
    try:
        settings = ConnectionSettings.from_env()
        meter = CallMeter()
        mapping = load_mapping(default_mapping_path())
        report = setup_fields(
            mapping,
            HubSpotConnector(settings.hubspot, meter),
            SalesforceConnector(settings.salesforce, meter),
        )
        assert report.complete, report.for_an_admin
        yield settings
    finally:
        mp.undo()


@pytest.fixture
def boxes():
    started: list[Sandbox] = []

    def start() -> Sandbox:
        started.append(Sandbox(people=PEOPLE, seed=23))
        return started[-1]

    yield start
    for box in started:
        box.stop()


def routes(box: Sandbox) -> Counter[str]:
    """API calls by route since the last reset, both CRMs together."""
    out: Counter[str] = Counter()
    for crm in (box.hubspot, box.salesforce):
        out.update(requests.get(f"{crm.url}/_sandbox/stats", timeout=10).json()["by_route"])
    return out


def reset_stats(box: Sandbox) -> None:
    for crm in (box.hubspot, box.salesforce):
        requests.post(f"{crm.url}/_sandbox/stats/reset", timeout=10).raise_for_status()


def salesforce_records(box: Sandbox) -> dict[tuple[str, str], tuple]:
    """Every synced Salesforce record by (object, HubSpot id), with the mapped fields compared."""
    sf = salesforce_client(box.salesforce.url, "sandbox-token")
    out: dict[tuple[str, str], tuple] = {}
    for sobject, fields in COMPARED.items():
        for r in sf.query_all_iter(f"SELECT CrmSync_HubSpot_Id__c, {fields} FROM {sobject}"):
            key = (sobject, r["CrmSync_HubSpot_Id__c"])
            if key[1]:
                assert key not in out, f"duplicate {key}"
                out[key] = tuple(r[f.strip()] for f in fields.split(","))
    return out


def state_summary() -> dict[str, list]:
    """What a user reads from the state tables, without run ids, timestamps or Salesforce ids."""
    return {
        "write_results": query_state(
            "SELECT pair, target, operation, succeeded, error_code, count(*) FROM write_results "
            "GROUP BY ALL ORDER BY ALL"
        ),
        "audit_log": query_state(
            "SELECT pair, target, field, created_record, outcome, count(*) FROM audit_log GROUP BY ALL ORDER BY ALL"
        ),
        "base_values": query_state("SELECT pair, field, count(*) FROM base_values GROUP BY ALL ORDER BY ALL"),
        "sync_errors": query_state(
            "SELECT pair, target, error_code, count(*) FROM sync_errors GROUP BY ALL ORDER BY ALL"
        ),
        "links": query_state("SELECT pair, matched_by, count(*) FROM links GROUP BY ALL ORDER BY ALL"),
    }


@pytest.mark.slow
def test_large_writes_go_as_bulk_jobs_and_land_exactly_as_collections_writes(boxes, tmp_path):
    bulk_box, plain_box = boxes(), boxes()
    # Every plan row is also checked against its source before its write (none moved: none skipped).
    env = {"CRMSYNC_BULK_THRESHOLD": "5", "CRMSYNC_MAX_PLAN_AGE_SECONDS": "0"}
    with synced_against(bulk_box, tmp_path / "bulk", **env):
        reset_stats(bulk_box)
        result = run_sync()
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        used = routes(bulk_box)
        bulk_state = state_summary()
        jobs = query_state("SELECT sobject, operation, state FROM bulk_jobs ORDER BY ALL")
    with synced_against(plain_box, tmp_path / "plain"):
        reset_stats(plain_box)
        result = run_sync()
        assert result.success
        plain_used = routes(plain_box)
        plain_state = state_summary()

    bulk_created = {s for s, op, state in jobs if op == "upsert" and state == "complete"}
    assert {"Contact", "Opportunity", "Task"} <= bulk_created, jobs
    # each object created in bulk took one job instead of its collections upsert call; nothing else did
    assert used[INGEST_CREATE] == len(jobs) and plain_used[INGEST_CREATE] == 0
    assert used[COLLECTION_UPSERT] == plain_used[COLLECTION_UPSERT] - len(bulk_created)
    assert salesforce_records(bulk_box) == salesforce_records(plain_box)  # no duplicates, same values
    assert bulk_state == plain_state
    # the source checks read HubSpot (batch read) and Salesforce (SOQL) once per write batch
    assert used[HUBSPOT_BATCH_READ] > plain_used[HUBSPOT_BATCH_READ]
    assert used[SOQL] > plain_used[SOQL]


def test_a_bulk_job_left_by_a_crashed_run_is_reconciled_not_written_again(boxes, tmp_path):
    box = boxes()
    # Low enough that the first writes of the run (the companies' Account creates) go in bulk.
    with synced_against(box, tmp_path, CRMSYNC_BULK_THRESHOLD="2"):
        crash = pytest.MonkeyPatch()

        def process_dies(*args, **kwargs):
            raise CrmError("salesforce", "PROCESS_DIED", "killed while the job ran")

        # The job is created, stored, uploaded and closed; the process dies before reading its results.
        crash.setattr(SalesforceConnector, "bulk_ingest_results", process_dies)
        first = run_sync()
        crash.undo()
        assert not first.success
        (job_id, sobject, state), *_ = query_state("SELECT job_id, sobject, state FROM bulk_jobs")
        assert state == "submitted"
        refs = [r[0] for r in query_state("SELECT record_ref FROM bulk_job_records WHERE job_id = ?", job_id)]
        assert query_state(
            "SELECT DISTINCT outcome FROM audit_log WHERE run_id = ? AND source_id IN "
            "(SELECT record_ref FROM bulk_job_records WHERE job_id = ?)", first.run_id, job_id
        ) == [("intended",)]  # fmt: skip

        reset_stats(box)
        second = run_sync()
        assert second.success, [e.message for e in second.all_events if e.is_failure]
        assert query_state("SELECT state FROM bulk_jobs WHERE job_id = ?", job_id) == [("reconciled",)]
        # The crashed run's records are confirmed under that run, with links and base, as if it had lived.
        assert query_state(
            "SELECT DISTINCT outcome FROM audit_log WHERE run_id = ? AND source_id IN "
            "(SELECT record_ref FROM bulk_job_records WHERE job_id = ?)", first.run_id, job_id
        ) == [("confirmed",)]  # fmt: skip
        assert query_state(
            "SELECT count(*), count(*) FILTER (WHERE succeeded) FROM write_results WHERE run_id = ?", first.run_id
        ) == [(len(refs), len(refs))]  # fmt: skip
        linked = query_state(
            "SELECT count(*) FROM links WHERE pair = 'companies' AND hubspot_id IN (SELECT unnest(?::VARCHAR[]))",
            refs,
        )
        assert linked == [(len(refs),)]
        # ... and the next run did not create them again.
        assert query_state(
            "SELECT count(*) FROM plan_rows WHERE run_id = ? AND action = 'create' AND target = 'salesforce' "
            "AND record_ref IN (SELECT unnest(?::VARCHAR[]))", second.run_id, refs
        ) == [(0,)]  # fmt: skip
        records = salesforce_records(box)
        assert all((sobject, ref) in records for ref in refs)  # once each (salesforce_records checks)


@pytest.mark.slow
def test_a_plan_whose_source_moved_is_skipped_reported_and_planned_again(boxes, tmp_path):
    box = boxes()
    with synced_against(box, tmp_path) as settings:
        assert run_sync().success
        (moved_h, moved_o, moved_s), (kept_h, kept_o, kept_s) = query_state(
            """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
               JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
               WHERE l.pair = 'contacts' AND h.firstname IS NOT NULL ORDER BY 1 LIMIT 2"""
        )
        original = salesforce_value(box, moved_o, moved_s, "FirstName")
        hubspot_edit(box, "contacts", moved_h, firstname="Planned")
        hubspot_edit(box, "contacts", kept_h, firstname="Kept")
        plan = (
            build_definitions()
            .resolve_job_def(PLAN_JOB)
            .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
        )
        assert plan.success
        hubspot_edit(box, "contacts", moved_h, firstname="Moved")  # while the plan waits

        meter = CallMeter()
        hubspot = HubSpotConnector(settings.hubspot, meter)
        writer = SalesforceWriter(SalesforceConnector(settings.salesforce, meter), hubspot)
        pair = load_mapping(default_mapping_path()).pair("contacts")
        summary = apply_plan(
            lambda: db.connect(), writer, plan.run_id, "contacts", pair, max_age=timedelta(0)
        )

        assert summary.stale == 1
        assert salesforce_value(box, moved_o, moved_s, "FirstName") == original  # "Planned" never written
        assert salesforce_value(box, kept_o, kept_s, "FirstName") == "Kept"
        assert query_state(
            "SELECT record_ref, error_code, error_fields FROM write_results WHERE run_id = ? AND NOT succeeded",
            plan.run_id,
        ) == [(moved_s, "STALE_PLAN", ["FirstName"])]
        assert query_state(
            "SELECT value FROM base_values WHERE pair = 'contacts' AND hubspot_id = ? AND field = 'firstname'",
            moved_h,
        ) == [(original,)]
        assert meter.total("hubspot") >= 1  # the source was read again

        assert run_sync().success
        assert salesforce_value(box, moved_o, moved_s, "FirstName") == "Moved"


@pytest.mark.slow
def test_an_edit_made_on_the_target_while_the_run_planned_is_not_overwritten(boxes, tmp_path):
    """HubSpot changed a title; someone edits the same Salesforce title after the plan, before the write.
    The write must not overwrite that edit: the row is held back, and the next cycle sees both changes
    as a conflict that the newer edit (Salesforce's) wins, recorded with HubSpot's value as the loser."""
    box = boxes()
    with synced_against(box, tmp_path) as settings:
        assert run_sync().success
        ((hubspot_id, sobject, salesforce_id),) = query_state(
            """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
               WHERE l.pair = 'contacts' ORDER BY 1 LIMIT 1"""
        )
        hubspot_edit(box, "contacts", hubspot_id, jobtitle="Planned in HubSpot")
        plan = (
            build_definitions()
            .resolve_job_def(PLAN_JOB)
            .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
        )
        assert plan.success
        salesforce_edit(box, sobject, salesforce_id, Title="Edited in Salesforce meanwhile")

        meter = CallMeter()
        writer = SalesforceWriter(
            SalesforceConnector(settings.salesforce, meter), HubSpotConnector(settings.hubspot, meter)
        )
        pair = load_mapping(default_mapping_path()).pair("contacts")
        summary = apply_plan(lambda: db.connect(), writer, plan.run_id, "contacts", pair)

        assert summary.stale == 1
        assert salesforce_value(box, sobject, salesforce_id, "Title") == "Edited in Salesforce meanwhile"
        ((code, message, fields),) = query_state(
            "SELECT error_code, error_message, error_fields FROM write_results WHERE run_id = ? AND record_ref = ?",
            plan.run_id,
            salesforce_id,
        )
        assert (code, fields) == ("STALE_PLAN", ["Title"]) and message.startswith(
            "the target (salesforce) changed"
        )

        assert run_sync().success
        assert hubspot_value(box, "contacts", hubspot_id, "jobtitle") == "Edited in Salesforce meanwhile"
        assert salesforce_value(box, sobject, salesforce_id, "Title") == "Edited in Salesforce meanwhile"
        assert query_state(
            "SELECT hubspot_value, salesforce_value, winner FROM conflicts WHERE hubspot_id = ? AND field = 'jobtitle'",
            hubspot_id,
        ) == [("Planned in HubSpot", "Edited in Salesforce meanwhile", "salesforce")]
