"""Assemble crmsync's Dagster definitions from the mapping file. A broken mapping never takes the UI
down: the definitions still load, with the mapping's own asset whose check fails naming each entry."""

from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

import dagster as dg

from crmsync_pipeline.config import Mapping, MappingError, load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.hubspot import extract_owners
from crmsync_pipeline.state import db
from crmsync_pipeline.state.retention import purge_older_than, retention_days

from .context import held_for_the_step
from .health import health_definitions
from .pair_assets import pair_assets
from .resources import CrmsyncResource, default_mapping_path
from .run_figures import run_figures
from .run_log import finish_run, note_run, record_calls
from .triggers import triggers

SYNC_JOB = "sync"
PLAN_JOB = "plan"

# What operates the sync (schedules, sensors, health checks and report, alerts): each entry is a
# function of the valid mapping returning its own dg.Definitions, merged into the project's below.
OPERATIONS: list[Callable[[Mapping], dg.Definitions]] = [
    triggers,
    health_definitions,
]


@dg.asset(
    group_name="config",
    kinds={"yaml"},
    description="The mapping file (crmsync.yaml): object pairs, field directions, transforms, inclusion rules.",
)
def crmsync_mapping(crmsync: CrmsyncResource) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"path": str(crmsync.mapping_path)})


@dg.asset_check(asset=crmsync_mapping, blocking=True, description="The mapping file loads and validates.")
def mapping_is_valid(crmsync: CrmsyncResource) -> dg.AssetCheckResult:
    try:
        mapping = crmsync.mapping()
    except MappingError as err:
        return dg.AssetCheckResult(
            passed=False,
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in str(err).splitlines()))},
        )
    except FileNotFoundError as err:
        return dg.AssetCheckResult(passed=False, metadata={"problem": str(err)})
    return dg.AssetCheckResult(passed=True, metadata={"pairs": ", ".join(mapping.active_pairs())})


@dg.asset(
    group_name="extract",
    kinds={"hubspot", "salesforce"},
    deps=[crmsync_mapping],
    description="HubSpot owners and Salesforce users (tables hubspot_owners, salesforce_users): owners are "
    "matched by email.",
)
def crm_owners(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
    meter = CallMeter()
    with held_for_the_step(crmsync):
        note_run(crmsync.state_path, context.run.run_id)
        hubspot, salesforce = crmsync.connectors(meter)
        try:
            owners, users = extract_owners(crmsync.state_path, hubspot, salesforce)
        finally:  # a failed step's calls were made too: counted, and the usage they reached carried on
            record_calls(crmsync.state_path, context.run.run_id, meter)
    return dg.MaterializeResult(
        metadata={"hubspot owners": owners, "salesforce users": users, "api calls": meter.total()}
    )


def summary_asset(mapping: Mapping) -> Any:
    writes = [
        dg.AssetKey(f"{side}_{p}_writes")
        for p in mapping.active_pairs()
        for side in ("salesforce", "hubspot")
    ]

    @dg.asset(
        group_name="report",
        kinds={"duckdb"},
        deps=writes,
        description="What this run read and wrote per pair and side (table runs, column summary), and its API "
        "calls per CRM (table api_calls).",
    )
    def sync_summary(context: dg.AssetExecutionContext, crmsync: CrmsyncResource) -> dg.MaterializeResult:
        with held_for_the_step(crmsync):
            summary = run_summary(crmsync, context.run.run_id, mapping.active_pairs())
            finish_run(crmsync.state_path, context.run.run_id, "succeeded", summary)
            with db.connect(crmsync.state_path) as con:
                purged = purge_older_than(con, retention_days())
        return dg.MaterializeResult(
            metadata={
                "api calls": summary["api_calls"],
                "summary": dg.MetadataValue.json(summary),
                "rows past retention purged": purged.total,
            }
        )

    return sync_summary


def run_summary(crmsync: CrmsyncResource, run_id: str, pair_names: Iterable[str]) -> dict[str, Any]:
    """The runs table's summary: the run's figures per pair and side (as `crmsync sync` prints them),
    its writes per operation, API calls and conflicts."""
    with db.connect(crmsync.state_path) as con:
        figures = [asdict(f) for f in run_figures(con, run_id, pair_names)]
        written = con.execute(
            """SELECT pair, target, operation, count(*) FILTER (WHERE succeeded), count(*) FILTER (WHERE NOT succeeded)
               FROM write_results WHERE run_id = ? GROUP BY ALL ORDER BY ALL""",
            [run_id],
        ).fetchall()
        calls = dict(
            con.execute(
                "SELECT crm, sum(calls) FROM api_calls WHERE run_id = ? GROUP BY crm", [run_id]
            ).fetchall()
        )
        conflicts = con.execute("SELECT count(*) FROM conflicts WHERE run_id = ?", [run_id]).fetchall()[0][0]
    return {
        "figures": figures,
        "writes": [
            {"pair": p, "target": t, "operation": o, "succeeded": ok, "failed": bad}
            for p, t, o, ok, bad in written
        ],
        "api_calls": {k: int(v) for k, v in calls.items()},
        "conflicts": conflicts,
    }


def build_definitions(mapping_path: str | None = None) -> dg.Definitions:
    resource = CrmsyncResource(mapping_file=mapping_path or default_mapping_path())
    try:
        mapping = load_mapping(resource.mapping_path)
    except (MappingError, FileNotFoundError):
        jobs = [
            dg.define_asset_job(name, selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor)
            for name in (SYNC_JOB, PLAN_JOB)
        ]
        return dg.Definitions(
            assets=[crmsync_mapping],
            asset_checks=[mapping_is_valid],
            jobs=jobs,
            resources={"crmsync": resource},
        )
    assets: list[Any] = [crmsync_mapping, crm_owners, summary_asset(mapping)]
    checks: list[Any] = [mapping_is_valid]
    for pair_name in mapping.active_pairs():
        for item in pair_assets(mapping, pair_name):
            (checks if isinstance(item, dg.AssetChecksDefinition) else assets).append(item)
    plan_job = dg.define_asset_job(
        PLAN_JOB,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups("write", "report"),
        executor_def=dg.in_process_executor,
        description="A dry run: extract, match and plan; nothing is written to either CRM. The plan is in plan_rows.",
    )
    job = dg.define_asset_job(
        SYNC_JOB,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,
        description="A full sync cycle: extract both CRMs, match, plan, write back.",
    )
    core = dg.Definitions(
        assets=assets, asset_checks=checks, jobs=[job, plan_job], resources={"crmsync": resource}
    )
    return dg.Definitions.merge(core, *(operation(mapping) for operation in OPERATIONS))
