"""API calls of a first sync and of a cycle with no changes, at N people per side, counted by the
sandbox (Professional-tier rate limits on). Targets: at most 0.05 calls per record read on a first
sync (issue 3; issue 6 asks 0.03), at most 2 calls per object and CRM on a no-change cycle."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import duckdb

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.pipeline.setup import setup_fields

from .sandbox_process import SandboxProcess


def sync_and_count(sandbox: SandboxProcess) -> dict:
    import dagster as dg

    before = {url: sandbox.stats(url)["api_calls"] for url in (sandbox.hubspot_url, sandbox.salesforce_url)}
    started = time.monotonic()
    result = (
        build_definitions()
        .resolve_job_def(SYNC_JOB)
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    )
    seconds = time.monotonic() - started
    calls = {
        name: sandbox.stats(url)["api_calls"] - before[url]
        for name, url in (("hubspot", sandbox.hubspot_url), ("salesforce", sandbox.salesforce_url))
    }
    with duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True) as con:
        read = sum(
            con.execute(f'SELECT count(*) FROM "{t}" WHERE _run_id = ?', [result.run_id]).fetchall()[0][0]
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%_snapshot'"
            ).fetchall()
        )
    return {
        "success": result.success,
        "seconds": round(seconds, 1),
        "calls": calls,
        "records_read": read,
        "calls_per_record_read": round(sum(calls.values()) / max(read, 1), 4),
    }


def run(people: int = 10_000) -> dict:
    with SandboxProcess(records=people) as sandbox, tempfile.TemporaryDirectory() as state_dir:
        os.environ["CRMSYNC_SANDBOX_HUBSPOT_URL"] = sandbox.hubspot_url
        os.environ["CRMSYNC_SANDBOX_SALESFORCE_URL"] = sandbox.salesforce_url
        os.environ["CRMSYNC_STATE_DB"] = str(Path(state_dir) / "crmsync.duckdb")
        resource = CrmsyncResource(mapping_file=default_mapping_path())
        setup_fields(load_mapping(default_mapping_path()), *resource.connectors(CallMeter()))
        first = sync_and_count(sandbox)
        second = sync_and_count(sandbox)  # reads back what the first one wrote (cross-references, creates)
        quiet = sync_and_count(sandbox)  # nothing changed since the second
        pairs = len(load_mapping(default_mapping_path()).active_pairs())
        return {
            "people_per_side": people,
            "first_sync": first,
            "second_sync": second,
            "no_change_cycle": quiet,
            "no_change_calls_per_object_and_crm": {
                crm: round(n / pairs, 2) for crm, n in quiet["calls"].items()
            },
        }
