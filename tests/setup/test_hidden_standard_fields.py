"""`crmsync check` and a STANDARD field a profile hides from the integration user (Contact.Title here): the
field exists (the Tooling API's FieldDefinition lists it) but describe leaves it out, so the finding is a
field-level security grant, never "Salesforce Contact has no field 'Title'" (which would send an admin
looking for a field to create). Driven through the CLI against both sandbox CRMs over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from crmsync_pipeline.cli.main import cli
from tests.integration.sandboxes import Sandbox

SHIPPED = Path(__file__).parents[2] / "crmsync.yaml"
TOKEN = {"Authorization": "Bearer sandbox-token"}
TITLE_ENTRY = "(jobtitle <-> Title)"


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=23)
    yield box
    box.stop()


@pytest.fixture
def env(sandbox, tmp_path, monkeypatch):
    mapping = tmp_path / "crmsync.yaml"
    mapping.write_text(SHIPPED.read_text())
    monkeypatch.setenv("CRMSYNC_CONFIG", str(mapping))
    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "crmsync.duckdb"))
    monkeypatch.setenv("CRMSYNC_SANDBOX_HUBSPOT_URL", sandbox.hubspot.url)
    monkeypatch.setenv("CRMSYNC_SANDBOX_SALESFORCE_URL", sandbox.salesforce.url)
    for name in ("HUBSPOT_ACCESS_TOKEN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return mapping


def settings(sandbox, **changes: object) -> None:
    requests.post(f"{sandbox.salesforce.url}/_sandbox/settings", json=changes, timeout=10).raise_for_status()


def check_lines(needle: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check"], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, [line for line in result.output.splitlines() if needle in line]


def test_a_hidden_standard_field_is_named_as_a_grant_not_as_missing(sandbox, env):
    assert CliRunner().invoke(cli, ["setup"]).exit_code == 0  # the custom fields exist and are granted
    settings(sandbox, profile_hidden_fields={"Contact": ["Title"]})
    try:
        # the integration user's own view: Title is not there for it
        answer = requests.get(f"{sandbox.salesforce.url}/services/data/v59.0/query",
                              params={"q": "SELECT Title FROM Contact"}, headers=TOKEN, timeout=10)  # fmt: skip
        assert answer.json()[0]["errorCode"] == "INVALID_FIELD"
        code, lines = check_lines("Title")
    finally:
        settings(sandbox, profile_hidden_fields={})
    assert code == 1
    assert [line for line in lines if "has no field" in line] == []
    hidden = [line for line in lines if "Salesforce Contact.Title is not visible to the integration user: "
              "grant field-level security" in line]  # fmt: skip
    assert len(hidden) == 1 and TITLE_ENTRY in hidden[0], lines
    assert "Read, and Edit where crmsync writes it" in hidden[0] and "INVALID_FIELD" in hidden[0]

    code, lines = check_lines("Title")  # granted again: no finding about it at all
    assert lines == [] and code == 0


def test_a_standard_field_that_does_not_exist_is_still_missing(sandbox, env, tmp_path):
    env.write_text(env.read_text().replace("salesforce: Title,", "salesforce: Titel,", 1))
    code, lines = check_lines("Titel")
    assert code == 1
    assert any("Salesforce Contact has no field 'Titel'" in line for line in lines), lines
    assert not any("not visible" in line for line in lines)
