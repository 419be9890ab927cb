"""A value map's own entry is what reaches the other side: the converted Lead status `Closed - Converted`
is written to HubSpot as OPEN_DEAL (its `salesforce_to_hubspot` entry), not as IN_PROGRESS, the HubSpot
value of its class's canonical form `Working - Contacted`; in updates and in creates alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.config import OwnerDirectory, Side, load_mapping
from crmsync_pipeline.plan.creates import create_rows
from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.plan.updates import _update_row

MAPPING = load_mapping(Path(__file__).parents[2] / "crmsync.yaml")
CONTACTS = MAPPING.pair("contacts")
OWNERS = OwnerDirectory(hubspot={}, salesforce={})
NOW = datetime(2026, 12, 6, tzinfo=UTC)
STATUS = next(f for f in CONTACTS.fields if f.name == "hs_lead_status")


def decision(salesforce_raw: str, hubspot_raw: str | None, target: str) -> FieldDecision:
    canonical = STATUS.transformer.to_canonical(Side.SALESFORCE, salesforce_raw)
    hubspot = STATUS.transformer.to_canonical(Side.HUBSPOT, hubspot_raw) if hubspot_raw else None
    agreed = canonical if target == "write_hubspot" else hubspot
    return FieldDecision("contacts", "1", "Lead", "00QA", "hs_lead_status", target, "two_way:changed",
                         hubspot, canonical, hubspot_raw, salesforce_raw, None, None, True, False, None, None,
                         agreed)  # fmt: skip


def test_an_update_writes_the_value_listed_for_the_winning_raw_value():
    row = _update_row("r1", CONTACTS, OWNERS, STATUS, decision("Closed - Converted", "NEW", "write_hubspot"),
                      Side.HUBSPOT, NOW)  # fmt: skip
    assert (row.new_value, row.canonical_value) == ("OPEN_DEAL", "Working - Contacted")
    row = _update_row("r1", CONTACTS, OWNERS, STATUS, decision("Working - Contacted", "NEW", "write_hubspot"),
                      Side.HUBSPOT, NOW)  # fmt: skip
    assert row.new_value == "IN_PROGRESS"
    row = _update_row("r1", CONTACTS, OWNERS, STATUS, decision("Open - Not Contacted", "CONNECTED", "write_salesforce"),
                      Side.SALESFORCE, NOW)  # fmt: skip
    assert row.new_value == "Working - Contacted"


def test_a_create_writes_the_value_listed_for_the_source_raw_value():
    lead = {"id": "00QA", "_sobject": "Lead", "LastName": "Ada", "Status": "Closed - Converted"}
    rows = create_rows("r1", "contacts", CONTACTS, OWNERS, lead, Side.SALESFORCE, "Lead", NOW)
    assert [(r.target_field, r.new_value) for r in rows if r.field == "hs_lead_status"] == [
        ("hs_lead_status", "OPEN_DEAL")
    ]
