"""Side by side on one seeded sandbox: meltano-tap-hubspot and singer tap-salesforce against crmsync's
extract stage, full then incremental after ~1% of each side's records were edited. Each run starts
from reset sandbox counters, so its API calls are the sandbox's own count (by route and status)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import requests

from bench.sandbox_process import SandboxProcess

from . import edits
from .crmsync_extract import CrmsyncExtract, http_time, wanted_fields
from .summary import verdicts
from .taps import Tap

EDIT_SHARE = 0.01
# HubSpot's rate limit is a rolling 10 s window: each run starts with it empty, so no run pays for the
# calls of the one before.
RATE_WINDOW_PAUSE = 10.5


def _reset(url: str) -> None:
    requests.post(f"{url}/_sandbox/stats/reset", timeout=10).raise_for_status()


def _stats(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/_sandbox/stats", timeout=10).json()


class Measure:
    """Runs a step with fresh counters and keeps one flat row per tool x CRM x mode."""

    def __init__(self, urls: dict[str, str]):
        self.urls, self.rows = urls, []

    def __call__(self, tool: str, crm: str, mode: str, step: Any) -> Any:
        crms = list(self.urls) if crm == "both" else [crm]
        time.sleep(RATE_WINDOW_PAUSE if "hubspot" in crms else 0)
        for name in crms:
            _reset(self.urls[name])
        with http_time() as in_http:
            started = time.monotonic()
            result = step()
            seconds = time.monotonic() - started
        for name in crms:
            stats = _stats(self.urls[name])
            records = result.get("records") if isinstance(result, dict) else None
            row = {
                "tool": tool,
                "crm": name,
                "mode": mode,
                "seconds": round(result.get("seconds", seconds), 2),
                "api_calls": stats["api_calls"],
                "records": sum(records.values()) if records else 0,
                "records_by_object": records or {},
                "calls_by_route": stats["by_route"],
                "calls_by_status": stats["by_status"],
            }
            if tool.startswith("crmsync") and crm != "both":
                row["seconds_waiting_on_http"] = round(in_http[0], 2)
            self.rows.append(row)
        return result


def run(people: int = 10_000) -> dict[str, Any]:
    with SandboxProcess(records=people) as sandbox, tempfile.TemporaryDirectory() as work:
        return _side_by_side(sandbox, Path(work), people)


def _side_by_side(sandbox: SandboxProcess, work: Path, people: int) -> dict[str, Any]:
    import os

    os.environ["CRMSYNC_SANDBOX_HUBSPOT_URL"] = sandbox.hubspot_url
    os.environ["CRMSYNC_SANDBOX_SALESFORCE_URL"] = sandbox.salesforce_url
    _install_cross_reference_fields(work / "setup.duckdb")
    hubspot_wanted, salesforce_wanted = wanted_fields()
    urls = {"hubspot": sandbox.hubspot_url, "salesforce": sandbox.salesforce_url}
    measure = Measure(urls)
    taps = {
        "hubspot": Tap("tap-hubspot", sandbox.hubspot_url, work / "tap-hubspot"),
        "salesforce": Tap("tap-salesforce", sandbox.salesforce_url, work / "tap-salesforce"),
    }
    wanted = {"hubspot": hubspot_wanted, "salesforce": salesforce_wanted}
    for crm, tap in taps.items():
        measure(
            tap.name,
            crm,
            "discovery",
            lambda tap=tap, crm=crm: {"records": {}, **_discover(tap, wanted[crm])},
        )
    crmsync = CrmsyncExtract(work / "crmsync.duckdb")
    # crmsync's discovery is `crmsync setup` (fields checked, schemas cached in the state file), run once
    # before any sync as a tap's discovery is: counted on its own row, like theirs.
    measure("crmsync", "both", "discovery", lambda: _install_cross_reference_fields(crmsync.state_db) or {})
    ids: dict[str, list[str]] = {}
    states: dict[str, Any] = {}

    def hubspot_records() -> dict[str, Any]:
        records, read = crmsync.hubspot()
        ids.update(read)
        return {"records": records}

    # crmsync first: a cold sandbox, if anything, slows it rather than the taps.
    for mode in ("full", "incremental"):
        if mode == "incremental":
            edited = _edit(sandbox, work / "crmsync.duckdb")
        measure("crmsync", "hubspot", mode, hubspot_records)
        measure(
            "crmsync: associations (taps read none)",
            "hubspot",
            mode,
            lambda: {"records": {"associations": crmsync.hubspot_associations(ids)}},
        )
        measure("crmsync", "salesforce", mode, lambda: {"records": crmsync.salesforce()})
        for crm, tap in taps.items():

            def sync(tap: Tap = tap, crm: str = crm) -> dict[str, Any]:
                done = tap.sync(states.get(crm))
                states[crm] = done.output.state
                return {"records": dict(done.output.records), "seconds": done.seconds}

            measure(tap.name, crm, mode, sync)
    return {
        "benchmark": "extraction side by side (issue 6): crmsync's extract vs meltano-tap-hubspot 0.10.1 "
        "and singer tap-salesforce 2.8.1 (REST), on one sandbox",
        "people_per_side": people,
        "edited_for_incremental": edited,
        "fields": {"hubspot": hubspot_wanted, "salesforce": salesforce_wanted},
        "rows": measure.rows,
        "verdicts": verdicts(measure.rows),
    }


def _discover(tap: Tap, wanted: dict[str, list[str]]) -> dict[str, Any]:
    tap.discover(wanted)
    return {}


def _install_cross_reference_fields(state_db: Path) -> None:
    """`crmsync setup` once, so both tools see the same schema (the cross-reference fields)."""
    from crmsync_pipeline.config import load_mapping
    from crmsync_pipeline.connectors.calls import CallMeter
    from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
    from crmsync_pipeline.setup.crm_fields import setup_fields

    resource = CrmsyncResource(mapping_file=default_mapping_path(), state_db=str(state_db))
    setup_fields(load_mapping(default_mapping_path()), *resource.connectors(CallMeter()))


def _edit(sandbox: SandboxProcess, state_db: Path) -> dict[str, int]:
    """~1% of each object's live records, picked from what crmsync's full extract read."""
    with duckdb.connect(str(state_db), read_only=True) as con:
        hubspot = {
            t: [
                r[0]
                for r in con.execute(f"SELECT id FROM hubspot_{p}_snapshot WHERE NOT _archived").fetchall()
            ]
            for p, t in (("companies", "companies"), ("contacts", "contacts"), ("deals", "deals"))
        }
        salesforce = {
            s: [
                r[0]
                for r in con.execute(
                    f"SELECT id FROM salesforce_{p}_snapshot WHERE _sobject = ? AND NOT _deleted"
                    + (" AND coalesce(\"IsConverted\", 'false') = 'false'" if s == "Lead" else ""),
                    [s],
                ).fetchall()
            ]
            for p, s in (
                ("companies", "Account"),
                ("contacts", "Contact"),
                ("contacts", "Lead"),
                ("deals", "Opportunity"),
            )
        }
    return {
        "hubspot": edits.edit_hubspot(sandbox.hubspot_url, hubspot, EDIT_SHARE),
        "salesforce": edits.edit_salesforce(sandbox.salesforce_url, salesforce, EDIT_SHARE),
    }
