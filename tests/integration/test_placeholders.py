"""A value crmsync supplies because the source was empty (the mapping's `default:`, Lead.Company's
"[not provided]") is never written back to the source, and the pair counts as in sync while the source
stays empty; a real value then crosses, and a clear puts the placeholder back on the side that needs one.
Every assertion reads the CRMs themselves."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_value

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

PLACEHOLDER = "[not provided]"
TOKEN = {"Authorization": "Bearer sandbox-token"}


def _new_hubspot_lead(sandbox) -> str:
    created = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        json={
            "properties": {
                "email": "kay.placeholder@example.org",
                "firstname": "Kay",
                "lastname": "Placeholder",
                "lifecyclestage": "salesqualifiedlead",
            }
        },
        timeout=10,
    )
    created.raise_for_status()
    return created.json()["id"]


def test_a_default_placeholder_never_reaches_the_source(sandbox, sync, query):
    contact = _new_hubspot_lead(sandbox)
    assert sync().success
    [(sobject, lead)] = query(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        contact,
    )
    assert sobject == "Lead"
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER

    second = sync()
    assert second.success
    assert hubspot_value(sandbox, "contacts", contact, "company") in (None, "")
    written = query(
        "SELECT target, field FROM plan_rows WHERE run_id = ? AND record_ref IN (?, ?) AND field = 'company'",
        second.run_id,
        contact,
        lead,
    )
    assert written == []

    hubspot_edit(sandbox, "contacts", contact, company="Acme Placeholder Works")
    assert sync().success
    assert salesforce_value(sandbox, "Lead", lead, "Company") == "Acme Placeholder Works"

    hubspot_edit(sandbox, "contacts", contact, company="")  # a clear: Salesforce still needs a company
    assert sync().success
    assert salesforce_value(sandbox, "Lead", lead, "Company") == PLACEHOLDER
    assert sync().success
    assert hubspot_value(sandbox, "contacts", contact, "company") in (None, "")
