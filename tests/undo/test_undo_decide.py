"""What undo decides for each field a run wrote, from the CRMs' current values (no CRM involved)."""

from __future__ import annotations

from crmsync_pipeline.config import OwnerDirectory, Side, load_mapping
from crmsync_pipeline.config.transforms import phone_key
from crmsync_pipeline.orchestration.resources import default_mapping_path
from crmsync_pipeline.undo.plan import FieldWrite, decide

MAPPING = load_mapping(default_mapping_path())
OWNERS = OwnerDirectory(hubspot={}, salesforce={})


def phone_write(
    before: str | None, after: str, reason: str = "prefer_salesforce:hubspot_changed"
) -> FieldWrite:
    """The run carried HubSpot's new phone to Salesforce Contact 003A."""
    return FieldWrite(
        "contacts",
        "salesforce",
        "003A",
        "101",
        "Contact",
        "003A",
        "phone",
        "Phone",
        before,
        after,
        phone_key(after),  # the canonical value the plan carried (phones compare by digits)
        reason,
    )


def current(hubspot_phone: str | None, salesforce_phone: str | None) -> dict:
    return {
        (Side.HUBSPOT, "101"): {"phone": hubspot_phone},
        (Side.SALESFORCE, "003A"): {"Phone": salesforce_phone},
    }


def test_a_carried_edit_goes_back_on_both_sides_and_becomes_base():
    (undo,) = decide(MAPPING, OWNERS, [phone_write("+1 1", "+1 2")], current("+1 2", "+1 2"))
    assert undo.status == "restore" and undo.sets_base and undo.restored == phone_key("+1 1")
    assert undo.writes[Side.SALESFORCE][:3] == ("003A", "Phone", "+1 1")
    assert undo.writes[Side.HUBSPOT][:3] == ("101", "phone", "+1 1")


def test_a_field_changed_since_on_either_side_is_left_alone():
    for now in (current("+1 2", "+1 9"), current("+1 9", "+1 2")):
        (undo,) = decide(MAPPING, OWNERS, [phone_write("+1 1", "+1 2")], now)
        assert undo.status == "changed_since" and not undo.writes


def test_a_first_link_fill_is_undone_on_the_written_side_only():
    write = phone_write(None, "+1 2", "prefer_salesforce:fill_empty")
    (undo,) = decide(MAPPING, OWNERS, [write], current("+1 2", "+1 2"))
    assert undo.status == "restore" and not undo.sets_base
    assert list(undo.writes) == [Side.SALESFORCE] and undo.writes[Side.SALESFORCE][2] is None


def test_a_record_deleted_since_is_reported():
    (undo,) = decide(
        MAPPING, OWNERS, [phone_write("+1 1", "+1 2")], {(Side.HUBSPOT, "101"): {"phone": "+1 2"}}
    )
    assert undo.status == "gone"


def test_a_field_already_back_sets_base_without_writing():
    (undo,) = decide(MAPPING, OWNERS, [phone_write("+1 1", "+1 2")], current("+1 1", "+1 1"))
    assert undo.status == "restore" and undo.sets_base and not undo.writes
