"""Drift converges or a person is asked: a linked field whose sides still differ after a sync is counted
per sync; one that outlives two syncs turns the Drift check to ERROR and opens a review item (kind
`drift`) with both CRMs' values. Here a Salesforce validation rule (a Lead phone shorter than 7 characters)
shows its error at the top of the page, so it names no field: it refuses every save of the Lead carrying
a HubSpot phone edit, and the Lead and the contact stay apart. (A rule that names the field is a write
the CRM does not apply, held by a `not_applied` item instead: tests/plan/test_not_applied.py.)"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.health.queries import health_findings
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=5)
    # the org's Lead phone rule, its error shown at the top of the page (Salesforce's answer names no field)
    rules = requests.get(f"{box.salesforce.url}/_sandbox/settings", timeout=10).json()["validation_rules"]
    assert [r["field"] for r in rules if r["object"] == "Lead"] == ["Phone"]
    page_level = [{**r, "field": None} if r["object"] == "Lead" else r for r in rules]
    requests.post(
        f"{box.salesforce.url}/_sandbox/settings", json={"validation_rules": page_level}, timeout=10
    ).raise_for_status()
    yield box
    box.stop()


def _drift():
    findings = health_findings(
        Path(os.environ["CRMSYNC_STATE_DB"]), load_mapping(default_mapping_path()), read_only=True
    )
    return findings["drift"]


def _phone_drift(hubspot_id: str, drift=None) -> list[tuple]:
    """The Drift check's rows for this contact's phone (its last column: syncs it has differed after)."""
    return [r for r in (drift or _drift()).rows if r[1] == hubspot_id and r[4] == "phone"]


def test_a_drift_that_outlives_two_syncs_is_an_error_and_goes_to_review(sandbox, sync, query):
    assert sync().success
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": f"drift-{uuid.uuid4().hex[:8]}@drift-scenario.org",
                "firstname": "Dee",
                "lastname": "Rift",
                "phone": "+1 555 0100",
                "lifecyclestage": "marketingqualifiedlead",
            }
        },
    ).json()
    hubspot_id = created["id"]
    assert sync().success
    ((sobject, lead_id),) = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id
    )
    assert sobject == "Lead" and salesforce_value(sandbox, "Lead", lead_id, "Phone") == "+1 555 0100"
    assert not _phone_drift(hubspot_id)

    hubspot_edit(sandbox, "contacts", hubspot_id, phone="12345")  # Salesforce's rule refuses it on a Lead
    assert sync().success
    assert [r[-1] for r in _phone_drift(hubspot_id)] == [1]  # differs after one sync: counted, a warning

    assert sync().success
    drift = _drift()
    assert [r[-1] for r in _phone_drift(hubspot_id, drift)] == [2]
    assert drift.severity == "ERROR"
    # the CRMs themselves still differ
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "12345"
    assert salesforce_value(sandbox, "Lead", lead_id, "Phone") == "+1 555 0100"
    items = query(
        "SELECT detail FROM review_items WHERE kind = 'drift' AND hubspot_id = ? AND settled_at IS NULL "
        "AND detail->>'field' = 'phone'",
        hubspot_id,
    )
    assert len(items) == 1
    detail = json.loads(items[0][0])
    assert (detail["field"], detail["hubspot"], detail["syncs"]) == ("phone", "12345", 2)

    # once the sides agree again the drift is forgotten
    hubspot_edit(sandbox, "contacts", hubspot_id, phone="+1 555 0100")
    assert sync().success
    assert not _phone_drift(hubspot_id)
    assert query(
        "SELECT count(*) FROM drift_cycles WHERE hubspot_id = ? AND field = 'phone'", hubspot_id
    ) == [(0,)]


def test_a_write_hubspot_silently_kept_is_held_for_a_person_not_believed_nor_retried(sandbox, sync, query):
    """HubSpot answers 200 to a lifecycle stage moved backward and keeps the old stage (setting
    `lifecycle_backward: ignore`, its default). crmsync must not believe the sides agree: the audit log
    says the write was not applied, and the next sync neither sends it again (it would be kept again) nor
    carries HubSpot's kept stage over the person's edit in Salesforce; a `not_applied` review item says
    what to do, and drift leaves the field to it (docs/design.md, "Writes a CRM does not apply")."""
    assert sync().success
    ((hubspot_id, contact_id),) = query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' AND h.lifecyclestage = 'customer'
             AND h.email NOT LIKE '%example.com' AND h.email NOT LIKE '%test.com'
           ORDER BY l.hubspot_id LIMIT 1"""
    )
    stage = "HubSpot_Lifecycle_Stage__c"
    assert salesforce_value(sandbox, "Contact", contact_id, stage) == "customer"
    salesforce_edit(sandbox, "Contact", contact_id, **{stage: "salesqualifiedlead"})
    first = sync()
    assert first.success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lifecyclestage") == "customer"  # kept
    assert query(
        "SELECT DISTINCT outcome FROM audit_log WHERE run_id = ? AND record_id = ? AND field = 'lifecyclestage'",
        first.run_id,
        hubspot_id,
    ) == [("not_applied",)]
    second = sync()
    assert second.success
    assert salesforce_value(sandbox, "Contact", contact_id, stage) == "salesqualifiedlead"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "lifecyclestage") == "customer"
    assert query(
        "SELECT count(*) FROM audit_log WHERE run_id = ? AND record_id = ? AND field = 'lifecyclestage'",
        second.run_id,
        hubspot_id,
    ) == [(0,)]
    items = query(
        "SELECT detail FROM review_items WHERE kind = 'not_applied' AND hubspot_id = ? AND settled_at IS NULL",
        hubspot_id,
    )
    assert len(items) == 1 and json.loads(items[0][0])["field"] == "lifecyclestage"
    assert not [r for r in _drift().rows if r[1] == hubspot_id and r[4] == "lifecyclestage"]


def test_a_drift_item_names_its_field_and_closes_itself_when_the_sides_agree(sandbox, sync, query):
    """The `drift` item says which field drifts, with both CRMs' values, and is no chore left behind: once
    the pair converges (here a person puts a phone Salesforce accepts in HubSpot, and the sync carries it)
    the next sync settles the item as `in_sync`, and the Drift check no longer lists the field."""
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": f"closing-{uuid.uuid4().hex[:8]}@drift-scenario.org",
                "firstname": "Clo",
                "lastname": "Sing",
                "phone": "+1 555 0111",
                "lifecyclestage": "marketingqualifiedlead",
            }
        },
    ).json()
    hubspot_id = created["id"]
    assert sync().success
    ((lead_id,),) = query("SELECT salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id)
    hubspot_edit(sandbox, "contacts", hubspot_id, phone="999")  # the Lead's validation rule refuses the save
    assert sync().success
    assert sync().success
    [(item, detail)] = query(
        "SELECT item_id, detail FROM review_items WHERE kind = 'drift' AND hubspot_id = ? AND settled_at IS NULL",
        hubspot_id,
    )
    named = json.loads(detail)
    # the values in their canonical form (phones by their digits), as the merge compares them
    assert (named["field"], named["hubspot"], named["salesforce"]) == ("phone", "999", "+15550111")

    hubspot_edit(sandbox, "contacts", hubspot_id, phone="+1 555 0199")  # a phone Salesforce takes
    assert sync().success
    assert salesforce_value(sandbox, "Lead", lead_id, "Phone") == "+1 555 0199"
    assert not _phone_drift(hubspot_id)
    assert query("SELECT settled_at IS NOT NULL, resolution FROM review_items WHERE item_id = ?", item) == [
        (True, "in_sync")
    ]
    assert query(
        "SELECT count(*) FROM review_items WHERE kind = 'drift' AND hubspot_id = ? AND settled_at IS NULL",
        hubspot_id,
    ) == [(0,)]
