"""`crmsync forget EMAIL|ID`: erase a person (GDPR right to erasure) from both CRMs and the state file."""

from __future__ import annotations

import getpass

import click

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.erasure.erase import erase_person
from crmsync_pipeline.erasure.lookup import find_people, people_pairs
from crmsync_pipeline.erasure.rewrite import erasures_pending
from crmsync_pipeline.orchestration.health import rewrite_after_erasures
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state import db


@click.command()
@click.argument("target")
@click.option(
    "--pair", "pair_names", multiple=True, help="only this pair (default: every pair mapping an email)"
)
@click.option("--dry-run", is_flag=True, help="say which records would be erased; change nothing")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def forget(target: str, pair_names: tuple[str, ...], dry_run: bool, yes: bool) -> None:
    """Erase the person with this email (or this HubSpot / Salesforce id): a GDPR delete in HubSpot
    (contacts; other objects are archived), a hard delete of the linked Salesforce Contact/Lead, and every
    trace in the state file (which is then rewritten, with its published copy, so not even its freed
    blocks keep the person). Left behind: one `erasures` row (pair, both ids, a salted hash of the email,
    when, by whom), which keeps crmsync from re-creating the person from a stale copy."""
    resource = CrmsyncResource(mapping_file=default_mapping_path())
    mapping = resource.mapping()
    pair_names = tuple(pair_names) or tuple(people_pairs(mapping))
    unknown = [name for name in pair_names if name not in mapping.objects]
    if unknown:
        raise click.UsageError(f"no such pair: {', '.join(unknown)}")
    hubspot, salesforce = resource.connectors(CallMeter())
    people = [
        p
        for pair_name in pair_names
        for p in find_people(resource.state_path, hubspot, salesforce, mapping, pair_name, target)
    ]
    if not people:
        click.echo("no record of that person in either CRM or the state file")
        return
    for person in people:
        click.echo(
            f"{person.pair_name}: HubSpot {person.hubspot_id or '-'}, "
            f"Salesforce {person.salesforce_object or ''} {person.salesforce_id or '-'}"
        )
    if dry_run:
        return
    if not yes:
        click.confirm(f"erase {len(people)} record group(s) for good?", abort=True)
    state = resource.state_path
    for person in people:
        done = erase_person(
            lambda: db.connect(state), hubspot, salesforce, mapping, person, "crmsync", getpass.getuser()
        )
        click.echo(
            f"erased {done.erasure_id}: HubSpot {done.hubspot_outcome or '-'}, "
            f"Salesforce {done.salesforce_outcome or '-'}, {done.rows_removed} state row(s) removed or blanked"
        )
    # the person's bytes go from the state file and from the readers' copy, not only their rows
    if not rewrite_after_erasures(state, "") and erasures_pending(state):
        click.echo(
            "the state file is open elsewhere (a sync running, or a reader of the live file): its freed "
            "blocks keep the person's bytes until it is rewritten, which the next sync does"
        )
