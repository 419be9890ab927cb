"""Matching and merging N contacts per side with no API at all (issue 6): the snapshots are loaded
straight into a fresh state file with DuckDB SQL (match_merge_data.py), then match, field state, merge
decisions and the update plan run for the default `contacts` pair of crmsync.yaml. Target: 1,000,000
per side in at most 60 s and 2 GB peak memory, with crmsync's default DuckDB settings. Each phase runs
in its own process so that the peak resident size (ru_maxrss) measured is the stages' own, not the data
generator's.

    python -m bench.match_merge_scale [--people N]   # writes bench/results/match_merge.json

`CRMSYNC_BENCH_MEMORY_LIMIT` / `CRMSYNC_BENCH_THREADS` set crmsync's own knobs
(`CRMSYNC_DUCKDB_MEMORY_LIMIT`, `CRMSYNC_DUCKDB_THREADS`) for the measured process; unset, it runs as a
deployment that sets neither (or whatever the environment already sets).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .match_merge_data import PAIR, build_state

RESULTS = Path(__file__).resolve().parent / "results" / "match_merge.json"
TARGET_SECONDS = 60
TARGET_MB = 2048
KNOBS = {
    "CRMSYNC_BENCH_MEMORY_LIMIT": "CRMSYNC_DUCKDB_MEMORY_LIMIT",
    "CRMSYNC_BENCH_THREADS": "CRMSYNC_DUCKDB_THREADS",
}


def measure(state_path: Path) -> dict:
    """Match, field state, decisions and plan on the state file; seconds per stage."""
    from crmsync_pipeline.config import Side, load_mapping
    from crmsync_pipeline.match.links import match_links
    from crmsync_pipeline.orchestration.resources import default_mapping_path
    from crmsync_pipeline.plan.field_state import build_field_state
    from crmsync_pipeline.plan.inclusion import included_ids
    from crmsync_pipeline.plan.merge import decide_fields
    from crmsync_pipeline.plan.stage import owner_directory
    from crmsync_pipeline.plan.updates import plan_updates
    from crmsync_pipeline.state import db

    mapping = load_mapping(default_mapping_path())
    pair = mapping.pair(PAIR)
    now = datetime.now(UTC)
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        out = fn()
        seconds[name] = round(time.perf_counter() - started, 2)
        return out

    with db.connect(state_path) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("BEGIN")
        matched = timed("match", lambda: match_links(con, PAIR, pair, "bench", now))
        owners = owner_directory(con)
        included = timed(
            "inclusion", lambda: {side: included_ids(con, mapping, PAIR, side, owners) for side in Side}
        )
        state = timed("field_state", lambda: build_field_state(con, PAIR, pair, owners))
        decisions = timed("decisions", lambda: _actionable(decide_fields(con, in_sync=False), included))
        summary = timed("plan", lambda: plan_updates(con, "bench", pair, owners, decisions, now))
        timed("commit", lambda: con.execute("COMMIT"))
        settings = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchall()[0]
        counts = {
            "links": con.execute("SELECT count(*) FROM links").fetchall()[0][0],
            "linked_now": matched.linked,
            **{f"linked_by_{kind}": n for kind, n in matched.linked_by.items()},
            "field_state_rows": state.rows,
            "value_issues": len(state.issues) + len(summary.issues),
            "actionable_decisions": len(decisions),
            "in_sync": summary.in_sync,
            "plan_rows": sum(summary.updates.values()),
            "conflicts": summary.conflicts,
        }
    return {"seconds": seconds, "counts": counts, "memory_limit": settings[0], "threads": settings[1]}


def _actionable(decisions, included):  # type: ignore[no-untyped-def]
    from crmsync_pipeline.plan.stage import _admitted

    return [d for d in decisions if _admitted(d.decision, d.hubspot_id, d.salesforce_id, included)]


def _child(args: argparse.Namespace) -> None:
    state_path = Path(args.state)
    if args.phase == "build":
        build_state(state_path, args.people)
        print(json.dumps({}))
    else:
        out = measure(state_path)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
        out["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
        print(json.dumps(out))


def _phase(phase: str, state_path: Path, people: int) -> dict:
    command = [sys.executable, "-m", "bench.match_merge_scale", "--child", phase]
    command += ["--state", str(state_path), "--people", str(people)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, **{knob: os.environ[ours] for ours, knob in KNOBS.items() if os.environ.get(ours)}}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{phase} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(people: int = 1_000_000) -> dict:
    """Build a state file of `people` contacts per side, then time the stages in a fresh process."""
    with tempfile.TemporaryDirectory() as state_dir:
        state_path = Path(state_dir) / "crmsync.duckdb"
        started = time.perf_counter()
        _phase("build", state_path, people)
        build_seconds = round(time.perf_counter() - started, 1)
        load_at_start = round(os.getloadavg()[0], 2)
        out = _phase("measure", state_path, people)
    total = round(sum(out["seconds"].values()), 2)
    result = {
        "bench": "match_merge_scale",
        "description": "match, inclusion rules, field state, merge decisions, update plan and commit "
        "for the contacts pair, snapshots loaded straight into DuckDB (no API)",
        "people": people,
        "stages": list(out["seconds"]),
        **{f"{name}_seconds": value for name, value in out["seconds"].items()},
        "total_seconds": total,
        "peak_rss_mb": out["peak_rss_mb"],
        "cpu_seconds": out["cpu_seconds"],
        "target_seconds": TARGET_SECONDS,
        "target_mb": TARGET_MB,
        "met": total <= TARGET_SECONDS and out["peak_rss_mb"] <= TARGET_MB,
        "duckdb_memory_limit": out["memory_limit"],
        "duckdb_threads": out["threads"],
        "duckdb_env": {knob: os.environ.get(knob) or os.environ.get(ours) for ours, knob in KNOBS.items()},
        "build_seconds": build_seconds,
        "load_average_1m_at_start": load_at_start,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_cores": os.cpu_count(),
        **out["counts"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict) -> list[str]:
    """The section of bench/results/report.md (bench/run.py), as the other benchmarks give theirs."""
    env = result.get("duckdb_env")  # absent from results of before the default limit
    knobs = (
        ""
        if env is None
        else " ("
        + (", ".join(f"`{k}={v}`" for k, v in env.items() if v) or "no `CRMSYNC_DUCKDB_*` set")
        + ")"
    )
    lines = [
        f"## Matching and merging {result['people']:,} contacts per side (no API)",
        "",
        "Snapshots, owners and an earlier sync's links and base loaded straight into a fresh state file; "
        "then match, inclusion rules, field state, merge decisions, update plan and commit for the "
        "contacts pair, in a separate process whose peak memory is measured.",
        "",
        "| stage | seconds |",
        "|---|---:|",
        *[f"| {name} | {result[name + '_seconds']} |" for name in result["stages"]],
        f"| **total** (target at most {result['target_seconds']}) | **{result['total_seconds']}** |",
        "",
        f"Peak memory {result['peak_rss_mb']:,} MB (target at most {result['target_mb']:,}); "
        f"{result['cpu_seconds']} CPU seconds (user + system, all threads). Target "
        f"{'met' if result['met'] else 'NOT met'}.",
        "",
        f"DuckDB ran with memory_limit {result['duckdb_memory_limit']} and {result['duckdb_threads']} "
        f"threads{knobs} on {result['cpu_cores']} cores; load average (1 min) "
        f"{result['load_average_1m_at_start']} at start, {result['load_average_1m']} at end. Building the "
        f"state file took {result['build_seconds']} s (not counted).",
        "",
        "| links | linked now | by email | by name and company | field state rows | in sync | plan rows "
        "| conflicts | value issues |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['links']:,} | {result['linked_now']:,} | {result.get('linked_by_email', 0):,} | "
        f"{result.get('linked_by_name_and_company', 0):,} | {result['field_state_rows']:,} | "
        f"{result['in_sync']:,} | {result['plan_rows']:,} | {result['conflicts']:,} | "
        f"{result['value_issues']:,} |",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["build", "measure"])
    parser.add_argument("--state")
    args = parser.parse_args()
    if args.child:
        args.phase = args.child
        _child(args)
        return
    print("\n".join(report(run(args.people))))


if __name__ == "__main__":
    main()
