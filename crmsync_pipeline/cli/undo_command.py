"""`crmsync undo RUN_ID`: revert what one sync run wrote, from the audit log, on both CRMs; report and
leave alone the fields someone changed since; archive the records the run created."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from crmsync_pipeline.config import Side
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.extract.schemas import cached_schema
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.orchestration.run_log import record_calls
from crmsync_pipeline.plan.stage import owner_directory
from crmsync_pipeline.state import db
from crmsync_pipeline.undo.plan import (
    RecordsUnread,
    UndoPlan,
    decide,
    load_run_writes,
    read_current,
    refusal,
)
from crmsync_pipeline.undo.preflight import preflight_undo
from crmsync_pipeline.undo.writes import execute_undo
from crmsync_pipeline.write.source_readers import HubSpotSource, SalesforceSource


def undo_run(
    run_id: str, dry_run: bool, confirm: Any = None, resource: CrmsyncResource | None = None
) -> dict:
    """Plan the undo of `run_id` (fresh reads of both CRMs), then, unless `dry_run` or `confirm(plan)`
    answers False, carry it out as a run of its own. Returns what was (or would be) done."""
    resource = resource or CrmsyncResource(mapping_file=default_mapping_path())
    mapping = resource.mapping()
    with db.connect(resource.state_path) as con:
        if (reason := refusal(con, run_id)) is not None:
            raise click.ClickException(reason)
        writes, creates = load_run_writes(con, run_id)
        owners = owner_directory(con)
    meter = CallMeter()
    hubspot, salesforce = resource.connectors(meter)
    try:
        current = read_current(mapping, writes, HubSpotSource(hubspot), SalesforceSource(salesforce))
    except (RecordsUnread, CrmError) as err:
        # nothing planned, written or marked: a record read as missing would be reported gone for good
        raise click.ClickException(
            f"nothing undone: {err}; they could not be read now, run `crmsync undo {run_id}` again"
        ) from err
    plan = UndoPlan(run_id, decide(mapping, owners, writes, current), creates)
    preflight_undo(mapping, plan, _fresh_schemas(resource.state_path, hubspot, salesforce))
    out: dict[str, Any] = {**described(plan), "dry_run": dry_run}
    if dry_run or not (plan.by_status("restore") or creates) or (confirm and not confirm(plan)):
        out["undo_run"] = None
        return out
    undo_run_id = f"undo-{uuid.uuid4()}"
    report = execute_undo(
        lambda: db.connect(resource.state_path), hubspot, salesforce, mapping, plan, undo_run_id
    )
    record_calls(resource.state_path, undo_run_id, meter)
    out.update(
        undo_run=undo_run_id,
        restored=report.restored,
        archived=report.archived,
        failed=report.failed,
        put_back=report.put_back,
        left_apart=report.split,
        api_calls={crm: meter.total(crm) for crm in ("hubspot", "salesforce")},
    )
    return out


def _fresh_schemas(state_path: Path, hubspot: Any, salesforce: Any):  # type: ignore[no-untyped-def]
    """Both CRMs' schemas read now (an admin may have changed a field since the run), one call per
    object; the cache the syncs use is refreshed on the way."""
    seen: dict[tuple[Side, str], dict[str, dict[str, Any]]] = {}

    def schema_of(side: Side, obj: str) -> dict[str, dict[str, Any]]:
        if (side, obj) not in seen:
            if side is Side.SALESFORCE:
                body = cached_schema(state_path, "salesforce", obj, lambda: salesforce.describe(obj), FRESH)
                seen[(side, obj)] = {f["name"]: f for f in body["fields"]}
            else:
                body = cached_schema(state_path, "hubspot", obj, lambda: hubspot.properties(obj), FRESH)
                seen[(side, obj)] = {p["name"]: p for p in body}
        return seen[(side, obj)]

    return schema_of


FRESH = timedelta(0)


def described(plan: UndoPlan) -> dict[str, Any]:
    """The plan as the user sees it before confirming: per record and field, each side's current ->
    restored value; what is left out and why; what is left alone."""
    return {
        **plan.summary(),
        "restores": [
            {
                "pair": f.write.pair,
                "field": f.write.field,
                "side": side.value,
                "record": record_id,
                "crm_field": name,
                "current": None if held is None else str(held),
                "restored": value,
            }
            for f in plan.by_status("restore")
            for side, (record_id, name, value, held) in f.writes.items()
        ],
        "left_out": _listed(plan, "left_out"),
        "changed_since": _listed(plan, "changed_since"),
        "gone": _listed(plan, "gone"),
    }


def _listed(plan: UndoPlan, status: str) -> list[dict[str, Any]]:
    return [
        {
            "pair": f.write.pair,
            "target": f.write.target,
            "record": f.write.record_id,
            "field": f.write.field,
            "run_wrote": f.write.after_value,
            "error_code": f.error_code,
            "note": f.note,
        }
        for f in plan.by_status(status)
    ]


def _print(out: dict[str, Any]) -> None:
    fields = out["fields"]
    click.echo(
        f"run {out['undoes']}: {sum(fields.values())} field write(s) confirmed, "
        f"{out['records to archive']} record(s) created"
    )
    click.echo(
        f"  to restore: {fields.get('restore', 0)} field(s); writes per side: {out['field writes'] or 'none'}"
    )
    for r in out["restores"]:
        click.echo(
            f"    {r['pair']} {r['side']} {r['record']} {r['crm_field']}: {r['current']!r} -> {r['restored']!r}"
        )
    for item in out["left_out"]:
        click.echo(
            f"  left out on both sides (a CRM would refuse the restore): {item['pair']} {item['field']} of "
            f"{item['target']} {item['record']}: {item['note']}"
        )
    for key in ("changed_since", "gone"):
        for item in out[key]:
            click.echo(
                f"  left alone ({key.replace('_', ' ')}): {item['pair']} {item['target']} "
                f"{item['record']} {item['field']}: {item['note']}"
            )
    if out.get("undo_run"):
        click.echo(
            f"undo run {out['undo_run']}: restored {out['restored']} field(s), archived "
            f"{out['archived']} record(s), failed {out['failed'] or 'none'}, put back {out['put_back']}, "
            f"left apart for review {out['left_apart']}, api calls {out['api_calls']}"
        )
    elif out["dry_run"]:
        click.echo("dry run: nothing written")


@click.command()
@click.argument("run_id")
@click.option("--dry-run", is_flag=True, help="show what would be restored and archived; write nothing")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--json", "as_json", is_flag=True, help="print JSON (for scripts)")
def undo(run_id: str, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Revert sync run RUN_ID on both CRMs: fields back to their value before the run, records it created
    archived. Fields someone changed since the run are reported and left alone; a restore either CRM
    would refuse (a required field emptied, a picklist value gone, a read-only field) is reported and left
    out on both sides. Shows the plan and asks before writing (--yes skips; without a terminal, --yes is
    required). Exit 0 when every planned write landed, 1 when a CRM refused one (put back or in review)."""

    def ask(plan: UndoPlan) -> bool:
        if yes:
            return True
        _print({**described(plan), "dry_run": False})
        if not sys.stdin.isatty():
            raise click.ClickException(
                "nothing written: undo asks before writing and there is no terminal to ask; "
                "check the plan above (or --dry-run) and pass --yes"
            )
        return click.confirm("write these changes to HubSpot and Salesforce?", default=False)

    out = undo_run(run_id, dry_run, ask)
    if as_json:
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        _print(out)
    sys.exit(1 if out.get("failed") else 0)
