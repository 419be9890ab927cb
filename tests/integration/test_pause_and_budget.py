"""Pausing a pair and stopping at the daily API cap, as an operator meets them: a paused pair is left
alone and catches up on resume; a run stopped at the cap resumes without re-reading or re-writing what
it finished, which the sandbox's own call counters show."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.extract.hubspot import HUBSPOT_OVERLAP
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions, generate_world
from crmsync_pipeline.sandbox.server import EmulatorThread

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


@pytest.fixture(scope="module")
def sandbox():
    """Smaller than conftest's (these tests run six syncs); the same shape otherwise."""
    options = SeedOptions(records=100, seed=11)
    world = generate_world(options)
    box = SimpleNamespace(
        hubspot=EmulatorThread(HubSpotEmulator(None)).start(),
        salesforce=EmulatorThread(SalesforceEmulator(None)).start(),
    )
    for thread in (box.hubspot, box.salesforce):
        thread.call(lambda t=thread: t.emulator.reset(options, world))
    box.hubspot.call(lambda: box.hubspot.emulator.update_settings({"search_lag_seconds": 0}))
    yield box
    box.hubspot.stop()
    box.salesforce.stop()


def route_calls(url: str, fragment: str) -> int:
    """Calls to routes containing `fragment`, as the sandbox counted them."""
    stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
    return sum(n for route, n in stats["by_route"].items() if fragment in route)


def metadata(result, key: str) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


@pytest.fixture(scope="module")
def linked(sandbox, sync, query):
    assert sync().success
    return query(
        """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND h.firstname IS NOT NULL ORDER BY l.hubspot_id"""
    )


def test_a_paused_pair_waits_and_catches_up_on_resume(sandbox, sync, linked, query):
    runner = CliRunner()
    paused = runner.invoke(cli, ["pause", "contacts", "--reason", "cleaning up titles"])
    assert paused.exit_code == 0, paused.output
    (h1, o1, s1), (h2, o2, s2) = linked[:2]
    hubspot_edit(sandbox, "contacts", h1, firstname="Edited-While-Paused")
    salesforce_edit(sandbox, o2, s2, Title="Edited While Paused")

    held = sync()
    assert held.success
    assert "paused since" in metadata(held, "hubspot_contacts_snapshot")["paused"]
    assert "paused since" in metadata(held, "salesforce_contacts_writes")["paused"]
    assert salesforce_value(sandbox, o1, s1, "FirstName") != "Edited-While-Paused"
    assert hubspot_value(sandbox, "contacts", h2, "jobtitle") != "Edited While Paused"
    status = runner.invoke(cli, ["status"])
    assert "Paused pairs" in status.output and "cleaning up titles" in status.output

    assert runner.invoke(cli, ["resume", "contacts"]).exit_code == 0
    caught_up = sync()
    assert caught_up.success
    assert salesforce_value(sandbox, o1, s1, "FirstName") == "Edited-While-Paused"
    assert hubspot_value(sandbox, "contacts", h2, "jobtitle") == "Edited While Paused"
    assert runner.invoke(cli, ["resume", "contacts"]).exit_code == 1  # not paused any more


def test_a_run_stopped_at_the_cap_resumes_without_rereading_or_rewriting(
    sandbox, sync, linked, query, monkeypatch
):
    sf_url = sandbox.salesforce.url
    quiet = sync()  # nothing changed: what a run spends on Salesforce before it writes anything
    assert quiet.success
    (before_writes,) = query(
        "SELECT sum(calls) FROM api_calls WHERE run_id = ? AND crm = 'salesforce'", quiet.run_id
    )[0]
    # Leads and Contacts: one collection call per sObject, so two write calls
    edited = [r for r in linked if r[1] == "Lead"][:6] + [r for r in linked if r[1] == "Contact"][:6]
    assert len(edited) == 12
    for hubspot_id, _, _ in edited:
        hubspot_edit(sandbox, "contacts", hubspot_id, firstname=f"Capped-{hubspot_id}")
    (today,) = query("SELECT calls FROM api_calls_daily WHERE crm = 'salesforce' AND day = current_date")[0]
    # room for exactly one Salesforce update batch (the re-read of its targets, then the write): the run
    # stops before its second
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", str(today + before_writes + 2))
    writes_before = route_calls(sf_url, "composite/sobjects")
    stopped = sync()
    assert not stopped.success
    assert route_calls(sf_url, "composite/sobjects") - writes_before == 1
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    assert status == "stopped" and "salesforce daily API budget reached" in summary
    done = {r[0] for r in query(
        "SELECT record_ref FROM write_results WHERE run_id = ? AND target = 'salesforce' AND succeeded", stopped.run_id
    )}  # fmt: skip
    assert done and done < {r[2] for r in edited}
    ((read_on_from,),) = query(
        "SELECT cursor_value FROM extract_cursors WHERE crm = 'hubspot' AND object = 'contacts'"
    )

    monkeypatch.delenv("CRMSYNC_SALESFORCE_DAILY_CAP")
    writes_before = route_calls(sf_url, "composite/sobjects")
    resumed = sync()
    assert resumed.success
    again = {r[0] for r in query(
        "SELECT record_ref FROM write_results WHERE run_id = ? AND target = 'salesforce'", resumed.run_id
    )}  # fmt: skip
    assert not (again & done)  # nothing written twice
    planned = {r[0] for r in query(
        "SELECT record_ref FROM plan_rows WHERE run_id = ? AND target = 'salesforce'", stopped.run_id
    )}  # fmt: skip
    assert again | done == planned  # the rest of the stopped run's plan, re-planned and written once
    assert route_calls(sf_url, "composite/sobjects") - writes_before == 1  # the one sObject left
    # the stopped run's extract finished: the next one reads on from its cursor, as a quiet run does
    # (its 15 s overlap re-reads the newest edits once; on a fast machine that still holds the first
    # sync's own writes), never a full load again
    snapshot = metadata(resumed, "hubspot_contacts_snapshot")
    assert snapshot["full load"] is False and snapshot["records read"] >= len(edited)
    assert query(
        "SELECT count(*) FROM hubspot_contacts_snapshot WHERE _run_id = ? AND _modified_at < ?",
        resumed.run_id,
        read_on_from - HUBSPOT_OVERLAP,
    ) == [(0,)]
    reads = (
        "SELECT sum(calls) FROM api_calls WHERE run_id = ? AND (route LIKE '%.search' OR route LIKE '%.list')"
    )
    assert query(reads, resumed.run_id) == query(reads, quiet.run_id)
    for hubspot_id, sobject, salesforce_id in edited:
        if salesforce_id in planned:
            assert salesforce_value(sandbox, sobject, salesforce_id, "FirstName") == f"Capped-{hubspot_id}"
