"""A large first sync against the sandbox with Professional-tier rate limits (HubSpot 190 calls per 10 s):
100,000 contacts, 20,000 companies and 30,000 deals per side (no tasks), its wall time, the calls each
CRM served, and its ratio to the rate-limit floor (sync_floor.py: the least calls such a sync needs at
the allowed rate). Target (issue 6): within 1.5 times the floor. Also the machine's load while it ran,
since the sandbox, crmsync and anything else share the cores.

Run alone: `python -m bench.run --only scale [--scale-contacts 100000 ...]` (about 10 minutes)."""

from __future__ import annotations

import os
import time

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.orchestration.resources import default_mapping_path

from .first_sync import sync_and_count, synced_environment
from .sandbox_process import SandboxProcess
from .sync_floor import sync_floor

TARGET_RATIO = 1.5


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(contacts: int = 100_000, companies: int = 20_000, deals: int = 30_000, tasks: int = 0) -> dict:
    extra = ("--companies", str(companies), "--deals", str(deals), "--tasks", str(tasks))
    with (
        SandboxProcess(records=contacts, extra_args=extra) as sandbox,
        synced_environment(sandbox) as state_db,
    ):
        load_before = os.getloadavg()
        sandbox_cpu, own_cpu = _cpu_seconds(sandbox.proc.pid), time.process_time()
        sync = sync_and_count(sandbox)
        sandbox_cpu, own_cpu = _cpu_seconds(sandbox.proc.pid) - sandbox_cpu, time.process_time() - own_cpu
        load_after = os.getloadavg()
        floor = sync_floor(state_db, sync["run_id"], load_mapping(default_mapping_path()))
    ratio = round(sync["seconds"] / floor["seconds"], 2) if floor["seconds"] else None
    return {
        "records_per_side": {"contacts": contacts, "companies": companies, "deals": deals, "tasks": tasks},
        "sandbox_startup_s": round(sandbox.startup_seconds, 1),
        "sync": sync,
        "floor": floor,
        "ratio_to_floor": ratio,
        "target_ratio": TARGET_RATIO,
        "met": ratio is not None and ratio <= TARGET_RATIO and sync["success"],
        "cpu_seconds": {"crmsync": round(own_cpu, 1), "sandbox": round(sandbox_cpu, 1)},
        "load_average_1m": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "cpus": os.cpu_count(),
    }


def report(result: dict) -> list[str]:
    r, s, f = result["records_per_side"], result["sync"], result["floor"]
    lines = [
        f"## First sync at scale: {r['contacts']:,} contacts, {r['companies']:,} companies, {r['deals']:,} deals "
        "per side (Professional-tier limits)",
        "",
        "| | wall s | HubSpot calls | Salesforce calls | records read |",
        "|---|---:|---:|---:|---:|",
        f"| this sync | {s['seconds']} | {s['calls']['hubspot']:,} | {s['calls']['salesforce']:,} | "
        f"{s['records_read']:,} |",
        f"| rate-limit floor | {f['seconds']} | {f['hubspot_calls']:,} | {f['salesforce_calls']:,} | |",
        "",
        f"Ratio to the floor: **{result['ratio_to_floor']}** (target at most {result['target_ratio']}: "
        f"{'met' if result['met'] else 'NOT met'}); run {'succeeded' if s['success'] else 'FAILED'}. "
        f"The floor is HubSpot's least calls at {f['hubspot_per_second']} a second (Salesforce has no "
        "per-second limit); its parts:",
        "",
        "| HubSpot | calls | | Salesforce | calls |",
        "|---|---:|---|---|---:|",
    ]
    hs, sf = list(f["hubspot_detail"].items()), list(f["salesforce_detail"].items())
    for i in range(max(len(hs), len(sf))):
        a = hs[i] if i < len(hs) else ("", "")
        b = sf[i] if i < len(sf) else ("", "")
        lines.append(f"| {a[0]} | {a[1]} | | {b[0]} | {b[1]} |")
    load, cpu = result["load_average_1m"], result["cpu_seconds"]
    lines += [
        "",
        f"CPU seconds during the sync: crmsync {cpu['crmsync']}, sandbox {cpu['sandbox']} ({result['cpus']} "
        f"cores shared); 1-minute load average {load['before']} before, {load['after']} after. Sandbox start: "
        f"{result['sandbox_startup_s']} s.",
        "",
    ]
    return lines
