"""Ready for a real org (issue 17): `crmsync setup` grants field-level security on the fields it creates
(or says what an admin must grant), `crmsync check` finds hidden fields, unreadable objects and active
assignment rules and runs the first-contact checklist, and writes send `Sforce-Auto-Assign: FALSE` unless
the mapping lets the org's rules run. Oracles read the sandbox CRMs through their own APIs."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.sandbox.salesforce.org_data import add_user
from tests.integration.conftest import run_sync
from tests.integration.crm_actions import hubspot_value

SHIPPED = Path(__file__).parents[2] / "crmsync.yaml"
TOKEN = {"Authorization": "Bearer sandbox-token"}
LIFECYCLE = "HubSpot_Lifecycle_Stage__c"  # the shipped mapping's custom field on Contact and Lead
INCLUDED_STAGES = {"marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=17)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def state_file(tmp_path_factory) -> Path:
    # one state file for the module's sandbox: a sync links records, and a new state file next to linked
    # records is (rightly) refused as a lost state
    return tmp_path_factory.mktemp("orgready") / "crmsync.duckdb"


@pytest.fixture
def env(sandbox, state_file, tmp_path, monkeypatch):
    """crmsync pointed at the module's sandbox and state file, with a copy of the shipped mapping."""
    mapping = tmp_path / "crmsync.yaml"
    mapping.write_text(SHIPPED.read_text())
    monkeypatch.setenv("CRMSYNC_CONFIG", str(mapping))
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(state_file))
    monkeypatch.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", sandbox.hubspot.url)
    monkeypatch.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", sandbox.salesforce.url)
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return mapping


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "400"})


def settings(sandbox, **changes: object) -> None:
    requests.post(f"{sandbox.salesforce.url}/_sandbox/settings", json=changes, timeout=10).raise_for_status()


def soql(sandbox, text: str) -> requests.Response:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/query"
    return requests.get(url, params={"q": text}, headers=TOKEN, timeout=10)


def records(sandbox, text: str) -> list[dict]:
    answer = soql(sandbox, text)
    assert answer.status_code == 200, answer.text
    return answer.json()["records"]


def test_setup_refused_says_what_to_grant_then_grants_when_allowed(sandbox, env):
    settings(sandbox, can_manage_permissions=False)
    try:
        refused = run("setup")
        assert refused.exit_code == 1, refused.output
        assert "an admin must act" in refused.output
        assert (
            "Salesforce field-level security: crmsync may not grant itself access (INSUFFICIENT_ACCESS_OR_READONLY)"
            in refused.output
        )
        assert f"Read and Edit on Contact.{LIFECYCLE}, Lead.{LIFECYCLE}" in refused.output
        # the fields exist (the Tooling API lists them) but the integration user cannot see them
        assert soql(sandbox, f"SELECT {LIFECYCLE} FROM Contact").json()[0]["errorCode"] == "INVALID_FIELD"
        check = run("check")
        assert check.exit_code == 1
        hidden = [line for line in check.output.splitlines() if "cannot see it" in line]
        assert len(hidden) == 2, check.output  # Contact and Lead
        assert f"Salesforce Contact.{LIFECYCLE} exists but the integration user cannot see it" in check.output
        assert "has no field" not in check.output  # named as a grant, not as a field to create
    finally:
        settings(sandbox, can_manage_permissions=True)

    granted = run("setup")
    assert granted.exit_code == 0, granted.output
    assert f"granted  Salesforce Contact.{LIFECYCLE}: Read/Edit" in granted.output
    assert "created" not in granted.output  # the hidden fields were found, not created twice
    pset = records(sandbox, "SELECT Id, Label FROM PermissionSet WHERE Name = 'CrmSync_Integration'")
    assert [p["Label"] for p in pset] == ["CrmSync Integration"]
    perms = records(sandbox, "SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
                             f"WHERE ParentId = '{pset[0]['Id']}' ORDER BY Field")  # fmt: skip
    assert [(p["Field"], p["PermissionsRead"], p["PermissionsEdit"]) for p in perms] == [
        (f"Contact.{LIFECYCLE}", True, True), (f"Lead.{LIFECYCLE}", True, True)]  # fmt: skip
    user = sandbox.salesforce.emulator.api_user_id
    assigned = records(
        sandbox, f"SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSetId = '{pset[0]['Id']}'"
    )
    assert [a["AssigneeId"] for a in assigned] == [user]
    again = run("setup")  # nothing left to grant: no second permission set, no duplicate rows
    assert again.exit_code == 0 and "granted" not in again.output
    assert len(records(sandbox, "SELECT Id FROM FieldPermissions")) == 2

    first = run_sync()
    assert first.success
    linked = records(
        sandbox, f"SELECT {LIFECYCLE}, CrmSync_HubSpot_Id__c FROM Contact WHERE CrmSync_HubSpot_Id__c != null"
    )
    in_hubspot = {r["CrmSync_HubSpot_Id__c"]: hubspot_value(sandbox, "contacts", r["CrmSync_HubSpot_Id__c"], "lifecyclestage")
                  for r in linked}  # fmt: skip
    # HubSpot records the mapping's inclusion rule sends (their lifecycle stage is one of these)
    sent = [r for r in linked if in_hubspot[r["CrmSync_HubSpot_Id__c"]] in INCLUDED_STAGES]
    assert len(sent) >= 5
    mismatched = [(r[LIFECYCLE], in_hubspot[r["CrmSync_HubSpot_Id__c"]]) for r in sent
                  if r[LIFECYCLE] != in_hubspot[r["CrmSync_HubSpot_Id__c"]]]  # fmt: skip
    assert not mismatched  # the sync wrote the field it was granted
    check = run("check")
    assert check.exit_code == 0, check.output


def test_check_names_the_read_permission_for_an_object_the_user_cannot_read(sandbox, env):
    settings(sandbox, profile_denied_object_permissions={"Lead": ["read"]})
    try:
        result = run("check")
    finally:
        settings(sandbox, profile_denied_object_permissions={})
    assert result.exit_code == 1
    assert (
        "objects.contacts: Salesforce does not show Lead to the integration user (NOT_FOUND): an admin must grant "
        "the 'Read' object permission on Lead" in result.output
    )
    assert "Traceback" not in result.output


def test_first_contact_checklist_groups_limits_cost_and_org_rules(sandbox, env):
    assert run("setup").exit_code == 0
    settings(sandbox, assignment_rules=[{"name": "Lead Routing", "assign_to": "amorg"}])
    try:
        result = run("check")
    finally:
        settings(sandbox, assignment_rules=[])
    assert result.exit_code == 0, result.output
    checklist = result.output.split("first-contact checklist:", 1)[1]
    groups = [
        line.strip()
        for line in checklist.splitlines()
        if line.startswith("  ") and not line.startswith("    ")
    ]
    assert groups == ["API limits", "First sync", "HubSpot token", "Salesforce automation"]
    assert "the private app has every scope the mapping needs" in checklist
    maximum = salesforce_limits(sandbox)["DailyApiRequests"]["Max"]
    assert f"of {maximum:,} API calls left today" in checklist
    assert "HubSpot: " in checklist and "API calls left today" in checklist
    synced = ("Account", "Contact", "Lead", "Opportunity", "Task")  # the shipped mapping's sObjects
    total = sum(soql(sandbox, f"SELECT COUNT() FROM {s}").json()["totalSize"] for s in synced)
    assert f"{total:,} Salesforce records" in checklist
    assert (
        "Lead assignment rule 'Lead Routing' is active: crmsync sends Sforce-Auto-Assign: FALSE" in checklist
    )
    assert "Lead duplicate rule 'Standard_Lead_Duplicate_Rule' is active" in checklist
    assert "Phone number must have at least 7 characters." in checklist and "Lead.Phone" in checklist


def test_a_missing_hubspot_write_scope_is_named_before_the_first_write(sandbox, env):
    scopes = requests.post(f"{sandbox.hubspot.url}/oauth/v2/private-apps/get/access-token-info",
                           json={"tokenKey": "sandbox-token"}, headers=TOKEN, timeout=10).json()["scopes"]  # fmt: skip
    url = f"{sandbox.hubspot.url}/_sandbox/settings"
    requests.post(
        url, json={"token_scopes": [s for s in scopes if s != "crm.objects.deals.write"]}, timeout=10
    )
    try:
        result = run("check")
    finally:
        requests.post(url, json={"token_scopes": None}, timeout=10).raise_for_status()
    assert result.exit_code == 1  # reads of deals still work: only the introspection can tell
    assert "problem the private app lacks crm.objects.deals.write" in " ".join(result.output.split())


def test_a_first_sync_larger_than_the_calls_left_today_is_a_problem(sandbox, env):
    assert run("setup").exit_code == 0
    before = sandbox.calls()["salesforce"]
    assert run("check").exit_code == 0
    check_cost = sandbox.calls()["salesforce"] - before  # what one check costs in Salesforce calls
    used = 100_000 - salesforce_limits(sandbox)["DailyApiRequests"]["Remaining"]
    # enough for the check itself, but /limits then shows only the few calls the check makes after it
    settings(sandbox, daily_api_limit=used + check_cost + 2)
    try:
        result = run("check")
    finally:
        settings(sandbox, daily_api_limit=100_000)
    assert result.exit_code == 1, result.output
    line = next(line for line in result.output.splitlines() if "are left today" in line)
    assert "Salesforce: the first sync may need" in line and "CRMSYNC_SALESFORCE_DAILY_CAP" in line


def salesforce_limits(sandbox) -> dict:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/limits/"
    return requests.get(url, headers=TOKEN, timeout=10).json()


def test_writes_keep_their_owner_unless_the_mapping_lets_assignment_rules_run(sandbox, env):
    router = sandbox.salesforce.call(
        lambda: add_user(sandbox.salesforce.emulator.records, "Lead", "Router", "router@sandbox.crmsync.dev")
    )["Id"]
    settings(sandbox, assignment_rules=[{"name": "Lead Routing", "assign_to": router}])
    try:
        assert run("setup").exit_code == 0
        before = {r["Id"] for r in records(sandbox, "SELECT Id FROM Lead")}
        new_person(sandbox, "rules-off")
        assert run_sync().success
        created = records(
            sandbox, "SELECT Id, OwnerId, Email FROM Lead WHERE Email = 'rules-off@people.example.org'"
        )
        assert len(created) == 1 and created[0]["Id"] not in before
        assert created[0]["OwnerId"] != router  # the rule did not run on crmsync's create

        env.write_text(env.read_text() + "\nsalesforce:\n  assignment_rules: true\n")
        new_person(sandbox, "rules-on")
        assert run_sync().success
        routed = records(sandbox, "SELECT Id, OwnerId FROM Lead WHERE Email = 'rules-on@people.example.org'")
        assert [r["OwnerId"] for r in routed] == [router]  # the mapping let the org route it
        check = run("check")
        assert "runs on crmsync's creates and updates (salesforce.assignment_rules: true)" in check.output
    finally:
        settings(sandbox, assignment_rules=[])


def new_person(sandbox, name: str) -> None:
    """A HubSpot contact with no company, so crmsync creates it in Salesforce as a Lead."""
    properties = {"email": f"{name}@people.example.org", "firstname": "Org", "lastname": name.title(),
                  "lifecyclestage": "salesqualifiedlead", "company": "Ready Co"}  # fmt: skip
    answer = requests.post(f"{sandbox.hubspot.url}/crm/v3/objects/contacts", json={"properties": properties},
                           headers=TOKEN, timeout=10)  # fmt: skip
    assert answer.status_code == 201, answer.text
