"""Change propagation latency with the change sensor on: the sandbox CRMs in their own process
(Professional-tier limits), one full sync to link everyone, then the Dagster daemon (temp DAGSTER_HOME,
a copy of dagster_home/dagster.yaml) runs the sensor and the runs it launches, while edits are made as
people make them, alternately in each CRM. Latency: from an edit to its value being readable in the
other CRM. Target (issue 4): p95 <= 60 s at 10,000 people per side, at least 40 edits each way.

Run alone: `python -m bench.run --only latency --people 2000 --edits 40`."""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import requests

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.setup.crm_fields import setup_fields
from crmsync_pipeline.state.db import PROJECT_ROOT

from .first_sync import sync_and_count
from .sandbox_process import SandboxProcess

TOKEN = {"Authorization": "Bearer sandbox-token"}
EDIT_SPACING_S = 3.0
GIVE_UP_S = 240.0  # an edit not across by then counts as not arrived


def run(people: int = 10_000, edits: int = 40, tick_s: int = 30) -> dict:
    with (
        SandboxProcess(records=people) as sandbox,
        # a run the daemon launched may still be finishing its logs when the daemon stops
        tempfile.TemporaryDirectory(prefix="crmsync-latency-", ignore_cleanup_errors=True) as tmp,
    ):
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        env = {
            "CRMSYNC_SANDBOX_HUBSPOT_URL": sandbox.hubspot_url,
            "CRMSYNC_SANDBOX_SALESFORCE_URL": sandbox.salesforce_url,
            "CRMSYNC_STATE_DB": str(Path(tmp) / "crmsync.duckdb"),
            "CRMSYNC_AUTOMATION": "running",
            "CRMSYNC_SENSOR_INTERVAL_S": str(tick_s),
            "CRMSYNC_SYNC_CRON": "0 0 1 1 *",  # the sensor alone: no scheduled cycle interferes
            "DAGSTER_HOME": str(home),
        }
        os.environ.update(env)
        setup_fields(load_mapping(default_mapping_path()), *CrmsyncResource().connectors(CallMeter()))
        first = sync_and_count(sandbox)
        settle = sync_and_count(sandbox)
        targets = _linked_contacts(env["CRMSYNC_STATE_DB"], edits)
        daemon = _start_daemon(home)
        try:
            watched_from = time.time()
            _wait_for_first_tick(sandbox, home)
            latencies = _edit_and_watch(sandbox, targets, edits)
        finally:
            daemon.send_signal(signal.SIGINT)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        runs = _runs(env["CRMSYNC_STATE_DB"], watched_from)
    return {
        "people_per_side": people,
        "sensor_tick_s": tick_s,
        "first_sync_s": first["seconds"],
        "settle_sync_s": settle["seconds"],
        "sensor_runs": runs,
        **{direction: _summary(values, edits) for direction, values in latencies.items()},
    }


def _linked_contacts(state_db: str, edits: int) -> list[tuple[str, str, str]]:
    """Linked contacts both sides' inclusion rules of the shipped mapping admit: an edit to a contact the
    HubSpot rule keeps out (lifecycle stage below MQL) is not sent to Salesforce, by design."""
    with duckdb.connect(state_db, read_only=True) as con:
        return con.execute(
            """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
               JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
               WHERE l.pair = 'contacts' AND NOT coalesce(h._archived, false)
                 AND h.lifecyclestage IN ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')
                 AND split_part(lower(h.email), '@', 2) NOT IN ('test.com', 'example.com')
               ORDER BY l.hubspot_id LIMIT ?""",
            [2 * edits],
        ).fetchall()


def _start_daemon(home: Path) -> subprocess.Popen:
    daemon = Path(sys.executable).with_name("dagster-daemon")
    return subprocess.Popen(
        [str(daemon), "run", "-m", "crmsync_pipeline.definitions"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=open(home / "daemon.log", "w"),  # noqa: SIM115 - closed with the process
    )


def _wait_for_first_tick(sandbox: SandboxProcess, home: Path) -> None:
    """The sensor's first tick only sets its cursor (edits before it would not count as changes): wait
    until Salesforce has served its first probe."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        routes = sandbox.stats(sandbox.salesforce_url).get("by_route", {})
        if any("composite/batch" in route for route in routes):
            time.sleep(1)
            return
        time.sleep(1)
    raise TimeoutError(f"the change sensor did not tick within 180 s; see {home / 'daemon.log'}")


def _edit_and_watch(sandbox: SandboxProcess, targets: list, edits: int) -> dict[str, list[float]]:
    pending: dict[tuple, float] = {}
    done: dict[str, list[float]] = {"hubspot_to_salesforce": [], "salesforce_to_hubspot": []}
    plan = []
    for i in range(edits):
        plan.append(("hubspot_to_salesforce", targets[2 * i], f"Latency-{i}"))
        plan.append(("salesforce_to_hubspot", targets[2 * i + 1], f"Latency Title {i}"))
    next_edit, deadline = time.monotonic(), None
    while plan or pending:
        now = time.monotonic()
        if plan and now >= next_edit:
            direction, (hubspot_id, sobject, salesforce_id), value = plan.pop(0)
            if direction == "hubspot_to_salesforce":
                url = f"{sandbox.hubspot_url}/_sandbox/hubspot/objects/contacts/{hubspot_id}/edit"
                requests.post(url, json={"properties": {"firstname": value}}, timeout=10).raise_for_status()
            else:
                body = {"object": sobject, "id": salesforce_id, "fields": {"Title": value}}
                requests.post(
                    f"{sandbox.salesforce_url}/_sandbox/salesforce/edit", json=body, timeout=10
                ).raise_for_status()
            pending[(direction, hubspot_id, sobject, salesforce_id, value)] = time.monotonic()
            next_edit = now + EDIT_SPACING_S
            if not plan:
                deadline = time.monotonic() + GIVE_UP_S
        for key, edited_at in list(pending.items()):
            if _arrived(sandbox, *key):
                done[key[0]].append(time.monotonic() - edited_at)
                del pending[key]
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return done


def _arrived(
    sandbox: SandboxProcess, direction: str, hubspot_id: str, sobject: str, salesforce_id: str, value: str
) -> bool:
    if direction == "hubspot_to_salesforce":
        url = f"{sandbox.salesforce_url}/services/data/v59.0/sobjects/{sobject}/{salesforce_id}?fields=FirstName"
        return requests.get(url, headers=TOKEN, timeout=10).json().get("FirstName") == value
    raw = requests.get(
        f"{sandbox.hubspot_url}/_sandbox/hubspot/objects/contacts/{hubspot_id}", timeout=10
    ).json()
    return (raw.get("p") or {}).get("jobtitle") == value  # the admin view: not counted, not rate limited


def _runs(state_db: str, since: float) -> dict:
    """The runs the sensor launched while edits were made (waiting for the last one to let go of the
    state file: one DuckDB file takes one process)."""
    for _ in range(240):
        try:
            con = duckdb.connect(state_db, read_only=True)
            break
        except duckdb.IOException:
            time.sleep(0.5)
    else:
        return {"runs": None, "median_run_s": None, "max_run_s": None}
    with con:
        rows = con.execute(
            "SELECT count(*), median(epoch(finished_at - started_at)), max(epoch(finished_at - started_at)) "
            "FROM runs WHERE started_at >= to_timestamp(?) AND finished_at IS NOT NULL",
            [since],
        ).fetchall()[0]
    return {"runs": rows[0], "median_run_s": round(rows[1] or 0, 1), "max_run_s": round(rows[2] or 0, 1)}


def _summary(values: list[float], edits: int) -> dict:
    ordered = sorted(values)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else None
    return {
        "edits": edits,
        "arrived": len(values),
        "p50_s": round(statistics.median(ordered), 1) if ordered else None,
        "p95_s": round(p95, 1) if p95 is not None else None,
        "max_s": round(ordered[-1], 1) if ordered else None,
        "met": bool(ordered) and len(values) == edits and p95 <= 60,
    }


def report(result: dict) -> list[str]:
    lines = [
        f"## Change propagation latency, sensor on ({result['people_per_side']:,} people per side, "
        f"tick {result['sensor_tick_s']} s, Dagster daemon)",
        "",
        "| direction | edits | arrived | p50 s | p95 s | max s | p95 <= 60 s |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for direction in ("hubspot_to_salesforce", "salesforce_to_hubspot"):
        r = result[direction]
        lines.append(
            f"| {direction.replace('_', ' ')} | {r['edits']} | {r['arrived']} | {r['p50_s']} | {r['p95_s']} | "
            f"{r['max_s']} | {'yes' if r['met'] else 'NO'} |"
        )
    runs = result["sensor_runs"]
    lines += [
        "",
        f"Runs: {runs['runs']} (median {runs['median_run_s']} s, longest {runs['max_run_s']} s); first sync "
        f"{result['first_sync_s']} s.",
        "",
    ]
    return lines
