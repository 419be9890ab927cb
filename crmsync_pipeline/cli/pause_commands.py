"""`crmsync pause PAIR` and `crmsync resume PAIR`: stop syncing one object pair for a while, then catch up."""

from __future__ import annotations

import getpass
import sys

import click

from crmsync_pipeline.config import MappingError
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state.pauses import pause_pair, paused_pairs, resume_pair


def _resource_and_pair(pair_name: str) -> CrmsyncResource:
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    try:
        known = resource.mapping().active_pairs()
    except (MappingError, FileNotFoundError) as err:
        raise click.ClickException(f"cannot read the mapping file: {err}") from err
    if pair_name not in known:
        raise click.ClickException(f"no active pair {pair_name!r}; pairs: {', '.join(known)}")
    return resource


@click.command()
@click.argument("pair_name", metavar="PAIR")
@click.option("--reason", help="why, shown by `crmsync status`")
def pause(pair_name: str, reason: str | None) -> None:
    """Pause syncing PAIR (e.g. contacts): its extract, plan and writes are skipped until `crmsync resume`."""
    resource = _resource_and_pair(pair_name)
    if pause_pair(resource.state_path, pair_name, reason=reason, by=getpass.getuser()):
        click.echo(f"{pair_name}: paused; the next runs skip it")
    else:
        click.echo(f"{pair_name}: {paused_pairs(resource.state_path)[pair_name].note()}")


@click.command()
@click.argument("pair_name", metavar="PAIR")
def resume(pair_name: str) -> None:
    """Resume syncing PAIR: the next run reads everything changed in either CRM while it was paused."""
    resource = _resource_and_pair(pair_name)
    if not resume_pair(resource.state_path, pair_name):
        click.echo(f"{pair_name}: was not paused")
        sys.exit(1)
    click.echo(f"{pair_name}: resumed; the next run catches up on what changed meanwhile")


PAUSE_COMMANDS = [pause, resume]
