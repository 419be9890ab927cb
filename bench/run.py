"""Entry point of `make bench`: run each benchmark, each writing its own JSON under bench/results/, then
compose bench/results/report.md and results.json from every result present. One benchmark alone:
`python -m bench.run --only NAME` (the report is composed again, with the other results as they were)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import emulator_throughput, first_sync, propagation_latency, scale_first_sync, soql_evaluator

RESULTS = Path(__file__).parent / "results"
OTHERS = {  # benchmarks other modules provide: run when the module exists; their own JSON file
    "match_merge": ("bench.match_merge_scale", "match_merge.json"),
    "peers": ("bench.peers", "peers.json"),
}
ORDER = ["throughput", "soql", "calls", "scale", "latency", "match_merge", "peers"]
TITLES = {
    "throughput": "Sandbox emulator throughput",
    "soql": "Sandbox SOQL evaluator",
    "calls": "API calls per record",
    "scale": "First sync at scale",
    "latency": "Change propagation latency",
    "match_merge": "Matching and merging at scale",
    "peers": "Side by side with meltano-tap-hubspot and tap-salesforce",
}


def _own(args: argparse.Namespace) -> dict[str, tuple[Callable[[], dict], str]]:
    return {
        "throughput": (emulator_throughput.run, "throughput.json"),
        "soql": (soql_evaluator.run, "soql.json"),
        "calls": (lambda: first_sync.run(people=args.people), "calls.json"),
        "scale": (
            lambda: scale_first_sync.run(args.scale_contacts, args.scale_companies, args.scale_deals),
            "scale.json",
        ),
        "latency": (
            lambda: propagation_latency.run(people=args.latency_people, edits=args.edits),
            "latency.json",
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="crmsync benchmarks (`make bench`)")
    parser.add_argument("--only", choices=ORDER, action="append", help="run this benchmark (repeatable)")
    parser.add_argument("--people", type=int, default=10_000, help="people per side for `calls`")
    parser.add_argument("--latency-people", type=int, default=1_000, help="people per side for `latency`")
    parser.add_argument("--edits", type=int, default=40, help="edits each way for `latency`")
    parser.add_argument("--scale-contacts", type=int, default=100_000)
    parser.add_argument("--scale-companies", type=int, default=20_000)
    parser.add_argument("--scale-deals", type=int, default=30_000)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    statuses = {name: run_one(name, args) for name in (args.only or ORDER)}
    seconds = round(time.monotonic() - started, 1)
    results, report = compose(statuses, seconds, whole=not args.only)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / "report.md").write_text(report)
    print(report)


def run_one(name: str, args: argparse.Namespace) -> str:
    """Run one benchmark and store its JSON; answers a status line for the report."""
    began = time.monotonic()
    try:
        if name in OTHERS:
            module_name, file_name = OTHERS[name]
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as missing:
                return f"not run: {module_name} is not there ({missing})"
            result = module.run()
        else:
            run, file_name = _own(args)[name]
            result = run()
        if isinstance(result, dict) and result:
            (RESULTS / file_name).write_text(json.dumps(result, indent=2, default=str))
        return f"ran in {time.monotonic() - began:.0f} s"
    except Exception as error:  # noqa: BLE001 - one failed benchmark must not lose the others' results
        traceback.print_exc()
        return f"not run: {type(error).__name__}: {str(error)[:300]}"


def _file(name: str) -> str:
    return OTHERS[name][1] if name in OTHERS else f"{name}.json"


def compose(statuses: dict[str, str], seconds: float, whole: bool) -> tuple[dict[str, Any], str]:
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "composed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_this_invocation": seconds,
        "status": statuses,
    }
    results["last_make_bench"] = (
        {"seconds": seconds, "at": results["composed_at"]} if whole else _last_whole_run()
    )
    lines = [
        "# crmsync benchmarks",
        "",
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; composed "
        f"{results['composed_at']}. "
        + (f"`make bench` took {seconds:,.0f} s in all." if whole else f"This invocation ran "
           f"{', '.join(statuses)} in {seconds:,.0f} s; other sections are from earlier runs (their file dates)."
           + (f" The last whole `make bench` took {last['seconds']:,.0f} s ({last['at']})."
              if (last := results["last_make_bench"]) else "")),
        "",
        "| benchmark | this invocation | result file |",
        "|---|---|---|",
    ]  # fmt: skip
    for name in ORDER:
        path = RESULTS / _file(name)
        when = (
            datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if path.exists()
            else "none"
        )
        lines.append(f"| {TITLES[name]} | {statuses.get(name, 'not run this time')} | {path.name} ({when}) |")
    lines.append("")
    for name in ORDER:
        path = RESULTS / _file(name)
        if not path.exists():
            if name in statuses:
                lines += [f"## {TITLES[name]}", "", statuses[name], ""]
            continue
        data = json.loads(path.read_text())
        results[name] = data
        lines += _section(name, data)
    return results, "\n".join(lines)


def _last_whole_run() -> dict[str, Any] | None:
    """The total of the last run of every benchmark, from the results.json it wrote."""
    try:
        previous = json.loads((RESULTS / "results.json").read_text())
    except (OSError, ValueError):
        return None
    if set(previous.get("status") or ()) == set(ORDER):
        return {"seconds": previous["seconds_this_invocation"], "at": previous["composed_at"]}
    return previous.get("last_make_bench")


def _section(name: str, data: dict) -> list[str]:
    reporter = {
        "throughput": emulator_throughput.report,
        "soql": soql_evaluator.report,
        "calls": first_sync.report,
        "scale": scale_first_sync.report,
        "latency": propagation_latency.report,
    }.get(name)
    if reporter is None and name in OTHERS:
        try:
            reporter = getattr(importlib.import_module(OTHERS[name][0]), "report", None)
        except ImportError:
            reporter = None
    try:
        if reporter is not None:
            return list(reporter(data))
    except Exception as error:  # noqa: BLE001 - a result from an older format: show it raw
        return [
            f"## {TITLES[name]}",
            "",
            f"(report failed: {error})",
            "",
            "```json",
            json.dumps(data, indent=2),
            "```",
            "",
        ]
    return [f"## {TITLES[name]}", "", "```json", json.dumps(data, indent=2, default=str)[:6000], "```", ""]


if __name__ == "__main__":
    main()
