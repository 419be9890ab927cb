"""CRM automation against the sync, end to end through both sandboxes (docs/sandbox.md, "Automation
rules"; docs/design.md, "No ping-pong"). Each rule of the sandbox rewrites a field after a save: a
Salesforce before-save flow or a HubSpot workflow formats a phone, upper-cases a value, copies a field
into another, sets a field when another changes. The sync settles on each (a later quiet sync writes
nothing: the canonical forms agree, or the rewrite is carried across in the sync that caused it). The hostile pair (preset
`case_flip`: Salesforce upper-cases LastName, HubSpot's workflow lower-cases it) is caught within three
cycles, the field is held for that link (no CRM write, checked by the records' own stamps), a review
item names the field, both values and the automation suspected, Sync Health counts it, and settling the
item resumes the field. The rules carried across once and the change sensor's test are `slow`
(`make test-slow`); the phones, the hostile pair and people editing back and forth run in `make test`."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors import change_probe
from crmsync_pipeline.health.queries import health_findings
from crmsync_pipeline.orchestration import triggers
from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A small world, and the shipped mapping with deals and tasks paused: every test here is about
    contacts, and each sync is then about half as long."""
    mapping = Path(default_mapping_path()).read_text()
    for pair in ("deals", "tasks"):
        mapping = mapping.replace(f"\n  {pair}:\n", f"\n  {pair}:\n    paused: true\n", 1)
    path = tmp_path_factory.mktemp("mapping") / "crmsync.yaml"
    path.write_text(mapping)
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_CONFIG", str(path))
    box = Sandbox(people=40, seed=23)
    yield box
    box.stop()
    mp.undo()


@pytest.fixture(scope="module")
def contacts(sandbox, sync, query):
    """Linked Contacts (not Leads), after a first sync with no automation on."""
    assert sync().success
    rows = query(
        """SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' AND salesforce_object = 'Contact'
           ORDER BY hubspot_id LIMIT 8"""
    )
    assert len(rows) == 8
    return rows


@pytest.fixture
def automation(sandbox):
    """Set rules on one CRM (`automation("salesforce", rule, ...)` or a preset name); cleared after."""
    used = []

    def switch_on(crm: str, *rules: dict | str) -> None:
        url = f"{getattr(sandbox, crm).url}/_sandbox/automation"
        for rule in rules:
            if isinstance(rule, str):
                requests.post(f"{url}/presets/{rule}", timeout=10).raise_for_status()
            else:
                requests.post(url, json=rule, timeout=10).raise_for_status()
        used.append(url)

    yield switch_on
    for url in used:
        requests.delete(url, timeout=10).raise_for_status()


def automation_runs(sandbox, crm: str) -> list[dict]:
    return requests.get(f"{getattr(sandbox, crm).url}/_sandbox/automation/runs", timeout=10).json()["runs"]


def stamps(sandbox, hubspot_id: str, salesforce_id: str) -> tuple:
    """The records' own modification stamps on both CRMs (each moves on any save)."""
    contact = requests.get(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}", headers=TOKEN, timeout=10
    ).json()
    record = requests.get(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/{salesforce_id}",
        headers=TOKEN,
        timeout=10,
    ).json()
    return contact["updatedAt"], record["SystemModstamp"], record["LastModifiedById"]


def writes_to(query, run_id: str, *record_ids: str) -> list[tuple]:
    return query(
        "SELECT target, field, after_value FROM audit_log WHERE run_id = ? AND list_contains(?, record_id) "
        "ORDER BY target, field",
        run_id,
        list(record_ids),
    )


def crmsync(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def settles(sync, query, sandbox, hubspot_id: str, salesforce_id: str, within: int = 2) -> int:
    """Syncs until one writes nothing to these records (at most `within` writing syncs before it); the
    quiet sync must leave both records' stamps as they were. Returns how many syncs wrote."""
    for writing in range(within + 1):
        before = stamps(sandbox, hubspot_id, salesforce_id)
        result = sync()
        assert result.success
        if not writes_to(query, result.run_id, hubspot_id, salesforce_id):
            assert stamps(sandbox, hubspot_id, salesforce_id) == before
            return writing
    pytest.fail(f"still writing {hubspot_id}/{salesforce_id} after {within + 1} syncs: a loop")


# ---- the benign rules: the sync settles --------------------------------------------------------------


def test_a_salesforce_flow_formatting_phones_is_in_sync_at_once(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[0]
    automation(
        "salesforce",
        {"name": "format_phone", "object": "Contact", "when_changed": "Phone", "action": "format_phone",
         "field": "Phone", "run_as": "integration_user"},
    )  # fmt: skip
    hubspot_edit(sandbox, "contacts", hubspot_id, phone="555.010.7788")
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Phone") == "(555) 010-7788"  # the flow's
    # the same number: the formatting is not a change, so HubSpot keeps the value as its user typed it
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=0) == 0
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "555.010.7788"


def test_a_hubspot_workflow_formatting_phones_is_in_sync_at_once(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[1]
    automation(
        "hubspot",
        {"name": "format_phone", "object": "contacts", "when_changed": "phone", "action": "format_phone",
         "field": "phone"},
    )  # fmt: skip
    salesforce_edit(sandbox, "Contact", salesforce_id, Phone="+1 555 010 9911")
    result = sync()
    assert result.success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "(555) 010-9911"  # the workflow's
    [run] = [r for r in automation_runs(sandbox, "hubspot") if str(r["id"]) == hubspot_id]
    assert run["value"] == "(555) 010-9911"
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=0) == 0
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Phone") == "+1 555 010 9911"


@pytest.mark.slow  # make test-slow: about a minute or two each
def test_an_upper_cased_value_is_carried_back_once(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[2]
    automation(
        "salesforce",
        {"name": "upper_first", "object": "Contact", "when_changed": "FirstName", "action": "upper_case",
         "field": "FirstName"},
    )  # fmt: skip
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Grace")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == "GRACE"
    # the flow's value is a change of Salesforce's: carried to HubSpot in the same sync (read back after
    # the update), so the next sync writes nothing
    assert hubspot_value(sandbox, "contacts", hubspot_id, "firstname") == "GRACE"
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=0) == 0
    assert not query(
        "SELECT item_id FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ?", hubspot_id
    )


@pytest.mark.slow  # make test-slow: about a minute or two each
def test_a_copied_field_is_carried_across_once(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[3]
    automation(  # a workflow copying the first name into the job title
        "hubspot",
        {"name": "copy_name", "object": "contacts", "when_changed": "firstname", "action": "copy",
         "from_field": "firstname", "field": "jobtitle"},
    )  # fmt: skip
    salesforce_edit(sandbox, "Contact", salesforce_id, FirstName="Katherine")
    assert sync().success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Katherine"
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Title") == "Katherine"  # in the same sync
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=0) == 0


@pytest.mark.slow  # make test-slow: about a minute or two each
def test_a_field_set_when_another_changes_is_carried_across_once(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[4]
    automation(  # an Automated Process flow: a second save, by another user, after crmsync's
        "salesforce",
        {"name": "title_set", "object": "Contact", "when_changed": "LastName", "action": "set",
         "field": "Title", "value": "Renamed", "run_as": "automated_process"},
    )  # fmt: skip
    hubspot_edit(sandbox, "contacts", hubspot_id, lastname="Hopper")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Title") == "Renamed"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Renamed"  # in the same sync
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=0) == 0
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "Hopper"


# ---- the hostile pair --------------------------------------------------------------------------------


def test_the_hostile_pair_is_held_reviewed_and_resumed(sandbox, sync, query, contacts, automation):
    hubspot_id, salesforce_id = contacts[5]
    automation("salesforce", "case_flip")
    automation("hubspot", "case_flip")
    hubspot_edit(sandbox, "contacts", hubspot_id, lastname="Lovelace")  # the workflow makes it "lovelace"
    writes, cycles = [], 0
    while not query(
        "SELECT 1 FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ? AND settled_at IS NULL",
        hubspot_id,
    ):
        cycles += 1
        assert cycles <= 3, f"no ping-pong caught after 3 cycles; writes: {writes}"
        result = sync()
        assert result.success
        writes += writes_to(query, result.run_id, hubspot_id, salesforce_id)
    # two writes went back and forth (in one sync: the second carries the flow's rewrite read back after
    # the first), the third was held
    assert sorted(writes) == [("hubspot", "lastname", "LOVELACE"), ("salesforce", "LastName", "lovelace")]
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "lovelace"
    assert salesforce_value(sandbox, "Contact", salesforce_id, "LastName") == "LOVELACE"

    [(item_id, detail)] = query(
        "SELECT item_id, detail FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ?", hubspot_id
    )
    listing = crmsync("review", "--list", "--kind", "ping_pong")
    assert item_id in listing and "lastname" in listing
    for named in ("'lovelace'", "'LOVELACE'", "integration user", "HubSpot workflow", "AUTOMATION_PLATFORM"):
        assert named in detail, named
    held = query(
        "SELECT count(*) FROM plan_rows WHERE hubspot_id = ? AND field = 'lastname' AND run_id = "
        "(SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1)",
        hubspot_id,
    )
    assert held == [(0,)]

    # held: later syncs write nothing to the field, and neither record is saved again
    flips = len(automation_runs(sandbox, "salesforce")) + len(automation_runs(sandbox, "hubspot"))
    before = stamps(sandbox, hubspot_id, salesforce_id)
    for _ in range(2):
        result = sync()
        assert result.success and not writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert stamps(sandbox, hubspot_id, salesforce_id) == before
    assert len(automation_runs(sandbox, "salesforce")) + len(automation_runs(sandbox, "hubspot")) == flips

    # Sync Health counts it
    findings = health_findings(Path(os.environ["CRMSYNC_STATE_DB"]), load_mapping(default_mapping_path()))
    ping_pong = findings["ping_pong"]
    assert ping_pong.severity == "WARN" and ping_pong.figures["fields held"] == 1
    assert ping_pong.records()[0]["field"] == "lastname"
    assert not [r for r in findings["drift"].records() if r["hubspot_id"] == hubspot_id]  # counted once

    # a person switches the HubSpot workflow off and resumes the field: it syncs again and settles
    requests.delete(f"{sandbox.hubspot.url}/_sandbox/automation", timeout=10).raise_for_status()
    assert "settled (resume)" in crmsync("review", "resolve", item_id, "--resume")
    assert settles(sync, query, sandbox, hubspot_id, salesforce_id, within=2) >= 1
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lastname") == "LOVELACE"
    assert salesforce_value(sandbox, "Contact", salesforce_id, "LastName") == "LOVELACE"
    assert not query("SELECT 1 FROM review_items WHERE kind = 'ping_pong' AND settled_at IS NULL")


def test_people_editing_back_and_forth_are_not_a_loop(sandbox, sync, query, contacts):
    """The same alternation as a loop, made by people: every edit is carried, nothing is held."""
    hubspot_id, salesforce_id = contacts[6]
    written = []
    for side, value in (("hubspot", "Curie"), ("salesforce", "Sklodowska"), ("hubspot", "Curie")):
        if side == "hubspot":
            hubspot_edit(sandbox, "contacts", hubspot_id, lastname=value)
        else:
            salesforce_edit(sandbox, "Contact", salesforce_id, LastName=value)
        result = sync()
        assert result.success
        written += writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert written == [
        ("salesforce", "LastName", "Curie"),
        ("hubspot", "lastname", "Sklodowska"),
        ("salesforce", "LastName", "Curie"),
    ]
    assert salesforce_value(sandbox, "Contact", salesforce_id, "LastName") == "Curie"
    assert not query("SELECT 1 FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ?", hubspot_id)


def automation_idle(sandbox) -> None:
    """Waits until no deferred automation (a workflow, an Automated Process save) is pending on either CRM."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = [
            requests.get(f"{crm.url}/_sandbox/automation", timeout=10).json()["pending"]
            for crm in (sandbox.hubspot, sandbox.salesforce)
        ]
        if not any(pending):
            return
        time.sleep(0.2)
    pytest.fail("automation still pending after 60 s")


@pytest.fixture
def slow_workflows(sandbox):
    """HubSpot workflows run 6 s after the save that enrols them, after crmsync's write step has ended,
    so the change sensor sees them as changes of their own (as on a real portal)."""
    url = f"{sandbox.hubspot.url}/_sandbox/settings"
    requests.post(url, json={"workflow_delay_s": 6}, timeout=10).raise_for_status()
    yield
    requests.post(url, json={"workflow_delay_s": 0}, timeout=10).raise_for_status()


@pytest.mark.slow  # make test-slow: about a minute or two each
def test_the_change_sensor_stops_launching_on_a_loops_echoes(
    sandbox, query, contacts, automation, slow_workflows, monkeypatch
):
    """The hostile pair with both halves visible to the change sensor (Salesforce's as the Automated
    Process user, HubSpot's workflow after the write step): every echo launches the next sync until the
    field is held, then the sensor goes quiet."""
    monkeypatch.setattr(change_probe, "CLOCK_SLACK", timedelta(0))  # the sandbox shares our clock
    hubspot_id, salesforce_id = contacts[7]
    automation("salesforce", "case_flip_automated_process")
    automation("hubspot", "case_flip")
    instance = dg.DagsterInstance.ephemeral()
    sensor = triggers.change_sensor(load_mapping(default_mapping_path()))
    job = build_definitions().resolve_job_def(SYNC_JOB)
    result = sensor(dg.build_sensor_context(instance=instance))
    cursor = result.cursor
    hubspot_edit(sandbox, "contacts", hubspot_id, lastname="Babbage")
    launched = []
    for _ in range(8):
        automation_idle(sandbox)
        result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        cursor = result.cursor or cursor
        if not result.run_requests:
            break
        [request] = result.run_requests
        run = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
        assert run.success
        launched.append(writes_to(query, run.run_id, hubspot_id, salesforce_id))
    else:
        pytest.fail(f"the sensor kept launching syncs on the loop's echoes: {launched}")
    assert len(launched) <= 3, launched  # two writes, then the run that held the field
    assert launched[-1] == []
    assert query(
        "SELECT detail ->> 'suspected' FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ?",
        hubspot_id,
    )[0][0].startswith("a Salesforce flow running as the Automated Process user")
