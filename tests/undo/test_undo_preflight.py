"""Undo's preflight (no CRM involved): a restore either CRM would refuse is left out on both sides with
the CRM's code; the other fields of the record stay in the plan."""

from __future__ import annotations

from crmsync_pipeline.config import OwnerDirectory, Side, load_mapping
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.undo.plan import FieldWrite, UndoPlan, decide
from crmsync_pipeline.undo.preflight import preflight_undo

MAPPING = load_mapping(default_mapping_path())
OWNERS = OwnerDirectory(hubspot={}, salesforce={})
LEAD_SCHEMA = {
    "FirstName": {"name": "FirstName", "type": "string", "length": 40, "updateable": True, "nillable": True},
    "Status": {
        "name": "Status", "type": "picklist", "updateable": True, "nillable": False,
        "picklistValues": [{"value": "Open - Not Contacted"}, {"value": "Working - Contacted"}],
    },
}  # fmt: skip
CONTACT_PROPERTIES = {
    "firstname": {"name": "firstname", "type": "string"},
    "hs_lead_status": {
        "name": "hs_lead_status", "type": "enumeration", "field_type": "select",
        "options": [{"value": "NEW"}, {"value": "IN_PROGRESS"}],
    },
}  # fmt: skip


def write(field: str, target: str, target_field: str, before, after, canonical, reason: str) -> FieldWrite:
    record = "00QA" if target == "salesforce" else "101"
    return FieldWrite(
        "contacts",
        target,
        record,
        "101",
        "Lead",
        "00QA",
        field,
        target_field,
        before,
        after,
        canonical,
        reason,
    )


def schema_of(side: Side, obj: str) -> dict:
    return LEAD_SCHEMA if side is Side.SALESFORCE else CONTACT_PROPERTIES


def test_a_required_field_emptied_is_left_out_on_both_sides_and_the_rest_restored():
    writes = [
        write("firstname", "salesforce", "FirstName", "Ann", "Annabel", "Annabel", "two_way:hubspot_changed"),
        write("hs_lead_status", "hubspot", "hs_lead_status", None, "IN_PROGRESS", "Working - Contacted",
              "prefer_hubspot:salesforce_changed"),
    ]  # fmt: skip
    current = {
        (Side.HUBSPOT, "101"): {"firstname": "Annabel", "hs_lead_status": "IN_PROGRESS"},
        (Side.SALESFORCE, "00QA"): {"FirstName": "Annabel", "Status": "Working - Contacted"},
    }
    plan = UndoPlan("run-1", decide(MAPPING, OWNERS, writes, current), [])
    assert [f.status for f in plan.fields] == ["restore", "restore"]
    preflight_undo(MAPPING, plan, schema_of)
    first, status = plan.fields
    assert first.status == "restore" and set(first.writes) == {Side.HUBSPOT, Side.SALESFORCE}
    assert status.status == "left_out" and status.error_code == "REQUIRED_FIELD_MISSING"
    assert "salesforce Status" in status.note


def test_a_value_no_longer_allowed_is_left_out():
    writes = [
        write("hs_lead_status", "hubspot", "hs_lead_status", "BAD_TIMING", "IN_PROGRESS", "Working - Contacted",
              "prefer_hubspot:salesforce_changed"),
    ]  # fmt: skip
    current = {
        (Side.HUBSPOT, "101"): {"hs_lead_status": "IN_PROGRESS"},
        (Side.SALESFORCE, "00QA"): {"Status": "Working - Contacted"},
    }
    plan = preflight_undo(MAPPING, UndoPlan("run-1", decide(MAPPING, OWNERS, writes, current), []), schema_of)
    assert [(f.status, f.error_code) for f in plan.fields] == [("left_out", "INVALID_OPTION")]
