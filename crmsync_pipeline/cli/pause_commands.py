"""`crmsync pause PAIR` and `crmsync resume PAIR`: stop syncing one object pair for a while, then catch up."""

from __future__ import annotations

import getpass
import sys

import click

from crmsync_pipeline.config import MappingError
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state.pauses import pause_pair, paused_pairs, resume_pair


def _resource_and_pair(pair: str) -> CrmsyncResource:
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    try:
        known = resource.mapping().active_pairs()
    except (MappingError, FileNotFoundError) as err:
        raise click.ClickException(f"cannot read the mapping file: {err}") from err
    if pair not in known:
        raise click.ClickException(f"no active pair {pair!r}; pairs: {', '.join(known)}")
    return resource


@click.command()
@click.argument("pair")
@click.option("--reason", help="why, shown by `crmsync status`")
def pause(pair: str, reason: str | None) -> None:
    """Pause syncing PAIR (e.g. contacts): its extract, plan and writes are skipped until `crmsync resume`."""
    resource = _resource_and_pair(pair)
    if pause_pair(resource.state_path, pair, reason=reason, by=getpass.getuser()):
        click.echo(f"{pair}: paused; the next runs skip it")
    else:
        click.echo(f"{pair}: {paused_pairs(resource.state_path)[pair].note()}")


@click.command()
@click.argument("pair")
def resume(pair: str) -> None:
    """Resume syncing PAIR: the next run reads everything changed in either CRM while it was paused."""
    resource = _resource_and_pair(pair)
    if not resume_pair(resource.state_path, pair):
        click.echo(f"{pair}: was not paused")
        sys.exit(1)
    click.echo(f"{pair}: resumed; the next run catches up on what changed meanwhile")


PAUSE_COMMANDS = [pause, resume]
