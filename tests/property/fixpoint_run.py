"""One example of the fixpoint property, end to end: the scenario put into the empty sandbox CRMs, a
fresh state file and mapping file, `sync` run twice in process (the Dagster job `crmsync sync` runs),
and what the second run did, read from the CRMs (modification stamps, records) and the sandbox's call
counters as well as from crmsync's own plan_rows."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from fixpoint_crms import CrmRecord, FixpointCrms, writes_between
from fixpoint_scenarios import Applied, Scenario, apply, make_edits
from hypothesis import event
from hypothesis.control import currently_in_test_context

from crmsync_pipeline.cli.run_commands import failure_messages
from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.setup.crm_fields import setup_fields

INSTANCE = dg.DagsterInstance.ephemeral()  # one per session: Dagster's own run storage, never read
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class SecondSync:
    """What the sync after the first one did, each from its own witness."""

    planned: list[tuple[Any, ...]]  # plan_rows of the run (crmsync's own account)
    writes: dict[str, int]  # write calls the sandbox counted, by CRM and route
    stamps_moved: list[tuple[CrmRecord, CrmRecord | None]]  # records whose CRM stamp moved (or that vanished)
    appeared: list[CrmRecord]  # records that exist only after the run
    failures: list[str]


@dataclass
class Outcome:
    applied: Applied
    first_failures: list[str]  # of the first sync, and of the sync after the edits
    first_writes: dict[str, int]  # write calls of the first sync, by CRM and route
    second: SecondSync
    duplicates: list[str]


def assert_fixpoint(outcome: Outcome) -> None:
    assert outcome.first_failures == [], "the first sync failed"
    second = outcome.second
    assert second.failures == [], "the second sync failed"
    assert second.planned == [], f"the second sync planned writes: {second.planned}"
    assert second.writes == {}, "the second sync called write endpoints"
    assert second.stamps_moved == [], "the second sync changed records (their CRM stamps moved)"
    assert second.appeared == [], "the second sync created records"
    assert outcome.duplicates == []


def check(scenario: Scenario, crms) -> None:  # type: ignore[no-untyped-def]
    outcome = run_example(scenario, crms)
    if currently_in_test_context():  # what the examples covered (pytest --hypothesis-show-statistics)
        _count(scenario, outcome)
    assert_fixpoint(outcome)


def _count(scenario: Scenario, outcome: Outcome) -> None:
    event(
        f"first sync wrote to {sorted({route.split(':')[0] for route in outcome.first_writes}) or 'neither'}"
    )
    event(f"people edited between syncs: {bool(scenario.edits)}")
    event(f"automation rules: {len(scenario.automation)}")


def run_example(scenario: Scenario, crms: FixpointCrms) -> Outcome:
    crms.reset()
    with _example_files() as (state, mapping_file):
        scenario.mapping.write(mapping_file)
        _setup(mapping_file)
        applied = apply(scenario, crms)
        people_before, calls_before = crms.people(), crms.calls()
        job = build_definitions(str(mapping_file)).resolve_job_def(SYNC_JOB)
        first = job.execute_in_process(instance=INSTANCE, raise_on_error=False, run_config=QUIET)
        first_failures, first_writes = _failures(first), writes_between(calls_before, crms.calls())
        duplicates = _duplicates(people_before, crms.people())
        if scenario.edits:  # people edit; the sync after their edits is the one the check follows
            make_edits(scenario.edits, crms)
            people_before = crms.people()
            edited = job.execute_in_process(instance=INSTANCE, raise_on_error=False, run_config=QUIET)
            first_failures += _failures(edited)
        after_first, calls = crms.people(), crms.calls()
        second = job.execute_in_process(instance=INSTANCE, raise_on_error=False, run_config=QUIET)
        after_second, calls_after = crms.people(), crms.calls()
        planned = _plan_rows(state, second.run_id)
    moved, appeared = _stamps(after_first, after_second)
    return Outcome(
        applied=applied,
        first_failures=first_failures,
        first_writes=first_writes,
        second=SecondSync(
            planned=planned,
            writes=writes_between(calls, calls_after),
            stamps_moved=moved,
            appeared=appeared,
            failures=_failures(second),
        ),
        duplicates=duplicates
        + _duplicates(people_before, after_first)
        + _duplicates(people_before, after_second),
    )


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    return failure_messages(result) or ([] if result.success else ["run failed"])


@contextmanager
def _example_files() -> Iterator[tuple[Path, Path]]:
    """A fresh state file and mapping file for one example, named by the environment as a user's
    shell would (`CRMSYNC_STATE_DB`, `CRMSYNC_CONFIG`)."""
    with tempfile.TemporaryDirectory(prefix="fixpoint-") as folder:
        state, mapping_file = Path(folder) / "crmsync.duckdb", Path(folder) / "crmsync.yaml"
        saved = {name: os.environ.get(name) for name in ("CRMSYNC_STATE_DB", "CRMSYNC_CONFIG")}
        os.environ["CRMSYNC_STATE_DB"], os.environ["CRMSYNC_CONFIG"] = str(state), str(mapping_file)
        try:
            yield state, mapping_file
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _setup(mapping_file: Path) -> None:
    """`crmsync setup`: the custom fields the mapping names (the sandbox reset keeps only metadata)."""
    settings, meter = ConnectionSettings.from_env(), CallMeter()
    report = setup_fields(
        load_mapping(mapping_file),
        HubSpotConnector(settings.hubspot, meter),
        SalesforceConnector(settings.salesforce, meter),
    )
    assert report.complete, report.for_an_admin


def _plan_rows(state: Path, run_id: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(state), read_only=True)
    try:
        return con.execute(
            "SELECT target, record_ref, field, old_value, new_value, reason FROM plan_rows WHERE run_id = ?",
            [run_id],
        ).fetchall()
    finally:
        con.close()


def _stamps(
    before: list[CrmRecord], after: list[CrmRecord]
) -> tuple[list[tuple[CrmRecord, CrmRecord | None]], list[CrmRecord]]:
    later = {(r.crm, r.id): r for r in after}
    earlier = {(r.crm, r.id) for r in before}
    moved = [(r, later.get((r.crm, r.id))) for r in before if later.get((r.crm, r.id)) != r]
    return moved, [r for r in after if (r.crm, r.id) not in earlier]


def _duplicates(before: list[CrmRecord], after: list[CrmRecord]) -> list[str]:
    """People a sync made more copies of than the CRMs held before it, per CRM: by email (a side holds at
    most one record per email it did not already hold several of) and, for records without email, by
    full name (at most one per record of that name either side held)."""
    found = []
    for crm in ("hubspot", "salesforce"):
        had_email = Counter(r.email for r in before if r.crm == crm and r.email and not r.gone)
        has_email = Counter(r.email for r in after if r.crm == crm and r.email and not r.gone)
        found += [
            f"{crm}: {n} records with email {e}" for e, n in has_email.items() if n > max(had_email[e], 1)
        ]
        had_name = Counter(r.name for r in before if not r.gone)
        has_name = Counter(
            r.name for r in after if r.crm == crm and not r.email and all(r.name) and not r.gone
        )
        found += [
            f"{crm}: {n} records named {' '.join(k)} without email"
            for k, n in has_name.items()
            if n > had_name[k]
        ]
    return found
