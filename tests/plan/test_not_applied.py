"""Writes a CRM refused for one field (plan/not_applied.py), on a hand-built state file: HubSpot took a
lifecycle stage moved backward without applying it. While neither side changes, the field is written
neither way (not again to HubSpot, and HubSpot's kept value is not carried to Salesforce as an edit),
with a not_applied review item; once a side changes, the item settles and the field syncs by its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.config import OwnerDirectory, parse_mapping
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.merge import decide_fields
from crmsync_pipeline.plan.not_applied import HELD, hold_unapplied
from crmsync_pipeline.plan.rows import PlanRow, insert_plan_rows
from crmsync_pipeline.review.actions import open_items
from crmsync_pipeline.state import db

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def mapping(direction: str):
    return parse_mapping(f"""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: Contact
    fields:
      - {{hubspot: lifecyclestage, salesforce: HubSpot_Lifecycle_Stage__c, direction: {direction}}}
""").pair("contacts")


@pytest.fixture
def con(tmp_path):
    """Contact 1 <-> 003A: crmsync wrote 'lead' to HubSpot (first link), which kept 'customer'
    (not_applied); base holds 'lead', the value written."""
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute("CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, lifecyclestage VARCHAR, "
                    "_modified_at TIMESTAMPTZ, _archived BOOLEAN)")  # fmt: skip
        con.execute('CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _sobject VARCHAR, '
                    '"HubSpot_Lifecycle_Stage__c" VARCHAR, _modified_at TIMESTAMPTZ, _deleted BOOLEAN)')  # fmt: skip
        con.execute("INSERT INTO links VALUES ('contacts', '1', 'Contact', '003A', 'email', ?, 'r0')", [T0])
        con.execute("INSERT INTO hubspot_contacts_snapshot VALUES ('1', 'customer', ?, false)", [T0])
        con.execute(
            "INSERT INTO salesforce_contacts_snapshot VALUES ('003A', 'Contact', 'lead', ?, false)", [T0]
        )
        at = T0 - timedelta(minutes=5)
        insert_plan_rows(con, [PlanRow(
            run_id="r1", pair="contacts", target="hubspot", action="update", record_ref="1", hubspot_id="1",
            salesforce_object="Contact", salesforce_id="003A", field="lifecyclestage",
            target_field="lifecyclestage", old_value="customer", new_value="lead", canonical_value="lead",
            reason="prefer_salesforce:first_link", planned_at=at,
        )])  # fmt: skip
        con.execute(
            "INSERT INTO audit_log VALUES ('r1', 'contacts', 'hubspot', '1', '1', 'lifecyclestage', 'customer', "
            "'lead', false, ?, ?, 'not_applied')",
            [at, at],
        )
        con.execute(
            "INSERT INTO base_values VALUES ('contacts', '1', 'lifecyclestage', 'lead', ?, 'r1')", [at]
        )
        yield con


def plan(con, direction: str = "prefer_salesforce", run_id: str = "r2"):
    build_field_state(con, "contacts", mapping(direction), OwnerDirectory())
    decisions = decide_fields(con, in_sync=False)
    return hold_unapplied(con, run_id, "contacts", decisions, T0 + timedelta(minutes=1))


@pytest.mark.parametrize(
    ("direction", "would"),
    [("prefer_salesforce", "write_salesforce"), ("always_salesforce", "write_hubspot")],
)
def test_a_field_hubspot_kept_is_written_neither_way_while_nothing_changes(con, direction, would):
    build_field_state(con, "contacts", mapping(direction), OwnerDirectory())
    [before] = decide_fields(con, in_sync=False)
    assert before.decision == would  # what the plan did before: carry 'customer', or send 'lead' again
    [d], done = plan(con, direction)
    assert (d.decision, d.reason) == ("skip", HELD) and (done.held, done.opened) == (1, 1)
    [item] = open_items(con, kind="not_applied")
    assert (item.detail["written"], item.detail["kept"], item.detail["code"]) == (
        "lead",
        "customer",
        "NOT_APPLIED",
    )
    assert "only forward" in item.detail["message"] and "clear the stage in HubSpot" in item.detail["message"]
    _, again = plan(con, direction, run_id="r3")
    assert (again.held, again.opened) == (1, 0)  # one item, still open


@pytest.mark.parametrize("side", ["hubspot", "salesforce"])
def test_a_change_on_either_side_settles_the_item_and_the_field_syncs(con, side):
    plan(con)
    if side == "hubspot":  # a person cleared the stage in HubSpot
        con.execute("UPDATE hubspot_contacts_snapshot SET lifecyclestage = NULL, _modified_at = ?", [T0])
    else:  # or moved it on in Salesforce
        con.execute("UPDATE salesforce_contacts_snapshot SET \"HubSpot_Lifecycle_Stage__c\" = 'evangelist'")
    [d], done = plan(con, run_id="r3")
    assert d.reason != HELD and done.settled == 1
    assert not open_items(con, kind="not_applied")


def test_a_write_applied_later_ends_the_hold(con):
    plan(con)
    con.execute("UPDATE audit_log SET outcome = 'confirmed'")  # e.g. the stage was cleared and written again
    [d], done = plan(con, run_id="r3")
    assert d.reason != HELD and done.settled == 1
