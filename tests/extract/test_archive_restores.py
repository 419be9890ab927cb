"""HubSpot's recycle bin through the archive check (extract/archives.py, extract/hubspot.py): a first
load keeps the archived records as archived rows; a record restored with its modification time unmoved (HubSpot documents nothing
either way, the sandbox's default) is found by the check and is live again, with its id among those whose
associations are read; a check with nothing restored costs only the listing."""

from __future__ import annotations

import pytest
import requests

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.hubspot import extract_hubspot
from tests.conftest import ExtractSandboxes

PROPERTIES = ["email", "firstname", "lastname"]
TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def boxes():
    b = ExtractSandboxes(people=40, seed=4)
    yield b
    b.stop()


@pytest.fixture(autouse=True)
def every_cycle(monkeypatch):
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")


def contact_ids(boxes) -> list[str]:
    answer = requests.get(f"{boxes.hubspot.url}/crm/v3/objects/contacts", headers=TOKEN, params={"limit": 5})
    return [str(r["id"]) for r in answer.json()["results"]]


def extract(boxes, state, run_id: str) -> tuple[list[str], int]:
    meter = CallMeter()
    hubspot, _ = boxes.connectors(state, meter)
    # include_archived: as the extract stage asks, so a first load keeps the recycle bin
    _, ids = extract_hubspot(state, hubspot, "people", "contacts", PROPERTIES, run_id, include_archived=True)
    return ids, meter.total("hubspot")


def snapshot(state, record_id: str) -> tuple | None:
    import duckdb

    con = duckdb.connect(str(state), read_only=True)
    try:
        found = con.execute(
            "SELECT email, _archived FROM hubspot_people_snapshot WHERE id = ?", [record_id]
        ).fetchall()
    finally:
        con.close()
    return found[0] if found else None


def test_a_first_load_keeps_the_recycle_bin_and_a_restore_is_found_without_a_modification(boxes, tmp_path):
    state = tmp_path / "crmsync.duckdb"
    first, second = contact_ids(boxes)[:2]
    requests.delete(f"{boxes.hubspot.url}/crm/v3/objects/contacts/{first}", headers=TOKEN).raise_for_status()
    ids, _ = extract(boxes, state, "run-1")
    email, archived = snapshot(state, first)
    assert archived is True and "@" in email and first not in ids  # kept, with its values, as archived

    _, calls = extract(boxes, state, "run-2")
    assert calls == 2  # the search and the listing: nothing left the recycle bin, nothing read by id

    requests.delete(f"{boxes.hubspot.url}/crm/v3/objects/contacts/{second}", headers=TOKEN).raise_for_status()
    extract(boxes, state, "run-3")
    assert snapshot(state, second)[1] is True  # flagged by the check

    for record_id in (first, second):
        url = f"{boxes.hubspot.url}/_sandbox/hubspot/objects/contacts/{record_id}/restore"
        requests.post(url, timeout=10).raise_for_status()
    ids, calls = extract(boxes, state, "run-4")
    assert snapshot(state, first)[1] is False and snapshot(state, second)[1] is False
    assert {first, second} <= set(ids)  # their associations are read again: HubSpot restored none
    assert calls == 3  # the search (which does not return them), the listing, one batch read
