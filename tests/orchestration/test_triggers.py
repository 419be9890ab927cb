"""The change sensor against both sandbox CRMs over HTTP: a person's edit launches a sync, crmsync's own
writes do not, a busy instance skips the tick without a call, a failed run is retried with backoff, and
each tick costs exactly one Salesforce API call (counted by the sandbox)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import dagster as dg
import pytest
import requests

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors import change_probe
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration import sensor_state, triggers
from crmsync_pipeline.orchestration.health import publish_state_copy
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions, generate_world
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.state.pauses import pause_pair


@pytest.fixture(scope="module")
def crms():
    options = SeedOptions(records=20, seed=5)
    world = generate_world(options)
    threads = [
        EmulatorThread(HubSpotEmulator(None)).start(),
        EmulatorThread(SalesforceEmulator(None)).start(),
    ]
    for t in threads:
        t.call(lambda t=t: t.emulator.reset(options, world))
    threads[0].call(lambda: threads[0].emulator.update_settings({"search_lag_seconds": 0}))
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", threads[0].url)
    mp.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", threads[1].url)
    mp.setenv("CRMSYNC_SENSOR_SHARE", "0")  # every tick probes (test_probe_interval_adapts... sets a share)
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        mp.delenv(name, raising=False)
    yield {"hubspot": threads[0].url, "salesforce": threads[1].url}
    mp.undo()
    for t in threads:
        t.stop()


@pytest.fixture(scope="module")
def sensor():
    return triggers.change_sensor(load_mapping(default_mapping_path()))


@pytest.fixture(scope="module")
def api(crms):
    settings = ConnectionSettings.from_env()
    meter = CallMeter()
    return HubSpotConnector(settings.hubspot, meter), SalesforceConnector(settings.salesforce, meter)


def calls(crms) -> dict[str, int]:
    """API calls as each CRM bills them (Salesforce: every subrequest of a composite/batch is a call)."""
    return {
        crm: requests.get(f"{url}/_sandbox/stats", timeout=10).json()["billed_calls"]
        for crm, url in crms.items()
    }


def tick(sensor, instance, cursor):
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    return result, result.cursor or cursor


def first_ids(api) -> tuple[str, str]:
    hubspot, salesforce = api
    contact = next(iter(salesforce.query_pages("SELECT Id FROM Contact ORDER BY Id LIMIT 1")))[0]["Id"]
    return next(iter(hubspot.list_pages("contacts", ["email"])))[0]["id"], contact


def user_edit(crms, crm: str, record_id: str, **values: str) -> None:
    if crm == "hubspot":
        url, body = (
            f"{crms['hubspot']}/_sandbox/hubspot/objects/contacts/{record_id}/edit",
            {"properties": values},
        )
    else:
        url, body = (
            f"{crms['salesforce']}/_sandbox/salesforce/edit",
            {"object": "Contact", "id": record_id, "fields": values},
        )
    requests.post(url, json=body, timeout=10).raise_for_status()


def watching(sensor, instance):
    """A sensor that has ticked once (its first tick only sets the cursor and learns the integration user)."""
    result, cursor = tick(sensor, instance, None)
    assert not result.run_requests
    return cursor


def test_quiet_ticks_skip_and_cost_one_billed_salesforce_call_each(crms, sensor):
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    before = calls(crms)
    for _ in range(3):
        result, cursor = tick(sensor, instance, cursor)
        assert not result.run_requests and "no change" in result.skip_reason.skip_message
    after = calls(crms)
    sobjects = triggers.probe_objects(load_mapping(default_mapping_path()))[0]
    assert after["salesforce"] - before["salesforce"] == 3 * change_probe.probe_calls_per_tick(len(sobjects))
    hubspot_objects = len(triggers.probe_objects(load_mapping(default_mapping_path()))[1])
    assert after["hubspot"] - before["hubspot"] == 3 * hubspot_objects
    # the first tick also asked once who the integration user is
    made = 1 + 4 * change_probe.probe_calls_per_tick(len(sobjects))
    assert f"salesforce {made} ({made / 100_000:.2%} of 100,000)" in result.skip_reason.skip_message


def test_probe_interval_adapts_to_stay_within_the_share(crms, sensor, monkeypatch):
    """Billed as Salesforce bills it, a day of probes at the default tick stays under 3% of a
    100,000-call day: with more than five sObjects the probe spaces itself out."""
    monkeypatch.setenv("CRMSYNC_SENSOR_SHARE", "3%")
    mapping = load_mapping(default_mapping_path())
    per_day = triggers.sensor_calls_per_day(mapping, 30)
    assert 0 < per_day["salesforce"] / 100_000 < 0.03
    sobjects = triggers.probe_objects(mapping)[0]
    every = triggers.probe_interval_s(len(sobjects), 100_000, 30)
    assert 86_400 // every * change_probe.probe_calls_per_tick(len(sobjects)) < 3_000
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    before = calls(crms)
    result, cursor = tick(sensor, instance, cursor)
    assert calls(crms)["salesforce"] == before["salesforce"]  # too soon: no call
    if every > 30:
        assert f"next probe {every} s after the last" in result.skip_reason.skip_message
    # an org with a smaller allocation (a Developer Edition's 15,000) stretches the interval
    assert triggers.probe_interval_s(len(sobjects), 15_000, 30) > every


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_a_person_editing_either_crm_launches_a_sync(crms, sensor, api, crm):
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    hubspot_id, salesforce_id = first_ids(api)
    if crm == "hubspot":
        user_edit(crms, crm, hubspot_id, jobtitle="Head of Sensors")
    else:
        user_edit(crms, crm, salesforce_id, Title="Head of Sensors")
    result, cursor = tick(sensor, instance, cursor)
    assert len(result.run_requests) == 1
    assert f"{crm}:" in result.run_requests[0].tags["crmsync/changed"]
    result, _ = tick(sensor, instance, cursor)
    assert not result.run_requests  # the cursor moved past the edit


def test_crmsyncs_own_writes_do_not_trigger(crms, sensor, api, monkeypatch):
    hubspot, salesforce = api
    # the sandbox shares our clock: no slack around write windows, so the user edit made right after
    # the write step below counts as a person's change
    monkeypatch.setattr(change_probe, "CLOCK_SLACK", timedelta(0))
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    hubspot_id, salesforce_id = first_ids(api)

    @dg.op(name="contacts_writes")
    def contacts_writes() -> None:  # a sync's write step, writing both CRMs as crmsync does
        assert salesforce.update("Contact", [{"id": salesforce_id, "Title": "Written by crmsync"}])[
            0
        ].succeeded
        assert hubspot.update("contacts", [{"id": hubspot_id, "jobtitle": "Written by crmsync"}])[0].succeeded

    @dg.job(name="sync")
    def sync() -> None:
        contacts_writes()

    assert sync.execute_in_process(instance=instance).success
    result, cursor = tick(sensor, instance, cursor)
    assert not result.run_requests, result.skip_reason
    user_edit(crms, "hubspot", hubspot_id, jobtitle="Edited after crmsync")
    result, _ = tick(sensor, instance, cursor)
    assert [r.tags["crmsync/changed"] for r in result.run_requests] == ["hubspot:contacts"]


def test_a_queued_or_running_sync_skips_the_tick_without_calls(crms, sensor, api):
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    run = dg.DagsterRun(job_name="sync", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED)
    instance.add_run(run)
    user_edit(crms, "salesforce", first_ids(api)[1], Title="Edited while a sync runs")
    before = calls(crms)
    result, cursor = tick(sensor, instance, cursor)
    assert not result.run_requests and run.run_id in result.skip_reason.skip_message
    assert calls(crms) == before
    instance.report_run_canceled(run)
    result, _ = tick(sensor, instance, cursor)
    assert len(result.run_requests) == 1  # the edit was not lost while skipping


def test_a_failed_sync_is_retried_with_backoff(crms, sensor, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    failed = dg.DagsterRun(job_name="sync", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.FAILURE)
    instance.add_run(failed)
    result, _ = tick(sensor, instance, None)
    assert not result.run_requests and "retry 1 in" in result.skip_reason.skip_message
    monkeypatch.setattr(sensor_state, "RETRY_BASE_S", 0.0)
    result, _ = tick(sensor, instance, None)
    (request,) = result.run_requests
    assert (
        request.tags[sensor_state.ATTEMPT_TAG] == "1"
        and request.tags[sensor_state.RETRY_OF_TAG] == failed.run_id
    )
    third = dg.DagsterRun(
        job_name="sync", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.FAILURE,
        tags={sensor_state.ATTEMPT_TAG: str(sensor_state.MAX_RETRIES), sensor_state.RETRY_OF_TAG: failed.run_id},
    )  # fmt: skip
    instance.add_run(third)
    result, _ = tick(sensor, instance, None)
    assert not result.run_requests and "no change" in result.skip_reason.skip_message  # retries exhausted


def test_pairs_paused_as_of_the_last_run_are_not_probed(crms, sensor, tmp_path, monkeypatch):
    state = tmp_path / "crmsync.duckdb"
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(state))
    pairs = load_mapping(default_mapping_path()).active_pairs()
    for pair in pairs:
        if pair != "contacts":
            pause_pair(state, pair)
    publish_state_copy(state)  # what a run does when it ends
    instance = dg.DagsterInstance.ephemeral()
    cursor = watching(sensor, instance)
    before = calls(crms)
    tick(sensor, instance, cursor)
    after = calls(crms)
    assert after["hubspot"] - before["hubspot"] == 1  # contacts only
    assert after["salesforce"] - before["salesforce"] == 1


def test_status_shows_the_sensor_share_counted_as_salesforce_bills_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from crmsync_pipeline.cli.main import cli
    from crmsync_pipeline.state import db

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "state.duckdb"))
    monkeypatch.setenv("CRMSYNC_SENSOR_SHARE", "3%")
    monkeypatch.delenv("CRMSYNC_SENSOR_INTERVAL_S", raising=False)
    with db.connect(tmp_path / "state.duckdb"):
        pass
    out = CliRunner().invoke(cli, ["status"], env={"COLUMNS": "250"}).output
    mapping = load_mapping(default_mapping_path())
    per_day = triggers.sensor_calls_per_day(mapping)["salesforce"]
    every = triggers.probe_interval_s(len(triggers.probe_objects(mapping)[0]), None)
    assert f"{per_day:,} Salesforce calls a day, a probe every {every} s" in out
    assert per_day / 100_000 < 0.03
