"""`crmsync review`: what a person must decide (table review_items), listed and settled: flags for scripts,
prompts for people, and single-record actions (link, unlink, resync)."""

from __future__ import annotations

import json
import sys

import click

from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.review import actions
from crmsync_pipeline.review.settle_actions import CREATE, LINK, PROPAGATE, actions_for, flags_for
from crmsync_pipeline.state import db


def _state():  # type: ignore[no-untyped-def]
    state = CrmsyncResource(mapping_file=default_mapping_path()).state_path
    if not state.exists():
        raise click.ClickException(f"no state file yet at {state}: run `crmsync sync` first")
    return state


def _describe(item: actions.OpenItem) -> str:
    who = f"HubSpot {item.hubspot_id}" if item.hubspot_id else "no HubSpot record"
    sf = ", ".join(item.salesforce_ids) or "-"
    detail = ", ".join(f"{k}={v}" for k, v in item.detail.items())
    return f"[{item.item_id}] {item.kind} in {item.pair}: {who}; Salesforce {sf}; {detail}"


def _footer(items: list[actions.OpenItem]) -> str:
    """How to settle the items listed: for each kind among them, only the actions that settle it."""
    kinds = sorted({item.kind for item in items})
    if not kinds:
        return "0 open items"
    ways = [f"  {kind}: {flags_for(kind)}" for kind in kinds]
    return "\n".join([f"{len(items)} open item(s); settle one with `crmsync review resolve ITEM` and", *ways])


def _act(fn, *args):  # type: ignore[no-untyped-def]
    try:
        with db.connect(_state()) as con:
            return fn(con, *args)
    except actions.ReviewError as err:
        raise click.ClickException(str(err)) from err


@click.group(invoke_without_command=True)
@click.option("--list", "as_list", is_flag=True, help="list open items and exit")
@click.option("--json", "as_json", is_flag=True, help="list open items as JSON")
@click.option("--pair", "pair_name", help="only this object pair")
@click.option(
    "--kind",
    help="only this kind: ambiguous_match, duplicate_lead, duplicate_hubspot, held_conflict, ping_pong, keyless, placeholder_name, drift, ...",
)
@click.pass_context
def review(ctx: click.Context, as_list: bool, as_json: bool, pair_name: str | None, kind: str | None) -> None:
    """Held conflicts, ambiguous matches, duplicate Leads and other items waiting for a person. With no
    flags at a terminal, asks about each item in turn; otherwise lists them."""
    if ctx.invoked_subcommand is not None:
        return
    with db.connect(_state(), read_only=True) as con:
        items = actions.open_items(con, pair_name, kind)
    if as_json:
        click.echo(json.dumps([i.__dict__ for i in items], indent=2, default=str))
    elif as_list or not sys.stdin.isatty():
        for item in items:
            click.echo(_describe(item))
        click.echo(_footer(items))
    else:
        _interactive(items)


_FIELD_CHOICES = {"r": "resume", "h": "keep_hubspot", "f": "keep_salesforce", "s": actions.SKIP}


def _interactive_field(item: actions.OpenItem) -> bool:
    """A ping_pong item: resume the field, keep one side's value, or hold it for good. False on quit."""
    click.echo(
        "  r: resume; h: keep HubSpot's value; f: keep Salesforce's value; s: hold for good; n: next; q: quit"
    )
    answer = click.prompt("  choice", default="n").strip().lower()
    if answer in _FIELD_CHOICES:
        try:
            click.echo("  " + _act(actions.resolve, item.item_id, _FIELD_CHOICES[answer]))
        except click.ClickException as err:
            click.echo(f"  {err.message}")
    return answer != "q"


def _interactive(items: list[actions.OpenItem]) -> None:
    for n, item in enumerate(items, 1):
        click.echo(f"\n{n}/{len(items)} {_describe(item)}")
        if item.kind == actions.PING_PONG:
            if not _interactive_field(item):
                return
            continue
        valid = actions_for(item.kind)
        links = item.hubspot_id and LINK in valid
        choices = (
            [f"{i + 1}: link to Salesforce {s}" for i, s in enumerate(item.salesforce_ids)] if links else []
        )
        choices += ["p: propagate the delete"] if PROPAGATE in valid else []
        choices += ["c: create" if item.kind != "orphan" else "c: re-create the deleted record"] * (
            CREATE in valid
        )
        click.echo("  " + "; ".join([*choices, "s: skip for good", "n: next", "q: quit"]))
        answer = click.prompt("  choice", default="n").strip().lower()
        if answer == "q":
            return
        try:
            if answer.isdigit() and links and 0 < int(answer) <= len(item.salesforce_ids):
                target = item.salesforce_ids[int(answer) - 1]
                click.echo("  " + _act(actions.resolve, item.item_id, "link", item.hubspot_id, target))
            elif answer == "p" and PROPAGATE in valid:
                click.echo("  " + _act(actions.resolve, item.item_id, actions.PROPAGATE))
            elif (answer == "c" and CREATE in valid) or answer == "s":
                click.echo(
                    "  " + _act(actions.resolve, item.item_id, "create" if answer == "c" else actions.SKIP)
                )
        except click.ClickException as err:
            click.echo(f"  {err.message}")


@review.command()
@click.argument("item_id")
@click.option("--link", nargs=2, metavar="HUBSPOT_ID SALESFORCE_ID", help="link these two records")
@click.option("--skip", is_flag=True, help="keep the item's records out of sync for good")
@click.option("--create", is_flag=True, help="let the next sync create the record on the other side")
@click.option("--resume", is_flag=True, help="ping_pong item: the field syncs again by its rule")
@click.option(
    "--keep",
    type=click.Choice(["hubspot", "salesforce"]),
    help="ping_pong item: this side's value goes to the other side, then the field syncs again",
)
@click.option("--propagate", is_flag=True, help="an orphan: delete (archive) the live twin on the next sync")
def resolve(
    item_id: str,
    link: tuple[str, str] | None,
    skip: bool,
    create: bool,
    resume: bool,
    keep: str | None,
    propagate: bool,
) -> None:
    """Settle one review item; its records (or, for a ping_pong item, its field) sync on the next run.
    An orphan: --propagate carries the delete across, --create re-creates the deleted record, --skip
    leaves both sides as they are."""
    if sum(bool(x) for x in (link, skip, create, resume, keep, propagate)) != 1:
        raise click.UsageError(
            "give exactly one of --link HUBSPOT_ID SALESFORCE_ID, --skip, --create, --resume, --keep SIDE, "
            "--propagate"
        )
    if link:
        action = "link"
    elif create:
        action = "create"
    elif resume:
        action = "resume"
    elif keep:
        action = f"keep_{keep}"
    elif propagate:
        action = actions.PROPAGATE
    else:
        action = actions.SKIP
    resolution = _act(actions.resolve, item_id, action, *(link or (None, None)))
    click.echo(f"{item_id}: settled ({resolution})")


@review.command(name="link")
@click.argument("pair_name", metavar="PAIR")
@click.argument("hubspot_id")
@click.argument("salesforce_id")
def link_command(pair_name: str, hubspot_id: str, salesforce_id: str) -> None:
    """Link a HubSpot record to a Salesforce record by hand; the next sync merges them as a first link."""
    sobject = _act(actions.link_records, pair_name, hubspot_id, salesforce_id)
    click.echo(f"{pair_name}: HubSpot {hubspot_id} linked to Salesforce {sobject} {salesforce_id}")


@review.command()
@click.argument("pair_name", metavar="PAIR")
@click.argument("hubspot_id")
def unlink(pair_name: str, hubspot_id: str) -> None:
    """Remove a link; both records wait in review (so their cross-reference ids do not relink them)."""
    salesforce_id = _act(actions.unlink, pair_name, hubspot_id)
    click.echo(
        f"{pair_name}: HubSpot {hubspot_id} unlinked from Salesforce {salesforce_id}; both held in review"
    )


@review.command()
@click.argument("pair_name", metavar="PAIR")
@click.argument("hubspot_id")
def resync(pair_name: str, hubspot_id: str) -> None:
    """Forget what a link's two records last agreed on: the next sync merges them afresh as a first link."""
    forgotten = _act(actions.resync, pair_name, hubspot_id)
    click.echo(
        f"{pair_name}: HubSpot {hubspot_id}: {forgotten} agreed field value(s) forgotten; merged afresh next sync"
        " (each field by its rule; two_way fields by each field's own change time, see `crmsync plan`)"
    )
