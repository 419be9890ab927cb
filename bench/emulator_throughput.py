"""Are the emulators fast enough not to be what limits a benchmark? Batch upserts of 100 HubSpot
contacts and collection upserts of 200 Salesforce contacts, through the official clients, with rate
limits off. Targets: 1,200 HubSpot calls a minute (above Professional's 1,140) and 600 Salesforce calls."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInputUpsert,
)

from crmsync_pipeline.connectors.clients import hubspot_client, salesforce_client

from .sandbox_process import SandboxProcess

TOKEN = "sandbox-token"
SECONDS = 15.0
WORKERS = 2
STARTUP_TARGET_S = 20.0


def _run_for(seconds: float, call, workers: int) -> int:
    deadline = time.monotonic() + seconds

    def worker(w: int) -> int:
        n = 0
        while time.monotonic() < deadline:
            call(w, n)
            n += 1
        return n

    with ThreadPoolExecutor(workers) as pool:
        return sum(pool.map(worker, range(workers)))


def hubspot_batch_upserts(sandbox: SandboxProcess) -> dict:
    client = hubspot_client(TOKEN, sandbox.hubspot_url)

    def upsert(worker: int, n: int) -> None:
        inputs = [
            SimplePublicObjectBatchInputUpsert(
                id=f"bench.{worker}.{n % 50}.{i}@throughput.example",
                id_property="email",
                properties={
                    "email": f"bench.{worker}.{n % 50}.{i}@throughput.example",
                    "firstname": f"Bench{n}",
                    "lastname": f"Contact{i}",
                    "jobtitle": "Benchmark",
                },
            )
            for i in range(100)
        ]
        client.crm.contacts.batch_api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs))

    calls = _run_for(SECONDS, upsert, WORKERS)
    per_minute = calls * 60 / SECONDS
    return {
        "calls": calls,
        "seconds": SECONDS,
        "per_minute": round(per_minute),
        "target_per_minute": 1200,
        "records_per_call": 100,
        "ok": per_minute >= 1200,
    }


def salesforce_collection_upserts(sandbox: SandboxProcess) -> dict:
    sf = salesforce_client(sandbox.salesforce_url, TOKEN)

    def upsert(worker: int, n: int) -> None:
        records = [
            {
                "attributes": {"type": "Contact"},
                "CrmSync_HubSpot_Id__c": f"bench-{worker}-{n % 50}-{i}",
                "LastName": f"Contact{i}",
                "FirstName": f"Bench{n}",
                "Title": "Benchmark",
            }
            for i in range(200)
        ]
        sf.restful(
            "composite/sobjects/Contact/CrmSync_HubSpot_Id__c",
            method="PATCH",
            json={"allOrNone": False, "records": records},
        )

    calls = _run_for(SECONDS, upsert, WORKERS)
    per_minute = calls * 60 / SECONDS
    return {
        "calls": calls,
        "seconds": SECONDS,
        "per_minute": round(per_minute),
        "target_per_minute": 600,
        "records_per_call": 200,
        "ok": per_minute >= 600,
    }


def run() -> dict:
    with SandboxProcess(records=5000, extra_args=("--no-rate-limits",)) as sandbox:
        return {
            "sandbox_startup_seconds_5000_records": round(sandbox.startup_seconds, 1),
            "sandbox_startup_target_seconds": STARTUP_TARGET_S,
            "sandbox_startup_ok": sandbox.startup_seconds < STARTUP_TARGET_S,
            "hubspot_batch_upsert_100": hubspot_batch_upserts(sandbox),
            "salesforce_collection_upsert_200": salesforce_collection_upserts(sandbox),
        }


def report(t: dict) -> list[str]:
    hs, sf = t["hubspot_batch_upsert_100"], t["salesforce_collection_upsert_200"]
    return [
        "## Sandbox emulators (rate limits off, official clients, 2 client threads, separate process)",
        "",
        "| what | calls a minute | target | records a call | met |",
        "|---|---:|---:|---:|---|",
        f"| HubSpot batch upsert | {hs['per_minute']} | {hs['target_per_minute']} | 100 | {'yes' if hs['ok'] else 'NO'} |",
        f"| Salesforce collection upsert | {sf['per_minute']} | {sf['target_per_minute']} | 200 | {'yes' if sf['ok'] else 'NO'} |",
        "",
        f"Sandbox start with 5,000 people per side: {t['sandbox_startup_seconds_5000_records']} s"
        + (
            f" (target under {t['sandbox_startup_target_seconds']:.0f} s: "
            f"{'met' if t['sandbox_startup_ok'] else 'NOT met'})."
            if "sandbox_startup_ok" in t
            else "."
        ),
        "",
    ]  # fmt: skip
