"""`crmsync setup` and `crmsync check`: get both CRMs ready for the mapping, and validate it."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from crmsync_pipeline.config import MappingError
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.settings import SettingsError
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.pipeline.schema_cache import forget_schemas
from crmsync_pipeline.pipeline.setup import setup_fields


def _resource_and_mapping(console: Console):  # type: ignore[no-untyped-def]
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    try:
        return resource, resource.mapping()
    except (MappingError, FileNotFoundError) as err:
        console.print(f"[red]the mapping file is not valid[/red]\n{err}")
        sys.exit(1)


@click.command()
def setup() -> None:
    """Create the cross-reference fields and the custom fields the mapping needs, or say what an admin must create."""
    console = Console()
    resource, mapping = _resource_and_mapping(console)
    try:
        hubspot, salesforce = resource.connectors(CallMeter())
    except SettingsError as err:
        console.print(f"[red]{err}[/red]")
        sys.exit(2)
    report = setup_fields(mapping, hubspot, salesforce)
    forget_schemas(resource.state_path)  # the next run must see the fields just created
    for line in report.created:
        console.print(f"created  {line}")
    console.print(f"{len(report.present)} field(s) already in place")
    for line in report.for_an_admin:
        console.print(f"[yellow]an admin must act[/yellow]: {line}")
    sys.exit(0 if report.complete else 1)


@click.command()
def check() -> None:
    """Validate the mapping file (entries are named in every message)."""
    console = Console()
    _, mapping = _resource_and_mapping(console)
    console.print(f"mapping OK: {', '.join(mapping.active_pairs())} (file {default_mapping_path()})")
