"""A field the plan leaves out with a value issue is reported once: a Lead crmsync creates for a HubSpot
contact with no owner gets Salesforce's default owner (the integration user, who has no HubSpot owner),
the plan reports that owner in value_issues, and the Drift check does not flag the same field again."""

from __future__ import annotations

import os

import duckdb
import pytest
import requests
from sandboxes import Sandbox

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.health.drift import drift_rows
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=4)
    yield box
    box.stop()


def test_an_owner_reported_as_a_value_issue_is_not_drift(sandbox, crm_env, sync, query):
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts"
    body = {"properties": {"email": "no.owner@drift.example", "firstname": "Nora", "lastname": "Owner",
                           "lifecyclestage": "salesqualifiedlead"}}  # fmt: skip
    contact = requests.post(url, headers=TOKEN, json=body, timeout=10).json()["id"]
    assert sync().success
    [(sobject, lead)] = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE hubspot_id = ?", contact
    )
    assert sobject == "Lead"
    soql = f"SELECT OwnerId, Owner.Email FROM Lead WHERE Id = '{lead}'"
    [record] = requests.get(f"{sandbox.salesforce.url}/services/data/v59.0/query/", headers=TOKEN,
                            params={"q": soql}, timeout=10).json()["records"]  # fmt: skip
    assert record["OwnerId"]  # Salesforce gave the Lead its default owner
    second = sync()
    assert second.success
    issues = query(
        "SELECT field FROM value_issues WHERE run_id = ? AND side = 'salesforce' AND record_id = ?",
        second.run_id,
        lead,
    )
    assert issues, "the plan reports the owner HubSpot does not have"
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        _, rows = drift_rows(con, load_mapping(default_mapping_path()))
    finally:
        con.close()
    drifting = {(r[1], r[4]) for r in rows if r[1] == contact}
    assert not drifting & {(contact, field) for (field,) in issues}
