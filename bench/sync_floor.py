"""The rate-limit floor of a first sync: the least number of calls it needs, from the records it actually
read and wrote, and the time those calls take at the allowed rate.

HubSpot: ceil(N/100) calls per object read (list pages of 100), per association type read (one read per
record read, 100 a call as the issue counts it, though v4 takes 1,000), per object and action written
(batches of 100) and per association type written. Salesforce: pages of 2,000 per sObject read, and per
sObject and action written the fewer of ceil(N/200) Collections calls and one Bulk job (create, upload,
close, one status poll, three result files = 7 calls). Only HubSpot has a per-second limit (190 per 10 s
at Professional = 19 a second), so the floor's time is HubSpot's calls / 19."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.orchestration.pair_assets import associated_objects

HUBSPOT_PER_SECOND = 19
HUBSPOT_BATCH = 100
SALESFORCE_PAGE = 2_000
SALESFORCE_COLLECTION = 200
BULK_JOB_CALLS = 7


def _pages(n: int, size: int) -> int:
    return math.ceil(n / size) if n else 0


def sync_floor(state_db: str | Path, run_id: str, mapping: Mapping) -> dict:
    hubspot: dict[str, int] = {}
    salesforce: dict[str, int] = {}
    with duckdb.connect(str(state_db), read_only=True) as con:

        def one(query: str, *params: object) -> int:
            return int(con.execute(query, list(params)).fetchall()[0][0] or 0)

        for name in mapping.active_pairs():
            pair = mapping.pair(name)
            read = one(f'SELECT count(*) FROM "hubspot_{name}_snapshot" WHERE _run_id = ?', run_id)
            hubspot[f"read {pair.hubspot}"] = _pages(read, HUBSPOT_BATCH)
            for other in associated_objects(mapping, name):
                hubspot[f"read associations {pair.hubspot}->{other}"] = _pages(read, HUBSPOT_BATCH)
            for sobject, n in con.execute(
                f'SELECT _sobject, count(*) FROM "salesforce_{name}_snapshot" WHERE _run_id = ? GROUP BY 1',
                [run_id],
            ).fetchall():
                salesforce[f"read {sobject}"] = _pages(n, SALESFORCE_PAGE)
            for target, action, sobject, kind, n in con.execute(
                """SELECT target, action, salesforce_object,
                          CASE WHEN target_field LIKE 'association%' THEN split_part(target_field, ':', 2)
                               ELSE '' END AS kind,
                          count(DISTINCT record_ref)
                   FROM plan_rows WHERE run_id = ? AND pair = ? AND preflight_error IS NULL
                   GROUP BY ALL""",
                [run_id, name],
            ).fetchall():
                if target == "hubspot":
                    what = (
                        f"write associations {pair.hubspot}->{kind}" if kind else f"{action} {pair.hubspot}"
                    )
                    hubspot[what] = hubspot.get(what, 0) + _pages(n, HUBSPOT_BATCH)
                elif not kind:
                    calls = min(_pages(n, SALESFORCE_COLLECTION), BULK_JOB_CALLS)
                    salesforce[f"{action} {sobject}"] = salesforce.get(f"{action} {sobject}", 0) + calls
    hubspot_calls = sum(hubspot.values())
    return {
        "hubspot_calls": hubspot_calls,
        "salesforce_calls": sum(salesforce.values()),
        "seconds": round(hubspot_calls / HUBSPOT_PER_SECOND, 1),
        "hubspot_per_second": HUBSPOT_PER_SECOND,
        "hubspot_detail": hubspot,
        "salesforce_detail": salesforce,
    }
