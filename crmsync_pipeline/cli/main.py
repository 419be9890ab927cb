"""`crmsync`: the command line entry point. Each command lives in its own module."""

from __future__ import annotations

import click

from .demo_command import demo
from .run_commands import plan, sync
from .sandbox_command import sandbox
from .setup_commands import check, setup
from .status_command import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmsync")
def cli() -> None:
    """Two-way HubSpot <-> Salesforce sync, run as a Dagster pipeline over DuckDB."""


COMMANDS = [
    sandbox,
    setup,
    check,
    plan,
    sync,
    status,
    demo,
]

for command in COMMANDS:
    cli.add_command(command)
