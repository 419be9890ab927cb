"""Access tokens never leave the environment: not into Dagster's event log (messages, metadata, errors),
not into the state file, not into the CLI's output, whether the run succeeds or the CRMs refuse the
tokens."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from tests.integration.conftest import run_sync

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

HUBSPOT_SECRET = "pat-na1-7f3c2e1a-secret-hubspot-token"
SALESFORCE_SECRET = "00Dxx0000001gPL!secret-salesforce-session"


def run_with(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    job = build_definitions().resolve_job_def(SYNC_JOB)
    return job.execute_in_process(instance=instance, raise_on_error=False)


def everything_dagster_kept(instance: dg.DagsterInstance, run_id: str | None = None) -> str:
    """The event log of `run_id`, or of every run the instance holds."""
    run_ids = [run_id] if run_id else [run.run_id for run in instance.get_runs()]
    return "\n".join(repr(record) for rid in run_ids for record in instance.all_logs(rid))


def state_text(path: Path) -> str:
    """Every value of every table in the state file, as text (the file itself stores strings compressed,
    so searching its bytes would prove nothing)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            parts.append(table + "\n" + "\n".join(repr(r) for r in rows))
        return "\n".join(parts)
    finally:
        con.close()


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert secret.split("!")[-1] not in text  # nor the part after a Salesforce org prefix


def test_tokens_the_crms_refuse_stay_out_of_logs_errors_and_state(sandbox, crm_env, monkeypatch):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", HUBSPOT_SECRET)
    monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.hubspot.url)
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", sandbox.salesforce.url)
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", SALESFORCE_SECRET)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_with(instance)
        assert not result.success  # the sandbox accepts only its own token
        kept = everything_dagster_kept(instance, result.run_id)
    assert "401" in kept or "INVALID_SESSION_ID" in kept or "UNAUTHORIZED" in kept.upper()
    assert_no_secret(kept, HUBSPOT_SECRET, SALESFORCE_SECRET)
    assert_no_secret(state_text(Path(os.environ["CRMSYNC_STATE_DB"])), HUBSPOT_SECRET, SALESFORCE_SECRET)


def test_a_successful_run_keeps_the_sandbox_token_out_of_logs_metadata_and_state(sandbox, crm_env):
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_sync(instance)  # a held first sync, its approval and the run that writes
        assert result.success
        kept = everything_dagster_kept(instance)
    assert "api calls" in kept  # the metadata is in what we searched
    assert "sandbox-token" not in kept
    state = state_text(Path(os.environ["CRMSYNC_STATE_DB"]))
    assert "hubspot_contacts_snapshot" in state and "@" in state  # the tables and their values were read
    assert "sandbox-token" not in state
