"""`crmsync`: the command line entry point. Each command lives in its own module."""

from __future__ import annotations

import click

from .approve_command import approve
from .demo_command import demo
from .errors_command import errors
from .fields_command import fields
from .forget_command import forget
from .pause_commands import PAUSE_COMMANDS
from .purge_command import purge
from .rebuild_command import rebuild_state
from .review_command import review
from .run_commands import VERBOSE_HELP, plan, sync
from .sandbox_command import sandbox
from .setup_commands import check, setup
from .status_command import status
from .ui_command import ui
from .undo_command import undo


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crmsync")
@click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Two-way HubSpot <-> Salesforce sync, run as a Dagster pipeline over DuckDB."""
    ctx.obj = {"verbose": verbose}


COMMANDS = [
    sandbox,
    setup,
    check,
    plan,
    sync,
    status,
    demo,
    errors,
    fields,
    *PAUSE_COMMANDS,
    ui,
    undo,
    review,
    approve,
    rebuild_state,
    purge,
    forget,
]

for command in COMMANDS:
    cli.add_command(command)
