"""A person's edit lost with no conflict recorded (the soak of 2026-12-06, seeds 7 and 11), rebuilt small
end to end through both sandbox CRMs with the soak's own mapping (bench/soak/mapping.yaml: contacts under
`deletes: report`, jobtitle prefer_salesforce, phone prefer_hubspot compared as text) and its automation
switched on (a Salesforce before-save flow formatting Contact and Lead phones; bench/soak/automation.py):

1. (seed 7, p560) a HubSpot contact restored from the recycle bin stayed archived in crmsync's snapshot:
   HubSpot's search, crmsync's incremental read, filters on the last-modified property, which a restore
   does not move. Without a state loss the restored contact's link stayed an orphan (Salesforce edits
   never reached it); after `crmsync rebuild-state` had skipped it (archived then), it was linked only
   when a person edited it, as a first link, and prefer_salesforce overwrote that very edit.
3. (seed 11, p3026) an undo's write to a Salesforce phone was reflected into the snapshot at the undo's
   start time, with microseconds; Salesforce stamps the save to the whole second, earlier, so every
   later read of the record lost to the reflected row (a row gives way only to one at least as new) and
   the snapshot kept the value the flow had reformatted. The next write to that field then looked like a
   person had edited the target since the plan and was dropped (STALE_PLAN), each cycle again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from bench.soak.automation import RULES
from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
SOAK_MAPPING = Path(__file__).resolve().parents[2] / "bench" / "soak" / "mapping.yaml"


@pytest.fixture(scope="module")
def sandbox():
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_CONFIG", str(SOAK_MAPPING))
    mp.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # as the soak: look at archives every cycle
    box = Sandbox(people=20, seed=7)
    yield box
    box.stop()
    mp.undo()


@pytest.fixture(scope="module")
def synced(sandbox, sync):
    assert sync().success
    assert sync().success
    return sandbox


def set_flow(sandbox, on: bool) -> None:
    """The soak's Salesforce phone flows (and HubSpot city workflow) switched on, or all rules removed."""
    for crm, rules in RULES.items():
        url = f"{getattr(sandbox, crm).url}/_sandbox/automation"
        if not on:
            requests.delete(url, timeout=10).raise_for_status()
            continue
        for rule in rules:
            requests.post(url, json=rule, timeout=10).raise_for_status()


def linked_contacts(query) -> list[tuple[str, str]]:
    return query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND NOT coalesce(h._archived, false)
             AND h.email IS NOT NULL
             AND l.hubspot_id NOT IN (SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL)
           ORDER BY l.hubspot_id"""
    )


def archive_in_hubspot(sandbox, hubspot_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{hubspot_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


def restore_in_hubspot(sandbox, hubspot_id: str) -> None:
    """HubSpot's recycle-bin restore (sandbox admin route: HubSpot has no public API for it)."""
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/contacts/{hubspot_id}/restore"
    requests.post(url, timeout=10).raise_for_status()


# ---- 3. an undo's Salesforce write, reformatted by a flow -----------------------------------------------


def start_early_in_a_second() -> None:
    """Wait until the clock is early in a second: the undo's start and its Salesforce save then share the
    second, as they did in the soak (a Salesforce stamp drops the fraction)."""
    while not 0.02 <= time.time() % 1 < 0.15:
        time.sleep(0.005)


def test_a_hubspot_phone_edit_reaches_salesforce_after_an_undo_whose_write_a_flow_reformatted(
    synced, sync, query
):
    sandbox = synced
    hubspot_id, contact = linked_contacts(query)[0]
    set_flow(sandbox, on=False)
    try:
        salesforce_edit(sandbox, "Contact", contact, Phone="+1 555 0100001")  # typed, no flow yet
        assert sync().success
        assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "+1 555 0100001"
        hubspot_edit(sandbox, "contacts", hubspot_id, phone="+1 555 0100002")
        run_b = sync()
        assert run_b.success
        assert salesforce_value(sandbox, "Contact", contact, "Phone") == "+1 555 0100002"
    finally:
        set_flow(sandbox, on=True)

    # the undo puts "+1 555 0100001" back; the flow now formats it on save
    start_early_in_a_second()
    undone = CliRunner().invoke(cli, ["undo", run_b.run_id, "--yes", "--json"])
    assert undone.exit_code == 0, undone.output
    assert json.loads(undone.output)["failed"] == {}
    assert salesforce_value(sandbox, "Contact", contact, "Phone") == "(555) 010-0001"
    assert sync().success  # reads the undo's saves back

    hubspot_edit(sandbox, "contacts", hubspot_id, phone="+1 555 0100003")  # a person's new number
    for _ in range(2):
        result = sync()
        assert result.success
        stale = query(
            "SELECT error_fields FROM write_results WHERE run_id = ? AND record_ref = ? AND error_code = ?",
            result.run_id,
            contact,
            "STALE_PLAN",
        )
        assert stale == [], "crmsync took its own undo's write for a person's edit of the target"
        assert salesforce_value(sandbox, "Contact", contact, "Phone") == "(555) 010-0003"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") in ("+1 555 0100003", "(555) 010-0003")


# ---- 1. a contact restored from HubSpot's recycle bin ----------------------------------------------------


def test_a_contact_restored_without_an_edit_is_seen_and_takes_salesforce_edits(synced, sync, query):
    """Under `deletes: report` an archived contact keeps its link as an orphan; restored (and not edited
    in HubSpot), it is live again: an edit made in Salesforce reaches it."""
    sandbox = synced
    hubspot_id, contact = linked_contacts(query)[1]
    archive_in_hubspot(sandbox, hubspot_id)
    assert sync().success
    assert query("SELECT _archived FROM hubspot_contacts_snapshot WHERE id = ?", hubspot_id) == [(True,)]

    restore_in_hubspot(sandbox, hubspot_id)
    salesforce_edit(sandbox, "Contact", contact, Title="Back From The Bin")
    assert sync().success
    assert query("SELECT _archived FROM hubspot_contacts_snapshot WHERE id = ?", hubspot_id) == [(False,)]
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Back From The Bin"


def test_a_hubspot_edit_of_a_contact_restored_after_a_state_loss_is_not_reverted(
    synced, sync, query, tmp_path, monkeypatch
):
    """The soak's p560: the contact was archived when the state file was lost and rebuilt, so the
    rebuild left it unlinked; it was restored, then a person edited its title in HubSpot. The restore
    is seen by the next sync, which links it again from the ids (both sides agree: base); the edit
    made after that is a change since the link and crosses, not a first link prefer_salesforce reverts."""
    sandbox = synced
    hubspot_id, contact = linked_contacts(query)[2]
    title = salesforce_value(sandbox, "Contact", contact, "Title")
    archive_in_hubspot(sandbox, hubspot_id)
    assert sync().success

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert not sync().success  # a lost state file: refused until rebuilt
    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert query("SELECT count(*) FROM links WHERE hubspot_id = ?", hubspot_id) == [(0,)]  # archived then

    restore_in_hubspot(sandbox, hubspot_id)
    assert sync().success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == title

    hubspot_edit(sandbox, "contacts", hubspot_id, jobtitle="Edited After The Restore")
    for _ in range(2):
        assert sync().success
        assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Edited After The Restore"
        assert salesforce_value(sandbox, "Contact", contact, "Title") == "Edited After The Restore"
    # linked again from the ids by the sync after the restore, not as a first link at the edit
    assert query("SELECT salesforce_id, matched_by FROM links WHERE hubspot_id = ?", hubspot_id) == [
        (contact, "salesforce_id_in_hubspot")
    ]
    assert query(
        "SELECT count(*) FROM plan_rows WHERE hubspot_id = ? AND reason LIKE '%first_link%'", hubspot_id
    ) == [(0,)]


# ---- 4. an edit made after a rebuild, on a field the rebuild found apart -------------------------------


@pytest.mark.parametrize("edit", ["Edited After The Rebuild", None], ids=["new-title", "cleared"])
def test_an_edit_made_after_a_rebuild_wins_over_the_first_link_rule(
    synced, sync, query, tmp_path, monkeypatch, edit
):
    """The soak's seed 11, p501: a field differed when the state file was rebuilt (an edit crmsync had not
    read before the loss), so the rebuild's plan judged it as a first link (jobtitle prefer_salesforce:
    Salesforce's title to HubSpot). Before the next sync wrote it, a person edited HubSpot's title. That
    edit is a change made since the rebuild judged the field, and crosses; before, the first-link rule
    was applied again and the person's title was overwritten on HubSpot. A clear is an edit too (seed 7,
    p595): HubSpot's empty title is not a never-set value for Salesforce's to fill."""
    sandbox = synced
    assert sync().success  # the module's own state file catches up with the earlier tests
    hubspot_id, contact = linked_contacts(query)[3 if edit else 4]
    salesforce_edit(sandbox, "Contact", contact, Title="Edited Before The Loss")

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    [(reason,)] = query(
        "SELECT reason FROM plan_rows WHERE hubspot_id = ? AND field = 'jobtitle'", hubspot_id
    )  # the rebuild's plan: a first link under prefer_salesforce, not written yet
    assert "first_link" in reason

    hubspot_edit(sandbox, "contacts", hubspot_id, jobtitle=edit or "")
    for _ in range(2):
        assert sync().success
        assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == edit
        assert salesforce_value(sandbox, "Contact", contact, "Title") == edit
