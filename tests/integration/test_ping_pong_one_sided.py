"""A one-sided automation loop, end to end through both sandboxes (docs/design.md, "No ping-pong"): a
field whose direction always sends one side's value (always_hubspot, always_salesforce) while the
other side's automation rewrites it after every save (a Salesforce before-save flow upper-casing Title,
a HubSpot workflow upper-casing firstname). Before, every sync wrote the field again, for ever. Now
the second write is held: no CRM save follows (the records' own stamps, the sandboxes' automation run
logs), a ping_pong review item names the field, the value crmsync writes, the value the automation
leaves and the flow or workflow, Sync Health counts it, and settling the item resumes the field
(`--resume`) or holds it for good (`--skip`). A long end-to-end module (a sync here takes about 15 s,
about 150 s for the first test on a loaded machine): `make test-slow` and CI run it; `make test` holds
the same two loops through tests/property/test_fixpoint_regressions.py (the always_* title tests)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.health.queries import health_findings
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow
TOKEN = {"Authorization": "Bearer sandbox-token"}
TITLE_UPPER = {"name": "title_upper", "object": "Contact", "when_changed": "Title", "action": "upper_case",
               "field": "Title", "run_as": "integration_user"}  # fmt: skip
FIRST_NAME_UPPER = {"name": "first_upper", "object": "contacts", "when_changed": "firstname",
                    "action": "upper_case", "field": "firstname"}  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """The shipped mapping with deals and tasks paused, jobtitle always_hubspot and firstname
    always_salesforce."""
    mapping = Path(default_mapping_path()).read_text()
    for pair in ("deals", "tasks"):
        mapping = mapping.replace(f"\n  {pair}:\n", f"\n  {pair}:\n    paused: true\n", 1)
    mapping, titles = re.subn(
        r"\{hubspot: jobtitle, salesforce: Title, direction: \w+",
        "{hubspot: jobtitle, salesforce: Title, direction: always_hubspot",
        mapping,
    )
    mapping, names = re.subn(
        r"\{hubspot: firstname, salesforce: FirstName, direction: \w+",
        "{hubspot: firstname, salesforce: FirstName, direction: always_salesforce",
        mapping,
    )
    assert titles == names == 1
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
    """Linked Contacts, after a first sync with no automation on."""
    assert sync().success
    rows = query(
        """SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' AND salesforce_object = 'Contact'
           ORDER BY hubspot_id LIMIT 4"""
    )
    assert len(rows) == 4
    return rows


@pytest.fixture
def automation(sandbox):
    """`automation(crm, rule)`: a rule on one CRM, cleared after the test."""
    used = []

    def switch_on(crm: str, rule: dict) -> None:
        url = f"{getattr(sandbox, crm).url}/_sandbox/automation"
        requests.post(url, json=rule, timeout=10).raise_for_status()
        used.append(url)

    yield switch_on
    for url in used:
        requests.delete(url, timeout=10).raise_for_status()


def stamps(sandbox, hubspot_id: str, salesforce_id: str) -> tuple:
    contact = requests.get(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}", headers=TOKEN, timeout=10
    ).json()
    record = requests.get(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/{salesforce_id}",
        headers=TOKEN,
        timeout=10,
    ).json()
    return contact["updatedAt"], record["SystemModstamp"]


def automation_runs(sandbox, crm: str) -> int:
    return len(
        requests.get(f"{getattr(sandbox, crm).url}/_sandbox/automation/runs", timeout=10).json()["runs"]
    )


def writes_to(query, run_id: str, *record_ids: str) -> list[tuple]:
    return query(
        "SELECT target, field, after_value FROM audit_log WHERE run_id = ? AND list_contains(?, record_id) "
        "AND outcome = 'confirmed' ORDER BY target, field",
        run_id,
        list(record_ids),
    )


def crmsync(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def open_item(query, hubspot_id: str, field: str) -> tuple[str, dict] | None:
    import json

    rows = query(
        "SELECT item_id, detail FROM review_items WHERE kind = 'ping_pong' AND hubspot_id = ? "
        "AND detail ->> 'field' = ? AND settled_at IS NULL",
        hubspot_id,
        field,
    )
    return (rows[0][0], json.loads(rows[0][1])) if rows else None


def held_after_one_write(sync, query, sandbox, hubspot_id: str, salesforce_id: str) -> list[tuple]:
    """Syncs until the field is held; returns crmsync's writes to the two records meanwhile."""
    written = []
    for _ in range(3):
        result = sync()
        assert result.success
        written += writes_to(query, result.run_id, hubspot_id, salesforce_id)
        if open_item(query, hubspot_id, "jobtitle") or open_item(query, hubspot_id, "firstname"):
            return written
    pytest.fail(f"no one-sided loop caught after three syncs; writes: {written}")


def test_a_title_a_salesforce_flow_upper_cases_under_always_hubspot_is_held(
    sandbox, sync, query, contacts, automation
):
    hubspot_id, salesforce_id = contacts[0]
    automation("salesforce", TITLE_UPPER)
    hubspot_edit(sandbox, "contacts", hubspot_id, jobtitle="head of revenue ops")
    written = held_after_one_write(sync, query, sandbox, hubspot_id, salesforce_id)
    assert written == [("salesforce", "Title", "head of revenue ops")]  # one write, the second held
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Title") == "HEAD OF REVENUE OPS"

    item_id, detail = open_item(query, hubspot_id, "jobtitle")
    assert (detail["loop"], detail["target"]) == ("one_sided", "salesforce")
    assert (detail["crmsync_writes"], detail["automation_leaves"]) == (
        "head of revenue ops",
        "HEAD OF REVENUE OPS",
    )
    assert "Salesforce flow or trigger running as the integration user" in detail["suspected"]
    assert "Contact.Title" in detail["suspected"]
    listing = crmsync("review", "--list", "--kind", "ping_pong")
    assert item_id in listing and "jobtitle" in listing

    # held: a later sync writes nothing, neither record is saved, the flow does not run again
    runs, before = automation_runs(sandbox, "salesforce"), stamps(sandbox, hubspot_id, salesforce_id)
    result = sync()
    assert result.success and not writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert stamps(sandbox, hubspot_id, salesforce_id) == before
    assert automation_runs(sandbox, "salesforce") == runs

    # Sync Health counts it
    findings = health_findings(
        Path(os.environ["CRMSYNC_STATE_DB"]), load_mapping(os.environ["CRMSYNC_CONFIG"])
    )
    held = [r for r in findings["ping_pong"].records() if r["hubspot_id"] == hubspot_id]
    assert findings["ping_pong"].severity == "WARN" and [r["field"] for r in held] == ["jobtitle"]

    # the admin switches the flow off and resumes the field: HubSpot's value goes across once, and stays
    requests.delete(f"{sandbox.salesforce.url}/_sandbox/automation", timeout=10).raise_for_status()
    assert "settled (resume)" in crmsync("review", "resolve", item_id, "--resume")
    result = sync()
    assert result.success
    assert writes_to(query, result.run_id, hubspot_id, salesforce_id) == [
        ("salesforce", "Title", "head of revenue ops")
    ]
    assert salesforce_value(sandbox, "Contact", salesforce_id, "Title") == "head of revenue ops"
    result = sync()
    assert result.success and not writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert open_item(query, hubspot_id, "jobtitle") is None


def test_a_first_name_a_hubspot_workflow_upper_cases_under_always_salesforce_is_held(
    sandbox, sync, query, contacts, automation
):
    hubspot_id, salesforce_id = contacts[1]
    automation("hubspot", FIRST_NAME_UPPER)
    salesforce_edit(sandbox, "Contact", salesforce_id, FirstName="Grace")
    written = held_after_one_write(sync, query, sandbox, hubspot_id, salesforce_id)
    assert written == [("hubspot", "firstname", "Grace")]
    assert hubspot_value(sandbox, "contacts", hubspot_id, "firstname") == "GRACE"

    item_id, detail = open_item(query, hubspot_id, "firstname")
    assert (detail["target"], detail["crmsync_writes"], detail["automation_leaves"]) == (
        "hubspot",
        "Grace",
        "GRACE",
    )
    assert "HubSpot workflow (sourceType AUTOMATION_PLATFORM" in detail["suspected"]

    # held for good: the field is never written again, even as other syncs run
    assert "skip" in crmsync("review", "resolve", item_id, "--skip")
    runs, before = automation_runs(sandbox, "hubspot"), stamps(sandbox, hubspot_id, salesforce_id)
    for _ in range(2):
        result = sync()
        assert result.success and not writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert stamps(sandbox, hubspot_id, salesforce_id) == before
    assert automation_runs(sandbox, "hubspot") == runs


def test_a_person_rewriting_the_field_is_synced_every_time(sandbox, sync, query, contacts):
    """The same pattern made by a person in Salesforce: HubSpot's value goes across each time, no hold."""
    hubspot_id, salesforce_id = contacts[2]
    hubspot_edit(sandbox, "contacts", hubspot_id, jobtitle="founder")
    written = []
    for _ in range(2):
        result = sync()
        assert result.success
        written += writes_to(query, result.run_id, hubspot_id, salesforce_id)
        salesforce_edit(sandbox, "Contact", salesforce_id, Title="FOUNDER")
    result = sync()
    assert result.success
    written += writes_to(query, result.run_id, hubspot_id, salesforce_id)
    assert written == [("salesforce", "Title", "founder")] * 3
    assert open_item(query, hubspot_id, "jobtitle") is None
