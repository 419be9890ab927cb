"""Matching and merging N contacts per side with no API at all (issue 6): the snapshots are loaded
straight into a fresh state file with DuckDB SQL, then match, field state, merge decisions and the
update plan run for the default `contacts` pair of crmsync.yaml. Target: 1,000,000 per side in at
most 60 s and 2 GB peak memory. Each phase runs in its own process so that the peak resident size
(ru_maxrss) measured is the stages' own, not the data generator's.

    python -m bench.match_merge_scale [--people N]   # writes bench/results/match_merge.json
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

RESULTS = Path(__file__).resolve().parent / "results" / "match_merge.json"
TARGET_SECONDS = 60
TARGET_MB = 2048
PAIR = "contacts"
MEMORY_LIMIT = os.environ.get("CRMSYNC_BENCH_MEMORY_LIMIT", "1GB")
THREADS = int(os.environ.get("CRMSYNC_BENCH_THREADS", "2"))
OWNERS = 40

HUBSPOT_FIELDS = [
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "phone",
    "hubspot_owner_id",
    "lifecyclestage",
    "hs_lead_status",
    "lead_source",
    "company",
    "crmsync_salesforce_id",
]
SALESFORCE_FIELDS = [
    "Email",
    "FirstName",
    "LastName",
    "Title",
    "Phone",
    "OwnerId",
    "HubSpot_Lifecycle_Stage__c",
    "Status",
    "LeadSource",
    "Company",
    "Account.Name",
    "CrmSync_HubSpot_Id__c",
    "IsConverted",
]

# One person per i. i < shared: on both sides (80%); the first half of them were linked by an earlier
# sync (links, cross-reference ids and base values), the rest are matched now, 3% of those by name and
# company (no email on either side). Above shared: a person only one side has.
PEOPLE_SQL = """
CREATE OR REPLACE TEMP TABLE people AS
SELECT i,
       i < $shared AS is_shared,
       i < $shared / 2 AS was_linked,
       i >= $shared / 2 AND i < $shared AND i % 33 = 0 AS no_email,
       ['Ada','Grace','Alan','Edsger','Barbara','Ken','Linus','Margaret','Donald','Frances'][i % 10 + 1] AS first,
       'Name' || (i % 97331)::VARCHAR AS last,
       'Company ' || (i % 50021)::VARCHAR AS company,
       ['Engineer','Manager','Director','VP Sales','Analyst','CTO'][i % 6 + 1] AS title,
       '+1 555 ' || lpad((i % 9999991)::VARCHAR, 7, '0') AS phone,
       ['marketingqualifiedlead','salesqualifiedlead','opportunity','customer'][i % 4 + 1] AS stage,
       ['NEW','IN_PROGRESS','OPEN','CONNECTED','UNQUALIFIED'][i % 5 + 1] AS lead_status,
       ['Web','Referral','Partner','Event'][i % 4 + 1] AS source,
       i % $owners AS owner,
       CASE WHEN i % 5 < 3 THEN 'Contact' ELSE 'Lead' END AS sobject
FROM range($people) t(i)
"""

HUBSPOT_SQL = """
INSERT INTO hubspot_contacts_snapshot (id, email, firstname, lastname, jobtitle, phone, hubspot_owner_id,
    lifecyclestage, hs_lead_status, lead_source, company, crmsync_salesforce_id, _modified_at, _archived)
SELECT (i + 1)::VARCHAR,
       CASE WHEN no_email THEN NULL
            WHEN i % 7 = 0 THEN ' Person' || i::VARCHAR || '@Example-Corp.COM '
            ELSE 'person' || i::VARCHAR || '@example-corp.com' END,
       first, last,
       CASE WHEN is_shared AND i % 20 = 3 THEN title || ' II' ELSE title END,
       CASE WHEN i % 10 = 9 THEN NULL ELSE phone END,
       (100 + owner)::VARCHAR,
       stage, lead_status, source, company,
       CASE WHEN was_linked THEN (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0') END,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' + INTERVAL (i % 86400) SECOND,
       false
FROM people
WHERE i < $shared OR i % 2 = 0
"""

SALESFORCE_SQL = """
INSERT INTO salesforce_contacts_snapshot (id, _sobject, "Email", "FirstName", "LastName", "Title", "Phone",
    "OwnerId", "HubSpot_Lifecycle_Stage__c", "Status", "LeadSource", "Company", "Account.Name",
    "CrmSync_HubSpot_Id__c", "IsConverted", _modified_at, _deleted)
SELECT (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0'),
       sobject,
       CASE WHEN no_email THEN NULL
            WHEN NOT is_shared THEN 'sfperson' || i::VARCHAR || '@example-corp.com'
            WHEN i % 11 = 0 THEN 'PERSON' || i::VARCHAR || '@example-corp.com'
            ELSE 'person' || i::VARCHAR || '@example-corp.com' END,
       first, last,
       CASE WHEN is_shared AND i % 25 = 4 THEN 'Senior ' || title ELSE title END,
       CASE WHEN is_shared AND i % 30 = 7 THEN '+1 555 0000000' ELSE phone END,
       '005' || lpad(owner::VARCHAR, 15, '0'),
       stage,
       CASE WHEN sobject = 'Lead' THEN
            CASE lead_status WHEN 'NEW' THEN 'Open - Not Contacted' WHEN 'OPEN' THEN 'Open - Not Contacted'
                 WHEN 'UNQUALIFIED' THEN 'Closed - Not Converted' ELSE 'Working - Contacted' END END,
       source,
       CASE WHEN sobject = 'Lead' THEN company END,
       CASE WHEN sobject = 'Contact' THEN company || ' Inc.' END,
       CASE WHEN was_linked THEN (i + 1)::VARCHAR END,
       'false',
       TIMESTAMPTZ '2026-11-01 00:00:00+00' + INTERVAL ((i * 7) % 86400) SECOND,
       false
FROM people
WHERE i < $shared OR i % 2 = 1
"""

LINKS_SQL = """
INSERT INTO links
SELECT 'contacts', (i + 1)::VARCHAR, sobject,
       (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0'),
       'email', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'previous'
FROM people WHERE was_linked
"""


def build_state(state_path: Path, people: int) -> None:
    """A fresh state file holding both snapshots, owners, and an earlier sync's links and base."""
    from crmsync_pipeline.config import load_mapping
    from crmsync_pipeline.orchestration.resources import default_mapping_path
    from crmsync_pipeline.pipeline.snapshots import ensure_snapshot
    from crmsync_pipeline.state import db

    mapping = load_mapping(default_mapping_path())
    params = {"people": people, "shared": int(people * 0.8), "owners": OWNERS}
    with db.connect(state_path) as con:
        con.execute("SET enable_progress_bar = false")
        ensure_snapshot(
            con, "hubspot_contacts_snapshot", HUBSPOT_FIELDS, ["_modified_at", "_created_at"], ["_archived"]
        )
        ensure_snapshot(
            con,
            "salesforce_contacts_snapshot",
            SALESFORCE_FIELDS,
            ["_modified_at", "_created_at"],
            ["_deleted"],
            extra_text=["_sobject", "_master_record_id", "_last_modified_by_id"],
        )
        for statement in (PEOPLE_SQL, HUBSPOT_SQL, SALESFORCE_SQL):
            con.execute(statement, _used(statement, params))
        con.execute(
            "CREATE OR REPLACE TABLE hubspot_owners (id VARCHAR, email VARCHAR, first_name VARCHAR, last_name VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE salesforce_users (id VARCHAR, email VARCHAR, username VARCHAR, is_active BOOLEAN)"
        )
        con.execute(
            "INSERT INTO hubspot_owners SELECT (100 + i)::VARCHAR, 'Owner' || i::VARCHAR || '@Corp.example', NULL, NULL "
            "FROM range($owners) t(i)",
            {"owners": OWNERS},
        )
        con.execute(
            "INSERT INTO salesforce_users SELECT '005' || lpad(i::VARCHAR, 15, '0'), 'owner' || i::VARCHAR || "
            "'@corp.example', NULL, true FROM range($owners) t(i)",
            {"owners": OWNERS},
        )
        con.execute(LINKS_SQL)
        _previous_base(con, mapping)


def _used(statement: str, params: dict) -> dict:
    return {k: v for k, v in params.items() if f"${k}" in statement}


def _previous_base(con, mapping) -> None:  # type: ignore[no-untyped-def]
    """Base as the earlier sync left it: what both sides held then (today's values, except for the
    edits made since on one side, which the generator marks by value)."""
    from crmsync_pipeline.pipeline.field_state import build_field_state
    from crmsync_pipeline.pipeline.stages import owner_directory

    pair = mapping.pair(PAIR)
    build_field_state(con, PAIR, pair, owner_directory(con))
    con.execute(
        """INSERT INTO base_values
           SELECT pair, hubspot_id, field,
                  CASE WHEN hubspot_value IS NOT DISTINCT FROM salesforce_value THEN hubspot_value
                       WHEN field = 'jobtitle' AND hubspot_value LIKE '% II' THEN salesforce_value
                       ELSE hubspot_value END,
                  TIMESTAMPTZ '2026-10-01 00:00:00+00', 'previous'
           FROM field_state"""
    )
    con.execute("DROP TABLE field_state")


def measure(state_path: Path) -> dict:
    """Match, field state, decisions and plan on the state file; seconds per stage."""
    from crmsync_pipeline.config import Side, load_mapping
    from crmsync_pipeline.orchestration.resources import default_mapping_path
    from crmsync_pipeline.pipeline.field_state import build_field_state
    from crmsync_pipeline.pipeline.inclusion import included_ids
    from crmsync_pipeline.pipeline.match import match_links
    from crmsync_pipeline.pipeline.merge import decide_fields
    from crmsync_pipeline.pipeline.plan import plan_updates
    from crmsync_pipeline.pipeline.stages import owner_directory
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
    return {"seconds": seconds, "counts": counts}


def _actionable(decisions, included):  # type: ignore[no-untyped-def]
    from crmsync_pipeline.pipeline.stages import _admitted

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
    # the product's own knobs (state/db.py), as a deployment would set them
    env = {**os.environ, "CRMSYNC_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT, "CRMSYNC_DUCKDB_THREADS": str(THREADS)}
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
        "duckdb_memory_limit": MEMORY_LIMIT,
        "duckdb_threads": THREADS,
        "build_seconds": build_seconds,
        "load_average_1m_at_start": load_at_start,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_cores": os.cpu_count(),
        **{f"{name}": value for name, value in out["counts"].items()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def markdown(result: dict) -> str:
    lines = ["| stage | seconds |", "|---|---|"]
    lines += [f"| {name} | {result[name + '_seconds']} |" for name in result["stages"]]
    lines.append(f"| **total** (target {result['target_seconds']}) | **{result['total_seconds']}** |")
    lines.append(f"| peak RSS MB (target {result['target_mb']}) | {result['peak_rss_mb']} |")
    lines.append(f"| CPU seconds (user + system, all threads) | {result['cpu_seconds']} |")
    lines.append(
        f"\n{result['people']:,} people per side; met: {result['met']}; load average (1 min) "
        f"{result['load_average_1m_at_start']} at start, {result['load_average_1m']} at end"
    )
    return "\n".join(lines)


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
    print(markdown(run(args.people)))


if __name__ == "__main__":
    main()
