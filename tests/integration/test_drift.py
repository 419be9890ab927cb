"""Drift converges or a person is asked: a linked field whose sides still differ after a sync is counted
per sync; one that outlives two syncs turns the Drift check to ERROR and opens a review item (kind
`drift`) with both CRMs' values. Here Salesforce's validation rule (a Lead phone shorter than 7 characters)
refuses every write of a HubSpot phone edit, so the Lead and the contact stay apart."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.health.queries import health_findings
from crmsync_pipeline.orchestration.resources import default_mapping_path

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=5)
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
