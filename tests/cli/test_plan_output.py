"""`crmsync plan` shows what a sync would change, as the README promises: per pair and side, the records
and the fields that would be written (old -> new value, the rule that decided), `--limit N` records per
side, then the counts. Nothing is written (checked on the CRMs). An erased person's values never show."""

from __future__ import annotations

import os
import re
import uuid

import duckdb
import pytest
import requests
from cli_helpers import TOKEN, hubspot_contact
from crm_actions import hubspot_edit, salesforce_value

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


def _state(sql: str, *params):  # type: ignore[no-untyped-def]
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _linked(hubspot_id: str) -> tuple[str, str]:
    ((sobject, salesforce_id),) = _state(
        "SELECT salesforce_object, salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?",
        hubspot_id,
    )
    return sobject, salesforce_id


def _section(output: str, heading: str) -> str:
    """The lines of one `pair -> CRM` section of the plan."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[start:end])


def test_plan_shows_records_and_fields_per_side_and_writes_nothing(sandbox, crmsync):
    tag = uuid.uuid4().hex[:6]
    edited = hubspot_contact(
        sandbox, email=f"edited-{tag}@plan-output.org", firstname="Edith", lastname="Edited",
        lifecyclestage="marketingqualifiedlead",
    )  # fmt: skip
    assert crmsync("sync").exit_code == 0
    sobject, edited_sf = _linked(edited)
    hubspot_edit(sandbox, "contacts", edited, firstname="Zebedee")
    email = f"newcomer-{tag}@plan-output.org"
    new_id = hubspot_contact(
        sandbox, email=email, firstname="Nora", lastname="Newcomer", lifecyclestage="marketingqualifiedlead"
    )

    result = crmsync("plan")
    output = result.output
    assert result.exit_code == 0, output
    section = _section(output, "contacts -> Salesforce")
    # the update: which record, which field, value now -> value written, and the rule
    assert f"update {sobject} {edited_sf} (HubSpot {edited})" in section, output
    assert re.search(r"^    FirstName: Edith -> Zebedee  \[two_way:\w+", section, re.M), section
    # the create: the record it comes from and the values it would get
    assert f"create Lead from HubSpot {new_id}" in section, section
    assert re.search(rf"^    Email: {re.escape(email)}  \[", section, re.M), section
    assert re.search(r"^    LastName: Newcomer  \[", section, re.M), section
    # the counts stay, as the summary
    assert "Planned (run " in output and "records to update" in output
    # a dry run: Salesforce still holds the old name
    assert salesforce_value(sandbox, sobject, edited_sf, "FirstName") == "Edith"

    limited = crmsync("plan", "--limit", "1").output
    section = _section(limited, "contacts -> Salesforce")
    total = int(re.search(r"contacts -> Salesforce: (\d+) record\(s\) would be written", section).group(1))
    assert total >= 2 and "; the first 1 shown (--limit N for more)" in section, section
    assert len(re.findall(r"^  (create|update) ", section, re.M)) == 1, section
    assert "contacts -> Salesforce" not in crmsync("plan", "--limit", "0").output


def test_plan_never_shows_an_erased_persons_values(sandbox, crmsync, monkeypatch):
    """A linked person deleted in HubSpot under GDPR, edited in Salesforce meanwhile: the plan lists the
    erasure of the Salesforce twin by id, never the person's email, names or phone."""
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for GDPR deletes every cycle
    email = f"erased-{uuid.uuid4().hex[:6]}@plan-output.org"
    hubspot_id = hubspot_contact(
        sandbox, email=email, firstname="Ernestina", lastname="Erasedottir", lifecyclestage="marketingqualifiedlead"
    )  # fmt: skip
    assert crmsync("sync").exit_code == 0
    sobject, salesforce_id = _linked(hubspot_id)
    requests.post(
        f"{sandbox.salesforce.url}/_sandbox/salesforce/edit",
        json={
            "object": sobject,
            "id": salesforce_id,
            "fields": {"Phone": "+1 555 0987", "Title": "Chief Eraser"},
        },
        timeout=10,
    ).raise_for_status()
    requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/gdpr-delete",
        headers=TOKEN,
        json={"objectId": hubspot_id},
        timeout=10,
    ).raise_for_status()
    result = crmsync("plan", "--limit", "50")
    output = result.output
    assert result.exit_code == 0, output
    assert re.search(rf"^  erase {sobject} {salesforce_id} \(HubSpot {hubspot_id}\)", output, re.M), output
    assert "[values hidden: erased person]" in output
    for value in (email, "Ernestina", "Erasedottir", "555 0987", "5550987", "Chief Eraser"):
        assert value.lower() not in output.lower(), value
