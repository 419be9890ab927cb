"""Salesforce sessions under OAuth client credentials, as a sync meets them: sessions expiring again and
again during a run are renewed with one token request each (every asset shares the process's session),
a connected app whose fresh sessions are all refused fails the run with INVALID_SESSION_ID after a
bounded number of token requests, and a refused client secret fails it at once. The sandbox's own
counters are the witness; no token or secret reaches the run's events or the state file."""

from __future__ import annotations

import re

import dagster as dg
import pytest
import requests
from sandboxes import Sandbox

from crmsync_pipeline.cli.run_commands import failure_messages
from crmsync_pipeline.connectors.sessions import MAX_FUTILE_RENEWALS_PER_RUN
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions

pytestmark = pytest.mark.slow  # make test-slow

CLIENT_SECRET = "sandbox-client-secret"
SESSION_TOKEN = re.compile(r"[A-Za-z0-9]{15}![A-Za-z0-9_\-]{20,}")  # what the sandbox issues
EXPIRIES_AT = (2, 9, 17, 28)  # Salesforce API requests into the run at which every session expires


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=23)
    yield box
    box.stop()


@pytest.fixture
def oauth_env(sandbox, crm_env, monkeypatch):
    """crmsync configured as in production: a HubSpot token, Salesforce by client credentials."""
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "sandbox-token")
    monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.hubspot.url)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", "sandbox-client-id")
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SALESFORCE_LOGIN_URL", sandbox.salesforce.url)
    yield sandbox
    admin(sandbox, "salesforce/sessions/expire", {"next_requests": 0})
    requests.delete(f"{sandbox.salesforce.url}/_sandbox/faults/hooks", timeout=10).raise_for_status()


def admin(sandbox, path: str, body: dict | None = None) -> dict:
    answer = requests.post(f"{sandbox.salesforce.url}/_sandbox/{path}", json=body or {}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def salesforce_routes(sandbox) -> dict[str, int]:
    return requests.get(f"{sandbox.salesforce.url}/_sandbox/stats", timeout=10).json()["by_route"]


def counted(before: dict[str, int], after: dict[str, int], token: bool) -> int:
    return sum(n - before.get(r, 0) for r, n in after.items() if ("oauth2/token" in r) == token)


def run_sync() -> tuple[dg.ExecuteInProcessResult, str]:
    """The sync job, with everything Dagster recorded of it as text."""
    job = build_definitions().resolve_job_def(SYNC_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        kept = "\n".join(repr(r) for r in instance.all_logs(result.run_id))
    return result, kept


def test_sessions_expiring_again_and_again_cost_one_token_request_each(oauth_env, query):
    sandbox = oauth_env
    for nth in EXPIRIES_AT:
        expire = {"method": "POST", "url": f"{sandbox.salesforce.url}/_sandbox/salesforce/sessions/expire"}
        hook = {"on": {"contains": "/services/data/", "nth": nth}, "then": {"apply_edits": [expire]}}
        admin(sandbox, "faults/hooks", hook)
    before = salesforce_routes(sandbox)
    result, kept = run_sync()
    assert result.success, failure_messages(result)
    after = salesforce_routes(sandbox)
    hooks = requests.get(f"{sandbox.salesforce.url}/_sandbox/faults/hooks", timeout=10).json()
    expiries = sum(1 for h in hooks if h["fired"])
    assert expiries == len(EXPIRIES_AT)  # the run lived through every expiry

    tokens = counted(before, after, token=True)
    # one login for the whole run (assets share it), one renewal per expiry; unshared, each of the
    # run's ~18 Salesforce connectors asked for its own
    assert expiries <= tokens <= 1 + expiries, (tokens, expiries)
    ((recorded,),) = query(
        "SELECT coalesce(sum(calls), 0) FROM api_calls WHERE run_id = ? AND crm = 'salesforce' "
        "AND route = 'oauth.token'",
        result.run_id,
    )
    assert recorded == tokens  # crmsync counted every token request it made
    assert query("SELECT count(*) FROM sync_errors WHERE error_code = 'INVALID_SESSION_ID'") == [(0,)]

    # nothing was left behind: a second run with no edits and no expiry has nothing to write
    again, _ = run_sync()
    assert again.success, failure_messages(again)
    assert query("SELECT count(*) FROM write_results WHERE run_id = ?", again.run_id) == [(0,)]
    assert query("SELECT count(*) FROM links WHERE pair = 'contacts'")[0][0] > 0
    assert CLIENT_SECRET not in kept and not SESSION_TOKEN.search(kept)


def test_fresh_sessions_all_refused_fail_the_run_after_a_few_token_requests(oauth_env):
    sandbox = oauth_env
    admin(sandbox, "salesforce/sessions/expire", {"next_requests": 100_000})  # every API request: 401
    before = salesforce_routes(sandbox)
    result, kept = run_sync()
    after = salesforce_routes(sandbox)

    assert not result.success
    report = "\n".join(failure_messages(result))  # what `crmsync sync` prints
    assert "INVALID_SESSION_ID" in report and "connected app" in report, report
    tokens, refused_calls = counted(before, after, token=True), counted(before, after, token=False)
    assert 1 <= tokens <= 1 + MAX_FUTILE_RENEWALS_PER_RUN, tokens  # no loop on the token endpoint
    assert refused_calls <= 3 * 2, refused_calls  # two connectors' calls, each tried with 2 renewals
    assert CLIENT_SECRET not in kept and not SESSION_TOKEN.search(kept)


def test_a_refused_client_secret_fails_the_run_with_the_endpoint_code_at_once(oauth_env, monkeypatch):
    sandbox = oauth_env
    wrong = "wrong-secret-3f9a1c"
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", wrong)
    before = salesforce_routes(sandbox)
    result, kept = run_sync()
    after = salesforce_routes(sandbox)

    assert not result.success
    report = "\n".join(failure_messages(result))
    assert "invalid_client" in report and "SALESFORCE_CLIENT_SECRET" in report, report
    assert counted(before, after, token=True) == 1  # the endpoint's refusal is final for the run
    assert counted(before, after, token=False) == 0
    assert wrong not in kept and wrong not in report
