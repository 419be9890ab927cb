"""What starts a sync: a schedule for the full cycle (CRMSYNC_SYNC_CRON, default every 15 minutes) and
a change sensor (tick CRMSYNC_SENSOR_INTERVAL_S, default 30 s) that asks both CRMs cheaply whether a
person changed anything, and re-launches a failed run with backoff. Neither opens the state file.

Both start stopped, as Dagster's are by default; CRMSYNC_AUTOMATION=running starts them with the daemon
(or switch them on in the UI, where the choice is kept)."""

import math
import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.change_probe import (
    hubspot_changed,
    probe_calls_per_tick,
    salesforce_changed,
    salesforce_integration_user,
)
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.state.db import default_state_path

from .sensor_state import (
    ATTEMPT_TAG,
    RETRY_OF_TAG,
    SYNC_JOB,
    TRIGGER_TAG,
    SensorCursor,
    busy_sync,
    paused_pairs_published,
    retry_due,
    write_windows,
)

DEFAULT_CRON = "*/15 * * * *"
DEFAULT_TICK_S = 30
SALESFORCE_DAY = 100_000  # the daily allocation the sensor's share is shown against (Enterprise base)
DEFAULT_SHARE = 0.03
# HubSpot search lags writes by seconds: a quiet tick only moves the cursor to this far back, so a change
# not yet searchable is still found by a later tick.
SEARCH_LAG = timedelta(seconds=10)

_connectors: dict[tuple, tuple[HubSpotConnector, SalesforceConnector]] = {}


def sync_cron() -> str:
    return os.environ.get("CRMSYNC_SYNC_CRON") or DEFAULT_CRON


def tick_seconds() -> int:
    return int(os.environ.get("CRMSYNC_SENSOR_INTERVAL_S") or DEFAULT_TICK_S)


def automation_running() -> bool:
    return os.environ.get("CRMSYNC_AUTOMATION", "").lower() == "running"


def probe_objects(mapping: Mapping, paused: set[str] | None = None) -> tuple[list[str], list[str]]:
    """(Salesforce sObjects, HubSpot object types) of the active, unpaused pairs, junction objects included."""
    sobjects: list[str] = []
    hubspot: list[str] = []
    for pair_name in [p for p in mapping.active_pairs() if p not in (paused or set())]:
        pair = mapping.pair(pair_name)
        junctions = [a.junction.object for a in pair.associations if a.junction is not None]
        sobjects += [s for s in [*pair.salesforce, *junctions] if s not in sobjects]
        hubspot += [] if pair.hubspot in hubspot else [pair.hubspot]
    return sobjects, hubspot


def sensor_share() -> float:
    """The most of the org's daily Salesforce allocation the sensor may use (CRMSYNC_SENSOR_SHARE, default
    3%; 0 turns the cap off and every tick probes)."""
    text = (os.environ.get("CRMSYNC_SENSOR_SHARE") or "").strip().rstrip("%")
    return float(text) / 100 if text else DEFAULT_SHARE


def probe_interval_s(sobject_count: int, daily_limit: int | None, tick_s: int | None = None) -> int:
    """Seconds between probes: the tick, stretched so a day of probes stays within the share of the org's
    daily allocation (the limit the org reports; 100,000 until it has reported one)."""
    tick = tick_s or tick_seconds()
    share = sensor_share()
    if share <= 0:
        return tick
    per_day_allowed = share * (daily_limit or SALESFORCE_DAY)
    return max(tick, math.ceil(86_400 * probe_calls_per_tick(sobject_count) / per_day_allowed))


def sensor_calls_per_day(mapping: Mapping, tick_s: int | None = None) -> dict[str, int]:
    """The sensor's API calls in a day of quiet ticks, counted as the CRMs bill them: one Salesforce
    `/composite` per five sObjects and one search per HubSpot object each tick (a tick skipped because a
    sync runs makes none)."""
    sobjects, object_types = probe_objects(mapping)
    ticks = 86_400 // probe_interval_s(len(sobjects), None, tick_s)
    return {"salesforce": ticks * probe_calls_per_tick(len(sobjects)), "hubspot": ticks * len(object_types)}


def sensor_share_text(mapping: Mapping, tick_s: int | None = None) -> str:
    """The Salesforce daily share of the sensor at its tick, as `crmsync status` and the sensor show it."""
    every = probe_interval_s(len(probe_objects(mapping)[0]), None, tick_s)
    per_day = sensor_calls_per_day(mapping, tick_s)["salesforce"]
    return (
        f"{per_day:,} Salesforce calls a day, a probe every {every} s "
        f"({per_day / SALESFORCE_DAY:.2%} of {SALESFORCE_DAY:,}; billed per /composite)"
    )


def _clients(meter: CallMeter) -> tuple[HubSpotConnector, SalesforceConnector]:
    """Connectors kept between ticks of this process: an OAuth session is reused, not re-issued per tick."""
    settings = ConnectionSettings.from_env()
    key = (settings.hubspot.base_url, settings.salesforce.instance_url, settings.salesforce.login_url)
    if key not in _connectors:
        _connectors[key] = (
            HubSpotConnector(settings.hubspot, meter),
            SalesforceConnector(settings.salesforce, meter),
        )
    hubspot, salesforce = _connectors[key]
    hubspot.call.meter = salesforce.call.meter = meter
    return hubspot, salesforce


def evaluate_tick(context: dg.SensorEvaluationContext, mapping: Mapping) -> dg.SensorResult:
    now = datetime.now(UTC)
    cursor = SensorCursor.load(context.cursor)
    running = busy_sync(context.instance)
    if running:
        return dg.SensorResult(skip_reason=f"sync run {running} is queued or running")
    retry = retry_due(context.instance, now)
    if retry is not None and retry.due_in_s > 0:
        return dg.SensorResult(
            skip_reason=f"run {retry.failed_run} failed: retry {retry.attempt} in {retry.due_in_s:.0f} s"
        )
    if retry is not None:
        tags = {TRIGGER_TAG: "retry", ATTEMPT_TAG: str(retry.attempt), RETRY_OF_TAG: retry.failed_run}
        request = dg.RunRequest(run_key=f"retry-{retry.failed_run}-{retry.attempt}", tags=tags)
        return dg.SensorResult(run_requests=[request], cursor=cursor.dump())
    if cursor.since is None:  # first tick: start watching from now; the schedule covers what came before
        cursor.since = now.isoformat()
    since = datetime.fromisoformat(cursor.since)
    sobjects, object_types = probe_objects(mapping, paused_pairs_published(default_state_path()))
    every = probe_interval_s(len(sobjects), cursor.salesforce_limit)
    waited = (
        None
        if cursor.last_probe is None
        else (now - datetime.fromisoformat(cursor.last_probe)).total_seconds()
    )
    if every > tick_seconds() and waited is not None and waited < every:  # (Dagster itself spaces ticks)
        return dg.SensorResult(
            skip_reason=f"next probe {every} s after the last (keeps the sensor within {sensor_share():.0%} "
            f"of Salesforce's daily API allocation)",
            cursor=cursor.dump(),
        )
    cursor.last_probe = now.isoformat()
    meter = CallMeter()
    hubspot, salesforce = _clients(meter)
    try:
        if cursor.salesforce_user is None:
            cursor.salesforce_user = salesforce_integration_user(salesforce)
        hits = salesforce_changed(salesforce, sobjects, since, cursor.salesforce_user, cursor.salesforce_seen)
        changed = [f"salesforce:{s}" for s in dict.fromkeys(h.sobject for h in hits)]
        reported = salesforce.call.limit_info() if salesforce.call.limit_info is not None else None
        if reported is not None and reported[1] > 0:
            cursor.salesforce_limit = reported[1]
        windows = write_windows(context.instance, since)
        changed += [f"hubspot:{o}" for o in hubspot_changed(hubspot, object_types, since, windows)]
    finally:
        cursor.add_calls(now.date(), {crm: meter.total(crm) for crm in ("salesforce", "hubspot")})
    used = cursor.calls.get("salesforce", 0)
    budget = f"sensor calls today: salesforce {used} ({used / SALESFORCE_DAY:.2%} of {SALESFORCE_DAY:,}), hubspot {cursor.calls.get('hubspot', 0)}"
    if changed:
        cursor.since = now.isoformat()
        cursor.salesforce_seen = [h.record_id for h in hits]
        tags = {TRIGGER_TAG: "sensor", "crmsync/changed": ",".join(changed)[:200]}
        return dg.SensorResult(run_requests=[dg.RunRequest(tags=tags)], cursor=cursor.dump())
    cursor.since = max(since, now - SEARCH_LAG).isoformat()
    if cursor.since != since.isoformat():
        cursor.salesforce_seen = []  # the seen records were in the old `since`'s second
    return dg.SensorResult(
        skip_reason=f"no change by a person since {since:%H:%M:%S}; {budget}", cursor=cursor.dump()
    )


def change_sensor(mapping: Mapping) -> dg.SensorDefinition:
    per_day = sensor_calls_per_day(mapping)

    @dg.sensor(
        name="crm_change_sensor",
        job_name=SYNC_JOB,
        minimum_interval_seconds=tick_seconds(),
        default_status=dg.DefaultSensorStatus.RUNNING
        if automation_running()
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Every {tick_seconds()} s: one Salesforce /composite call (billed as one) per five mapped "
        "sObjects asking each for a change by someone other than the integration user, and one search per HubSpot object for a "
        "change outside crmsync's own write steps; launches a sync when something changed. Skips while a sync "
        f"is queued or running; re-launches a failed sync after 1, 2, 4 minutes. Quiet-day cost: "
        f"{per_day['salesforce']:,} Salesforce calls ({per_day['salesforce'] / SALESFORCE_DAY:.2%} of 100,000), "
        f"{per_day['hubspot']:,} HubSpot calls.",
    )
    def crm_change_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        return evaluate_tick(context, mapping)

    return crm_change_sensor


def sync_schedule() -> dg.ScheduleDefinition:
    @dg.schedule(
        name="sync_schedule",
        job_name=SYNC_JOB,
        cron_schedule=sync_cron(),
        default_status=dg.DefaultScheduleStatus.RUNNING
        if automation_running()
        else dg.DefaultScheduleStatus.STOPPED,
        description=f"The full sync cycle on a timer ({sync_cron()}, env CRMSYNC_SYNC_CRON); skipped while a "
        "sync is queued or running.",
    )
    def sync_schedule_fn(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        running = busy_sync(context.instance)
        if running:
            return dg.SkipReason(f"sync run {running} is queued or running")
        return dg.RunRequest(tags={TRIGGER_TAG: "schedule"})

    return sync_schedule_fn


def triggers(mapping: Mapping) -> dg.Definitions:
    """The schedule and the change sensor, merged into the project's definitions (build.OPERATIONS)."""
    return dg.Definitions(schedules=[sync_schedule()], sensors=[change_sensor(mapping)])
