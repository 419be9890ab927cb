"""`crmsync fields` shows both sandboxes' fields for a pair with what is mapped and what could be;
`crmsync check` names what the tokens and the integration user may not do, and what to grant."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.config import parse_mapping
from crmsync_pipeline.setup.access_check import salesforce_rights
from tests.integration.conftest import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=10, seed=3)
    yield box
    box.stop()


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "400"})


def section(output: str, title: str, next_title: str) -> list[str]:
    return output.split(title, 1)[1].split(next_title, 1)[0].splitlines()


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("│")[1:-1]]


@contextmanager
def admin(url: str, change: dict, undo: dict, route: str = "settings"):  # type: ignore[no-untyped-def]
    requests.post(f"{url}/_sandbox/{route}", json=change, timeout=10).raise_for_status()
    try:
        yield
    finally:
        if route == "faults":
            requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()
        else:
            requests.post(f"{url}/_sandbox/{route}", json=undo, timeout=10).raise_for_status()


def test_fields_shows_what_is_mapped_and_suggests_lookalikes(crm_env):
    result = run("fields", "contacts")
    assert result.exit_code == 0, result.output
    mapped = [cells(line) for line in section(result.output, "Mapped", "Suggested") if "│" in line]
    assert ["email", "string/text", "Lead.Email", "email(80)", "yes", "two_way"] in mapped
    assert ["hs_lead_status", "enumeration/radio", "Lead.Status", "picklist",
            "yes, values must match or use a value map", "prefer_hubspot"] in mapped  # fmt: skip
    suggested = {
        (row[0], row[2]): row
        for row in (cells(line) for line in section(result.output, "Suggested", "Unmapped HubSpot"))
        if row
    }
    assert suggested[("city", "Lead.City")][5] == "two_way"
    assert ("city", "Contact.MailingCity") in suggested
    assert ("website", "Lead.Website") in suggested
    assert not any(hubspot in ("email", "phone", "firstname") for hubspot, _ in suggested)  # mapped already
    unmapped = "\n".join(section(result.output, "Unmapped Salesforce fields", "\0"))
    assert "Contact.AccountId" in unmapped and "association to companies" in unmapped


def test_fields_takes_an_sobject_and_refuses_an_unknown_name(crm_env):
    result = run("fields", "Opportunity", "--no-unmapped")
    assert result.exit_code == 0 and "pair deals" in result.output
    assert "Unmapped" not in result.output
    unknown = run("fields", "tickets")
    assert unknown.exit_code == 2 and "pairs: companies, contacts, deals, tasks" in unknown.output


def test_check_passes_when_both_sides_grant_everything(crm_env):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "both CRMs accept crmsync's access" in result.output


def test_check_names_a_read_only_field_and_a_missing_object_permission(sandbox, crm_env):
    change = {
        "profile_read_only_fields": {"Lead": ["Phone"]},
        "profile_denied_object_permissions": {"Account": ["create"]},
    }
    undo = {"profile_read_only_fields": {}, "profile_denied_object_permissions": {}}
    with admin(sandbox.salesforce.url, change, undo):
        result = run("check")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("problem")]
    assert len(problems) == 2, result.output
    assert any(
        "objects.contacts.fields[4] (phone <-> Phone): Salesforce Lead.Phone is read-only" in p
        and "grant Edit access to the field" in p
        for p in problems
    )
    assert any("may not create Account records (INSUFFICIENT_ACCESS_OR_READONLY)" in p for p in problems)
    assert run("check").exit_code == 0  # granted again: the describe is read afresh, not from the cache


def test_check_names_a_hubspot_object_the_token_may_not_read(sandbox, crm_env):
    faults = {"error_rates": {"403": 1.0}, "path_contains": "/crm/v3/objects/deals"}
    with admin(sandbox.hubspot.url, faults, {}, route="faults"):
        result = run("check")
    assert result.exit_code == 1
    assert "objects.deals: the HubSpot token may not read deals" in result.output
    assert "crm.objects.deals.read" in result.output


def test_check_says_when_a_token_is_refused(sandbox, crm_env):
    with admin(sandbox.hubspot.url, {"access_tokens": ["another"]}, {"access_tokens": ["sandbox-token"]}):
        result = run("check")
    assert result.exit_code == 1
    assert "HubSpot refused the access token (INVALID_AUTHENTICATION)" in result.output
    assert "Traceback" not in result.output


def test_a_formula_field_that_crmsync_would_write_is_named_with_the_direction_to_use():
    mapping = parse_mapping((Path(__file__).parents[2] / "crmsync.yaml").read_text())
    describe = {
        "queryable": True,
        "createable": True,
        "updateable": True,
        "fields": [
            {"name": "Name", "updateable": True, "createable": True},
            {"name": "Website", "updateable": False, "createable": False, "calculated": True},
        ],
    }
    (finding,) = salesforce_rights("companies", mapping.pair("companies"), "Account", describe)
    assert finding.startswith("objects.companies.fields[1] (domain <-> Website): Salesforce Account.Website")
    assert "formula field" in finding and "always_salesforce" in finding
