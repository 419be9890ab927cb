"""Entry point of `make bench`: run each benchmark, write bench/results/report.md and results.json."""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from . import emulator_throughput, first_sync, propagation_latency

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description="crmsync benchmarks")
    parser.add_argument("--only", choices=["latency"], help="run one benchmark alone")
    parser.add_argument(
        "--people", type=int, default=10_000, help="people per side for the latency benchmark"
    )
    parser.add_argument("--edits", type=int, default=40, help="edits each way for the latency benchmark")
    args = parser.parse_args()
    if args.only == "latency":
        RESULTS.mkdir(exist_ok=True)
        latency = propagation_latency.run(people=args.people, edits=args.edits)
        (RESULTS / "latency.json").write_text(json.dumps(latency, indent=2))
        print("\n".join(propagation_latency.report(latency)))
        return
    RESULTS.mkdir(exist_ok=True)
    started = time.time()
    results = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "emulator_throughput": emulator_throughput.run(),
        "first_sync": first_sync.run(),
        "propagation_latency": propagation_latency.run(people=args.people, edits=args.edits),
    }
    results["seconds"] = round(time.time() - started, 1)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "report.md").write_text(_report(results))
    print(_report(results))


def _report(results: dict) -> str:
    t = results["emulator_throughput"]
    hs, sf = t["hubspot_batch_upsert_100"], t["salesforce_collection_upsert_200"]
    lines = [
        "# crmsync benchmarks",
        "",
        f"Machine: {results['machine']['cpus']} CPUs, Python {results['machine']['python']}.",
        "",
        "## Sandbox emulators (rate limits off, official clients, 2 client threads, separate process)",
        "",
        "| what | calls a minute | target | records a call | met |",
        "|---|---:|---:|---:|---|",
        f"| HubSpot batch upsert | {hs['per_minute']} | {hs['target_per_minute']} | 100 | {'yes' if hs['ok'] else 'NO'} |",
        f"| Salesforce collection upsert | {sf['per_minute']} | {sf['target_per_minute']} | 200 | {'yes' if sf['ok'] else 'NO'} |",
        "",
        f"Sandbox start with 5,000 people per side: {t['sandbox_startup_seconds_5000_records']} s.",
        "",
        *_sync_report(results["first_sync"]),
        *propagation_latency.report(results["propagation_latency"]),
    ]
    return "\n".join(lines)


def _sync_report(sync: dict) -> list[str]:
    rows = [
        ("first sync", sync["first_sync"]),
        ("second sync (reads back the first's writes)", sync["second_sync"]),
        ("cycle with no changes", sync["no_change_cycle"]),
    ]
    lines = [
        f"## Sync API calls at {sync['people_per_side']:,} people per side (Professional-tier limits)",
        "",
        "| cycle | seconds | HubSpot calls | Salesforce calls | records read | calls per record read |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['seconds']} | {r['calls']['hubspot']} | {r['calls']['salesforce']} | "
            f"{r['records_read']} | {r['calls_per_record_read'] if r['records_read'] else '-'} |"
        )
    per = sync["no_change_calls_per_object_and_crm"]
    lines += [
        "",
        f"No-change cycle, calls per object pair: HubSpot {per['hubspot']}, Salesforce {per['salesforce']} "
        "(target: at most 2).",
        "",
    ]
    return lines


if __name__ == "__main__":
    main()
