"""`crmsync demo`: start seeded sandbox CRMs and show them serving through the official clients.

Until the sync pipeline lands, the demo reads every record of each synced object back through both
official clients (with paging) and reports what each CRM holds and the API calls that took.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import requests
from rich.console import Console
from rich.table import Table

HUBSPOT_OBJECTS = ("companies", "contacts", "deals", "tasks")
SALESFORCE_OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Task")


@click.command()
@click.option("--records", default=2000, show_default=True, help="about N people per side")
@click.option("--seed", default=42, show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dagster_home/demo_sandbox"),
    show_default=True,
)
def demo(records: int, seed: int, data_dir: Path) -> None:
    """Seed fresh sandbox CRMs and read every record back through both official clients."""
    from crmsync_pipeline.connectors.clients import hubspot_client, salesforce_client
    from crmsync_pipeline.sandbox.run import SANDBOX_TOKEN, SandboxOptions, build_emulators
    from crmsync_pipeline.sandbox.seed import SeedOptions
    from crmsync_pipeline.sandbox.server import EmulatorThread

    console = Console()
    console.print(f"[bold]crmsync demo[/bold]: seeding sandbox CRMs with about {records} people per side")
    options = SandboxOptions(data_dir=data_dir, seed=SeedOptions(records=records, seed=seed), reset=True)
    threads = [EmulatorThread(e).start() for e in build_emulators(options, say=console.print)]
    hubspot_url, salesforce_url = threads[0].url, threads[1].url
    try:
        for url in (hubspot_url, salesforce_url):
            requests.post(f"{url}/_sandbox/stats/reset", timeout=10)
        table = Table(title="What the sandbox CRMs hold, read back through the official clients")
        for column in ("CRM", "object", "records", "API calls", "seconds"):
            table.add_column(
                column, justify="right" if column in ("records", "API calls", "seconds") else "left"
            )

        hubspot = hubspot_client(SANDBOX_TOKEN, hubspot_url)
        for name in HUBSPOT_OBJECTS:
            before, started = _calls(hubspot_url), time.monotonic()
            count = len(hubspot.crm.objects.get_all(name))
            table.add_row(
                "HubSpot",
                name,
                str(count),
                str(_calls(hubspot_url) - before),
                f"{time.monotonic() - started:.2f}",
            )

        sf = salesforce_client(salesforce_url, SANDBOX_TOKEN)
        for name in SALESFORCE_OBJECTS:
            before, started = _calls(salesforce_url), time.monotonic()
            count = sum(1 for _ in sf.query_all_iter(f"SELECT Id, LastModifiedDate FROM {name}"))
            table.add_row(
                "Salesforce",
                name,
                str(count),
                str(_calls(salesforce_url) - before),
                f"{time.monotonic() - started:.2f}",
            )
        console.print(table)
        console.print(
            "The sync pipeline is not built yet (next issue). To keep the sandbox serving:\n"
            "  .venv/bin/crmsync sandbox --records 5000\n"
            "then point the clients at http://127.0.0.1:8765 (HubSpot) and http://127.0.0.1:8766 "
            f"(Salesforce) with the token {SANDBOX_TOKEN}."
        )
    finally:
        for thread in threads:
            thread.stop()


def _calls(url: str) -> int:
    return int(requests.get(f"{url}/_sandbox/stats", timeout=10).json()["api_calls"])
