"""`crmsync setup` and `crmsync check`: get both CRMs ready for the mapping, and validate it."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from crmsync_pipeline.config import MappingError
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.settings import SettingsError
from crmsync_pipeline.extract.lists import missing_lists
from crmsync_pipeline.extract.schemas import forget_schemas
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.setup.access_check import access_problems, readable_only
from crmsync_pipeline.setup.crm_fields import setup_fields
from crmsync_pipeline.setup.field_access import FieldVisibility
from crmsync_pipeline.setup.org_checklist import Finding, org_checklist
from crmsync_pipeline.setup.salesforce_org import OrgCalls
from crmsync_pipeline.setup.schema_check import WARNING, schema_problems


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
    for line in report.granted:
        console.print(f"granted  {line}")
    console.print(f"{len(report.present)} field(s) already in place")
    for line in report.for_an_admin:
        console.print(f"[yellow]an admin must act[/yellow]: {line}")
    sys.exit(0 if report.complete else 1)


@click.command()
def check() -> None:
    """Validate the mapping file, then against both CRMs: the tokens work, the integration user may read,
    create and edit what the mapping writes (HubSpot scopes, Salesforce object permissions and field-level
    security), the lists inclusion rules name exist, and the live schemas fit (fields, picklists, stages,
    required fields). Then the first-contact checklist: API calls left today against the first sync's
    expected cost, and the org's assignment, duplicate and validation rules. Every finding names the
    mapping entry and what to change or grant."""
    console = Console()
    resource, mapping = _resource_and_mapping(console)
    console.print(f"mapping file OK: {', '.join(mapping.active_pairs())} ({resource.mapping_path})")
    try:
        hubspot, salesforce = resource.connectors(CallMeter())
    except SettingsError as err:
        console.print(f"[red]{err}[/red]")
        sys.exit(2)
    forget_schemas(resource.state_path)  # rights and fields an admin just changed must be seen
    org = OrgCalls(salesforce)
    visibility = FieldVisibility(mapping, salesforce, org)  # hidden fields are a grant, not a missing field
    access = access_problems(mapping, hubspot, salesforce, visibility)
    problems = list(access.problems)
    checklist: list[Finding] = []
    if access.tokens_work:
        readable = readable_only(mapping, access)
        problems += schema_problems(
            readable,
            lambda obj: {p["name"]: p for p in hubspot.properties(obj)},
            visibility.fields,
            hubspot.pipelines,
        )
        for pair_name in mapping.active_pairs():
            problems += missing_lists(pair_name, mapping.pair(pair_name), hubspot.find_list)
        checklist = org_checklist(readable, hubspot, salesforce, org)
    forget_schemas(resource.state_path)  # the next run reads the schemas just checked
    _print_checklist(console, checklist)
    problems += [f"{f.group}: {f.text}" for f in checklist if f.level == "problem"]
    warnings = [p.removeprefix(WARNING) for p in problems if p.startswith(WARNING)]
    problems = [p for p in problems if not p.startswith(WARNING)]
    for warning in warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", soft_wrap=True)
    for problem in problems:
        console.print(f"[red]problem[/red] {problem}", soft_wrap=True)
    if problems:
        console.print(
            f"{len(problems)} problem(s); fix the mapping or the CRMs, then run `crmsync check` again"
        )
        sys.exit(1)
    console.print("both CRMs accept crmsync's access, and their schemas fit the mapping")


LEVEL_STYLE = {
    "ok": "[green]ok[/green]     ",
    "warning": "[yellow]warning[/yellow]",
    "problem": "[red]problem[/red]",
}


def _print_checklist(console: Console, findings: list[Finding]) -> None:
    """The first-contact checklist, grouped (API limits, First sync, Salesforce automation)."""
    if not findings:
        return
    console.print("first-contact checklist:")
    for group in dict.fromkeys(f.group for f in findings):
        console.print(f"  {group}")
        for f in (f for f in findings if f.group == group):
            console.print(f"    {LEVEL_STYLE[f.level]} {f.text}", soft_wrap=True)
