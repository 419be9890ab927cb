"""Erase means erased, down to the bytes: after a person is erased (a GDPR delete made in HubSpot, seen by
the next syncs; or `crmsync forget`), their email, names and phone are in no byte of the state file, of
its published copy, or of anything under DAGSTER_HOME (the runs' event logs and asset metadata, the
health report, captured logs). SQL alone cannot tell: DuckDB leaves deleted rows in freed blocks, and
Dagster keeps every materialization's metadata for good."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.orchestration.health import published_path
from crmsync_pipeline.state.db import PROJECT_ROOT

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=21)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def home(crm_env, tmp_path_factory):
    """A Dagster instance of its own (sqlite run and event storage under it), with the state file
    inside it as by default, so every byte crmsync and Dagster keep is under one directory."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(home))
    mp.setenv("CRMSYNC_STATE_DB", str(home / "crmsync.duckdb"))
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for GDPR deletes every cycle
    yield home
    mp.undo()


def _person(tag: str) -> dict[str, str]:
    """Values found nowhere else (the seed's names are ordinary ones)."""
    return {
        "email": f"ottoline.{tag}@erasure-bytes.example",
        "firstname": f"Ottoline{tag.capitalize()}",
        "lastname": f"Vexworth{tag.capitalize()}",
        "phone": f"+1 415 {PHONES[tag]}",
        "lifecyclestage": "customer",
    }


PHONES = {"hubspot": "867 5309", "forget": "867 2461", "again": "867 3873"}
NEW_PHONES = {"hubspot": "+1 415 867 5310", "forget": "+1 415 867 2462", "again": "+1 415 867 3874"}


def _needles(person: dict[str, str], new_phone: str) -> list[bytes]:
    """The email, both names, and both phones' last seven digits with and without their space."""
    phones = [p[-8:] for p in (person["phone"], new_phone)]
    values = [person["email"], person["firstname"], person["lastname"], *phones]
    return [v.lower().encode() for v in values + [p.replace(" ", "") for p in phones]]


def _holding(root: Path, needles: list[bytes]) -> dict[str, list[str]]:
    """File (relative to root) -> the needles its raw bytes hold, case-insensitively (also in UTF-16,
    as some SQLite text may be)."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits = [n.decode() for n in needles if n in data or n.decode().encode("utf-16-le") in data]
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def _sync() -> None:
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 0, result.output


def _create_in_hubspot(sandbox, person: dict[str, str]) -> str:
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        json={"properties": person},
        timeout=10,
    )
    created.raise_for_status()
    return created.json()["id"]


def _edit_phone(sandbox, hubspot_id: str, phone: str) -> None:
    """A change the next sync plans (and previews in the plan asset's metadata) with old and new values."""
    requests.patch(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}",
        headers=TOKEN,
        json={"properties": {"phone": phone}},
        timeout=10,
    ).raise_for_status()


def test_a_gdpr_delete_in_hubspot_leaves_no_byte_of_the_person(sandbox, home):
    person = _person("hubspot")
    hubspot_id = _create_in_hubspot(sandbox, person)
    _sync()  # created in Salesforce, linked; the look for GDPR deletes starts its interval
    _edit_phone(sandbox, hubspot_id, NEW_PHONES["hubspot"])
    _sync()
    needles = _needles(person, NEW_PHONES["hubspot"])
    state = Path(os.environ["CRMSYNC_STATE_DB"])
    assert _holding(state.parent, needles).get(state.name), "the search finds the person while synced"

    requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/gdpr-delete",
        headers=TOKEN,
        json={"objectId": hubspot_id},
        timeout=10,
    ).raise_for_status()
    _sync()  # sees the GDPR delete, erases the Salesforce twin and the state, rewrites the file
    _sync()  # and nothing comes back
    assert published_path(state).exists()
    assert _holding(home, needles) == {}


def test_forget_leaves_no_byte_of_the_person(sandbox, home):
    person = _person("forget")
    hubspot_id = _create_in_hubspot(sandbox, person)
    _sync()
    _edit_phone(sandbox, hubspot_id, NEW_PHONES["forget"])
    _sync()
    result = CliRunner().invoke(cli, ["forget", person["email"], "--yes"])
    assert result.exit_code == 0, result.output
    assert "gdpr_deleted" in result.output
    state = Path(os.environ["CRMSYNC_STATE_DB"])
    assert published_path(state).exists()
    assert _holding(home, _needles(person, NEW_PHONES["forget"])) == {}


def test_the_syncs_after_forget_bring_no_byte_back(sandbox, home):
    """Without the Bulk API hard delete (the default), the erased person's Salesforce record goes to the
    recycle bin, where queryAll still answers it, values and all, to the next sync's incremental read
    (seen in the seed-7 soak). An erased id's row must never enter the mirror again."""
    person = _person("again")
    hubspot_id = _create_in_hubspot(sandbox, person)
    _sync()
    _edit_phone(sandbox, hubspot_id, NEW_PHONES["again"])
    _sync()
    result = CliRunner().invoke(cli, ["forget", person["email"], "--yes"])
    assert result.exit_code == 0, result.output
    for _ in range(2):
        _sync()
    assert _holding(home, _needles(person, NEW_PHONES["again"])) == {}
