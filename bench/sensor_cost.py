"""The change sensor's Salesforce cost, counted the way Salesforce bills it: one probe is run against the
sandbox and the org's own billed-call counter (every `/composite/batch` subrequest is a call, a
`/composite` is one) is read before and after; a quiet day is that times the probes a day at the default
tick, stretched to the sensor's share of the org's allocation (orchestration/triggers.py). Target (issue
17): under 3% of a 100,000-call day. Part of the `calls` benchmark (bench/first_sync.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.change_probe import salesforce_changed, salesforce_integration_user
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.orchestration.triggers import (
    DEFAULT_TICK_S,
    SALESFORCE_DAY,
    probe_interval_s,
    probe_objects,
)

from .sandbox_process import SandboxProcess

TARGET_SHARE = 0.03


def billed(sandbox: SandboxProcess) -> int:
    stats = sandbox.stats(sandbox.salesforce_url)
    return int(stats.get("billed_calls", stats["api_calls"]))


def run(sandbox: SandboxProcess) -> dict:
    """Needs crmsync pointed at `sandbox` (first_sync.synced_environment)."""
    mapping = load_mapping(default_mapping_path())
    sobjects = probe_objects(mapping)[0]
    _, salesforce = CrmsyncResource(mapping_file=default_mapping_path()).connectors(CallMeter())
    user = salesforce_integration_user(salesforce)
    before = billed(sandbox)
    salesforce_changed(salesforce, sobjects, datetime.now(UTC) - timedelta(seconds=30), user)
    per_probe = billed(sandbox) - before
    every = probe_interval_s(len(sobjects), SALESFORCE_DAY, DEFAULT_TICK_S)
    per_day = per_probe * (86_400 // every)
    return {
        "sobjects": len(sobjects),
        "billed_calls_per_probe": per_probe,
        "crmsync_counted_per_probe": sum(salesforce.call.meter.calls.values()) - 1,  # minus the user lookup
        "probe_every_s": every,
        "billed_calls_per_day": per_day,
        "share_of_100k_day": round(per_day / SALESFORCE_DAY, 4),
        "met": per_day / SALESFORCE_DAY < TARGET_SHARE,
    }


def report(result: dict) -> list[str]:
    return [
        f"Change sensor: {result['billed_calls_per_probe']} billed Salesforce call(s) per probe of "
        f"{result['sobjects']} sObjects (crmsync counted {result['crmsync_counted_per_probe']}), a probe every "
        f"{result['probe_every_s']} s: {result['billed_calls_per_day']:,} calls a quiet day, "
        f"{result['share_of_100k_day']:.2%} of 100,000 (target under 3%: {'met' if result['met'] else 'NOT met'}).",
    ]
