"""`crmsync sandbox`: serve the local HubSpot and Salesforce emulators in the foreground."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _key_values(values: tuple[str, ...], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{what} {item!r}: expected KEY=VALUE (VALUE as JSON, e.g. 0.05 or false)"
            )
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def sandbox_settings(values: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    settings: dict[str, dict[str, Any]] = {"hubspot": {}, "salesforce": {}}
    for key, value in _key_values(values, "--set").items():
        crm, _, name = key.partition(".")
        if crm not in settings or not name:
            raise click.BadParameter(f"--set {key}: expected hubspot.NAME=VALUE or salesforce.NAME=VALUE")
        settings[crm][name] = value
    return settings


@click.command()
@click.option(
    "--hubspot-port", default=8765, show_default=True, help="HubSpot API port on 127.0.0.1 (0: any free)"
)
@click.option("--salesforce-port", default=8766, show_default=True, help="Salesforce API port on 127.0.0.1")
@click.option("--records", default=1000, show_default=True, help="about N people per side")
@click.option("--seed", default=42, show_default=True, help="seed of the generated data")
@click.option("--companies", type=int, help="companies/accounts (default: records / 5)")
@click.option("--deals", type=int, help="deals/opportunities (default: records * 0.3)")
@click.option("--tasks", type=int, help="tasks (default: records / 2)")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("sandbox_data"),
    show_default=True,
    help="records persist here; a restart keeps them",
)
@click.option("--reset", is_flag=True, help="wipe the data dir and seed again")
@click.option("--no-rate-limits", is_flag=True, help="switch both CRMs' rate limits off (benchmarks)")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="CRM.NAME=VALUE",
    help="an emulator setting, e.g. hubspot.search_lag_seconds=0",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME=VALUE",
    help="fault injection on both CRMs, e.g. drop_rate=0.01 or error_rates='{\"503\": 0.05}'",
)
@click.option("--fault-seed", default=0, show_default=True)
def sandbox(
    hubspot_port: int,
    salesforce_port: int,
    records: int,
    seed: int,
    companies: int | None,
    deals: int | None,
    tasks: int | None,
    data_dir: Path,
    reset: bool,
    no_rate_limits: bool,
    settings: tuple[str, ...],
    faults: tuple[str, ...],
    fault_seed: int,
) -> None:
    """Serve sandbox HubSpot and Salesforce APIs on 127.0.0.1 until Ctrl-C / SIGTERM.

    Both accept the token `sandbox-token`. Stats: GET /_sandbox/stats on either port.
    """
    from crmsync_pipeline.sandbox.run import SANDBOX_TOKEN, SandboxOptions, build_emulators
    from crmsync_pipeline.sandbox.seed import SeedOptions
    from crmsync_pipeline.sandbox.server import serve_forever

    chosen = sandbox_settings(settings)
    if no_rate_limits:
        chosen["hubspot"]["rate_limits_enabled"] = False
        chosen["salesforce"]["daily_api_limit"] = 0
    options = SandboxOptions(
        data_dir=data_dir,
        hubspot_port=hubspot_port,
        salesforce_port=salesforce_port,
        seed=SeedOptions(records=records, seed=seed, companies=companies, deals=deals, tasks=tasks),
        reset=reset,
        settings=chosen,
        faults=_key_values(faults, "--fault"),
        fault_seed=fault_seed,
    )
    emulators = build_emulators(options, say=click.echo)

    def ready(served: list) -> None:
        for s in served:
            click.echo(f"{s.emulator.name:<10} serving on {s.url}   (token: {SANDBOX_TOKEN})")
        click.echo(f"data dir: {data_dir.resolve()}   stop with Ctrl-C")

    serve_forever([(emulators[0], hubspot_port), (emulators[1], salesforce_port)], ready)
    click.echo("sandbox stopped; records kept in the data dir")
