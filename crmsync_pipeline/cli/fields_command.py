"""`crmsync fields OBJECT`: both CRMs' fields for one object pair, what is mapped, and what could be."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from crmsync_pipeline.config import Mapping, MappingError
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.settings import SettingsError
from crmsync_pipeline.extract.schemas import hubspot_properties, salesforce_fields
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.setup.field_suggestions import FieldRow, mapped_rows, suggestions, unmapped


def resolve_pair(mapping: Mapping, name: str) -> tuple[str, list[str]] | None:
    """(pair name, the Salesforce objects to show) for a pair name, a HubSpot object or an sObject."""
    folded = name.casefold()
    for pair_name, pair in mapping.objects.items():
        if folded in (pair_name.casefold(), pair.hubspot.casefold()):
            return pair_name, list(pair.salesforce)
    for pair_name, pair in mapping.objects.items():
        for sobject in pair.salesforce:
            if folded == sobject.casefold():
                return pair_name, [sobject]
    return None


@click.command()
@click.argument("object_name", metavar="OBJECT")
@click.option("--unmapped/--no-unmapped", "show_unmapped", default=True, show_default=True,
              help="Also list every field neither side maps yet, with its type.")  # fmt: skip
def fields(object_name: str, show_unmapped: bool) -> None:
    """Show both CRMs' fields for OBJECT side by side, as HubSpot's connector mapping screen does.

    OBJECT is a pair of the mapping file (contacts, companies ...), a HubSpot object (deals) or a
    Salesforce sObject (Lead). Lists the mapped fields with both types, their direction and whether the
    types fit; suggests unmapped HubSpot/Salesforce pairs with similar names and compatible types (with
    the transform they would need and a direction their write access allows); then the fields no entry
    uses yet. Reads the live schemas (cached for an hour in the state file)."""
    console = Console()
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    try:
        mapping = resource.mapping()
        hubspot, salesforce = resource.connectors(CallMeter())
    except (MappingError, FileNotFoundError, SettingsError) as err:
        console.print(f"[red]{err}[/red]")
        sys.exit(2)
    found = resolve_pair(mapping, object_name)
    if found is None:
        console.print(
            f"[red]'{object_name}' is not a pair, HubSpot object or Salesforce object of the mapping[/red] "
            f"(pairs: {', '.join(mapping.objects)})"
        )
        sys.exit(2)
    pair_name, sobjects = found
    pair = mapping.pair(pair_name)
    try:
        hubspot_schema = hubspot_properties(resource.state_path, hubspot, pair.hubspot)
        salesforce_schema = {s: salesforce_fields(resource.state_path, salesforce, s) for s in sobjects}
    except CrmError as err:
        console.print(f"[red]could not read the schemas: {err}[/red]")
        sys.exit(1)
    console.print(
        f"pair [bold]{pair_name}[/bold]: HubSpot {pair.hubspot} <-> Salesforce {', '.join(sobjects)}"
    )
    console.print(_rows_table("Mapped", mapped_rows(pair, hubspot_schema, salesforce_schema), "direction"))
    suggested = suggestions(pair, hubspot_schema, salesforce_schema)
    console.print(
        _rows_table("Suggested (unmapped, similar names, types fit)", suggested, "suggested direction")
    )
    if not suggested:
        console.print("no unmapped pair looks alike")
    if show_unmapped:
        hubspot_rows, salesforce_rows = unmapped(pair, hubspot_schema, salesforce_schema)
        for title, rows in (("Unmapped HubSpot properties", hubspot_rows),
                            ("Unmapped Salesforce fields", salesforce_rows)):  # fmt: skip
            table = Table(title=f"{title} ({len(rows)})", title_justify="left")
            for column in ("field", "type", "note"):
                table.add_column(column)
            for row in rows:
                table.add_row(*row)
            console.print(table)


def _rows_table(title: str, rows: list[FieldRow], direction_title: str) -> Table:
    table = Table(title=f"{title} ({len(rows)})", title_justify="left")
    for column in ("HubSpot property", "type", "Salesforce field", "type", "types fit", direction_title):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.hubspot, row.hubspot_type, row.salesforce, row.salesforce_type, row.fits, row.direction
        )
    return table
