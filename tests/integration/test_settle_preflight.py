"""A value carried on create (write/created_values.py, reason `*:filled_on_create`) faces the plan's
preflight (issue 14): HubSpot's hs_lead_status without the option NEW refuses Salesforce's Lead.Status
default carried back; that one value is held with its code, and the rest of the HubSpot update, the
cross-reference id, is still written. The oracles read HubSpot itself."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_value
from sandboxes import Sandbox

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=20, seed=9)
    yield box
    box.stop()


def _remove_option(sandbox, prop: str, value: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v3/properties/contacts/{prop}"
    options = requests.get(url, headers=TOKEN, timeout=10).json()["options"]
    kept = [o for o in options if o["value"] != value]
    assert len(kept) < len(options)
    requests.patch(url, headers=TOKEN, json={"options": kept}, timeout=10).raise_for_status()


def test_a_refused_value_carried_on_create_is_held_alone(sandbox, sync, query):
    _remove_option(sandbox, "hs_lead_status", "NEW")
    contacts = []
    for name in ("Ria", "Sol"):
        created = requests.post(
            f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
            headers=TOKEN,
            timeout=10,
            json={
                "properties": {
                    "email": f"{name.lower()}.held@example.org",
                    "firstname": name,
                    "lastname": "Held",
                    "lifecyclestage": "salesqualifiedlead",
                }
            },
        )
        created.raise_for_status()
        contacts.append(created.json()["id"])
    run = sync()
    assert run.success
    for contact in contacts:
        [(sobject, lead)] = query(
            "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
            contact,
        )
        assert sobject == "Lead"
        assert hubspot_value(sandbox, "contacts", contact, "crmsync_salesforce_id") == lead
        assert hubspot_value(sandbox, "contacts", contact, "hs_lead_status") in (None, "")
        held = query(
            """SELECT preflight_error FROM plan_rows WHERE run_id = ? AND target = 'hubspot'
               AND record_ref = ? AND field = 'hs_lead_status'""",
            run.run_id,
            contact,
        )
        assert held == [("INVALID_OPTION",)]
        assert query(
            """SELECT count(*) FROM write_results WHERE run_id = ? AND target = 'hubspot' AND record_ref = ?
               AND error_code = 'INVALID_OPTION'""",
            run.run_id,
            contact,
        ) == [(1,)]
