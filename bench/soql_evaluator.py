"""Is the Salesforce sandbox's SOQL evaluator fast enough for a sync's queries over a large org? 100,000
Contacts under 500 Accounts are loaded in process into the emulator's own store (the seed loader, as
`crmsync-sandbox --records` does), and two queries run against the catalog the emulator's query resource
reads (salesforce/catalog.py), best of 3 after one run whose answer is checked:

- incremental: the extract's cursor filter on LastModifiedDate, ORDER BY LastModifiedDate, Id;
- selective: a filter with a LIKE, a parent path in ORDER BY and a LIMIT.

Target: each under 0.5 s. No HTTP, no paging: the evaluator alone (bench/emulator_throughput.py measures
the emulators over HTTP). Run alone: `python -m bench.run --only soql`."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import NamedTuple

from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.salesforce.seed_loader import load_side
from crmsync_pipeline.sandbox.salesforce.soql import SoqlResult, execute, parse_soql
from crmsync_pipeline.sandbox.seed.model import SalesforceSide, SeedRecord

CONTACTS = 100_000
ACCOUNTS = 500
RUNS = 3
TARGET_S = 0.5
SINCE = "2024-08-01T00:00:00Z"


class Measured(NamedTuple):
    name: str
    soql: str
    check: str  # what the checked run verified, in words


QUERIES = [
    Measured(
        "incremental filter, ORDER BY LastModifiedDate, Id",
        "SELECT Id, LastName, Email, LastModifiedDate FROM Contact "
        f"WHERE LastModifiedDate > {SINCE} ORDER BY LastModifiedDate, Id",
        "every record after the cursor, in (LastModifiedDate, Id) order",
    ),
    Measured(
        "selective filter, parent path in ORDER BY, LIMIT 2000",
        "SELECT Id, LastName, Account.Name FROM Contact WHERE Email != null AND LastName LIKE 'Name01%' "
        "ORDER BY Account.Name DESC, LastName LIMIT 2000",
        "2,000 records with an email and a matching name, Account.Name descending",
    ),
]


def contact_side(contacts: int, accounts: int) -> SalesforceSide:
    """Contacts spread over the Accounts and nine months of edits; a third have no email, one in 50 is
    in the recycle bin (IsDeleted), and last names are a permutation so ORDER BY LastName is total."""
    account_rows = [SeedRecord(f"a{i}", {"Name": f"Account {i:04d}"}) for i in range(accounts)]
    created = datetime(2024, 1, 1, tzinfo=UTC)
    contact_rows = [
        SeedRecord(
            f"c{i}",
            {
                "LastName": f"Name{(i * 7919) % contacts:06d}",
                "Email": f"p{i}@example.com" if i % 3 else None,
                "IsDeleted": i % 50 == 0,
            },
            refs={"AccountId": ("Account", f"a{i % accounts}")},
            created_at=created,
            modified_at=datetime(2024, 1 + i % 9, 1 + i % 28, 10, 0, i % 60, tzinfo=UTC),
        )
        for i in range(contacts)
    ]
    return SalesforceSide(objects={"Account": account_rows, "Contact": contact_rows})


def contact_org(contacts: int, accounts: int) -> SalesforceEmulator:
    org = SalesforceEmulator(None)  # an in-memory store with the org's metadata installed
    load_side(org, contact_side(contacts, accounts))
    return org


def check(index: int, result: SoqlResult) -> None:
    """The answer must be the real one, or the timing measures nothing."""
    records = result.records
    if index == 0:
        stamps = [(r["LastModifiedDate"], r["Id"]) for r in records]
        if not records or stamps != sorted(stamps) or stamps[0][0] <= "2024-08-01":
            raise AssertionError("the incremental query's answer is not ordered after the cursor")
    else:
        names = [r["Account"]["Name"] for r in records]
        if len(records) != 2000 or names != sorted(names, reverse=True):
            raise AssertionError("the selective query's answer is not 2,000 rows by Account.Name DESC")
        if any(not r["LastName"].startswith("Name01") for r in records):
            raise AssertionError("the selective query's answer does not match its LIKE")


def best_of(runs: int, query, catalog) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        execute(query, catalog)
        best = min(best, time.perf_counter() - started)
    return best


def run() -> dict:
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    org = contact_org(CONTACTS, ACCOUNTS)
    build_seconds = time.perf_counter() - began
    measured = []
    for index, item in enumerate(QUERIES):
        query = parse_soql(item.soql)
        result = execute(query, org.catalog)
        check(index, result)
        seconds = best_of(RUNS, query, org.catalog)
        measured.append({
            "name": item.name,
            "soql": item.soql,
            "records": result.total_size,
            "checked": item.check,
            "best_of": RUNS,
            "seconds": round(seconds, 3),
            "target_seconds": TARGET_S,
            "met": seconds < TARGET_S,
        })  # fmt: skip
    return {
        "contacts": CONTACTS,
        "accounts": ACCOUNTS,
        "build_seconds": round(build_seconds, 1),
        "load_average_1m_at_start": round(load_before, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "queries": measured,
        "met": all(q["met"] for q in measured),
    }


def report(result: dict) -> list[str]:
    return [
        f"## SOQL evaluator over {result['contacts']:,} Contacts (sandbox, in process)",
        "",
        f"{result['contacts']:,} Contacts under {result['accounts']} Accounts in the emulator's own store; "
        f"each query runs once (its answer checked), then best of {RUNS}.",
        "",
        "| query | records | best seconds | target | met |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {q['name']} | {q['records']:,} | {q['seconds']} | < {q['target_seconds']} | "
            f"{'yes' if q['met'] else 'NO'} |"
            for q in result["queries"]
        ],
        "",
        f"Loading the org took {result['build_seconds']} s (not counted); load average (1 min) "
        f"{result['load_average_1m_at_start']} at start, {result['load_average_1m']} at end.",
        "",
    ]
