"""Ping-pong detection on a hand-built state file (plan/ping_pong.py): a write that would close a cycle of
automation rewrites is held and reviewed; the same alternation made by a person, or with a person's
edit in between, is synced as usual; a resolution resumes the field and starts the count afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.config import OwnerDirectory, parse_mapping
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.holds import settle_agreed
from crmsync_pipeline.plan.merge import decide_fields
from crmsync_pipeline.plan.ping_pong import (
    HELD,
    HubSpotVersion,
    confirm_loops,
    hold_loops,
    loop_candidates,
    salesforce_users,
)
from crmsync_pipeline.plan.rows import PlanRow, insert_plan_rows
from crmsync_pipeline.review.actions import ReviewError, open_items, resolve
from crmsync_pipeline.state import db
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items

MAPPING = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: Contact
    fields:
      - {hubspot: lastname, salesforce: LastName, direction: two_way}
""")
PAIR = MAPPING.pair("contacts")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
INTEGRATION, AUTOPROC, PERSON = "005INT", "005AUTO", "005PERSON"
WORKFLOW = HubSpotVersion("smith", "AUTOMATION_PLATFORM", "enrollmentId:7;actionExecutionIndex:0")


@pytest.fixture
def con(tmp_path):
    """Linked contact 1 <-> 003A after two crmsync writes: 'smith' to Salesforce (which made it 'SMITH'),
    then 'SMITH' to HubSpot (which made it 'smith' again). Base is 'SMITH', the last value written."""
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(
            "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, lastname VARCHAR, _modified_at TIMESTAMPTZ, "
            "_archived BOOLEAN)"
        )
        con.execute(
            'CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _sobject VARCHAR, "LastName" VARCHAR, '
            "_modified_at TIMESTAMPTZ, _last_modified_by_id VARCHAR, _deleted BOOLEAN)"
        )
        con.execute("CREATE TABLE salesforce_users (id VARCHAR, email VARCHAR, username VARCHAR, "
                    "is_active BOOLEAN, user_type VARCHAR)")  # fmt: skip
        con.execute(
            "INSERT INTO salesforce_users VALUES (?, NULL, 'autoproc', true, 'AutomatedProcess')", [AUTOPROC]
        )
        con.execute("INSERT INTO crm_identity VALUES ('salesforce', ?, ?)", [INTEGRATION, T0])
        con.execute("INSERT INTO links VALUES ('contacts', '1', 'Contact', '003A', 'email', ?, 'r0')", [T0])
        con.execute("INSERT INTO hubspot_contacts_snapshot VALUES ('1', 'smith', ?, false)", [T0])
        con.execute(
            "INSERT INTO salesforce_contacts_snapshot VALUES ('003A', 'Contact', 'SMITH', ?, ?, false)",
            [T0, INTEGRATION],
        )
        con.execute("INSERT INTO salesforce_field_times VALUES ('003A', 'LastName', ?, ?)", [T0, INTEGRATION])
        written(con, "r1", "salesforce", "smith", T0 - timedelta(minutes=30))
        written(con, "r2", "hubspot", "SMITH", T0 - timedelta(minutes=15))
        con.execute("INSERT INTO base_values VALUES ('contacts', '1', 'lastname', 'SMITH', ?, 'r2')", [T0])
        yield con


def written(con, run_id: str, target: str, value: str, at: datetime) -> None:
    """A confirmed write of crmsync's: its plan row and its audit row."""
    record = "003A" if target == "salesforce" else "1"
    field = "LastName" if target == "salesforce" else "lastname"
    insert_plan_rows(con, [PlanRow(
        run_id=run_id, pair="contacts", target=target, action="update", record_ref=record, hubspot_id="1",
        salesforce_object="Contact", salesforce_id="003A", field="lastname", target_field=field,
        new_value=value, canonical_value=value, reason="two_way:changed", planned_at=at,
    )])  # fmt: skip
    con.execute(
        "INSERT INTO audit_log VALUES (?, 'contacts', ?, ?, ?, ?, NULL, ?, false, ?, ?, 'confirmed')",
        [run_id, target, record, record, field, value, at, at],
    )


def plan(con, versions=None, run_id: str = "r3"):
    """The ping-pong step of a plan: the decisions after it, and what it did."""
    build_field_state(con, "contacts", PAIR, OwnerDirectory())
    decisions = decide_fields(con, in_sync=False)
    candidates = loop_candidates(con, "contacts", PAIR, decisions)
    latest = versions if versions is not None else {("1", "lastname"): WORKFLOW}
    loops = confirm_loops(candidates, PAIR, salesforce_users(con), latest)
    return hold_loops(con, run_id, "contacts", decisions, loops, T0 + timedelta(minutes=1))


def test_the_third_write_of_a_cycle_of_automation_rewrites_is_held_and_reviewed(con):
    decisions, done = plan(con)
    [d] = decisions
    assert (d.decision, d.reason) == ("skip", HELD)
    assert (done.opened, done.held) == (1, 1)
    [item] = open_items(con, kind="ping_pong")
    assert item.salesforce_ids == ["003A"]
    assert item.detail["field"] == "lastname" and item.detail["runs"] == ["r1", "r2"]
    assert (item.detail["hubspot"], item.detail["salesforce"]) == ("smith", "SMITH")
    assert "integration user (005INT) rewrote Contact.LastName to 'SMITH'" in item.detail["suspected"]
    assert "HubSpot workflow (sourceType AUTOMATION_PLATFORM" in item.detail["suspected"]
    # the next plan keeps it held without a second item
    decisions, done = plan(con, run_id="r4")
    assert decisions[0].reason == HELD and (done.opened, done.held) == (0, 1)


def test_the_automated_process_user_is_automation_too(con):
    con.execute("UPDATE salesforce_field_times SET changed_by = ?", [AUTOPROC])
    con.execute("INSERT INTO salesforce_edit_times VALUES ('003A', ?, ?)", [AUTOPROC, T0])
    _, done = plan(con)
    assert done.opened == 1
    assert "Automated Process user (005AUTO)" in open_items(con, kind="ping_pong")[0].detail["suspected"]


@pytest.mark.parametrize(
    "who",
    [
        "a person set the HubSpot value",
        "a person changed the Salesforce field",
        "a person edited the Salesforce record since crmsync's write",
        "HubSpot's history is older than the value read",
    ],
)
def test_a_persons_edit_is_never_taken_for_a_loop(con, who):
    versions = {("1", "lastname"): WORKFLOW}
    if who == "a person set the HubSpot value":
        versions = {("1", "lastname"): HubSpotVersion("smith", "CRM_UI", "userId:9")}
    elif who == "a person changed the Salesforce field":
        con.execute("UPDATE salesforce_field_times SET changed_by = ?", [PERSON])
    elif who == "a person edited the Salesforce record since crmsync's write":
        con.execute("INSERT INTO salesforce_edit_times VALUES ('003A', ?, ?)", [PERSON, T0])
    else:
        versions = {("1", "lastname"): HubSpotVersion("Smyth", "AUTOMATION_PLATFORM", None)}
    [d], done = plan(con, versions)
    assert d.decision == "write_salesforce" and done.opened == 0
    assert not open_items(con, kind="ping_pong")


def test_one_rewrite_carried_across_is_no_loop(con):
    con.execute("DELETE FROM audit_log WHERE run_id = 'r1'")
    [d], done = plan(con)
    assert d.decision == "write_salesforce" and done.opened == 0


def test_writes_older_than_the_last_three_writing_runs_do_not_count(con):
    for n, at in enumerate([T0 - timedelta(minutes=10), T0 - timedelta(minutes=5)]):
        con.execute(
            "INSERT INTO audit_log VALUES (?, 'contacts', 'salesforce', '003Z', '003Z', 'Title', NULL, 'x', "
            "false, ?, ?, 'confirmed')",
            [f"other{n}", at, at],
        )
    # r1 is now older than the three runs that wrote last (other1, other0, r2)
    con.execute("UPDATE audit_log SET intended_at = intended_at - INTERVAL 1 DAY WHERE run_id = 'r1'")
    [d], done = plan(con)
    assert d.decision == "write_salesforce" and done.opened == 0


def test_resolving_resumes_the_field_and_starts_the_count_afresh(con):
    plan(con)
    [item] = open_items(con, kind="ping_pong")
    with pytest.raises(ReviewError, match="--resume"):
        resolve(con, item.item_id, "create")
    assert resolve(con, item.item_id, "resume") == "resume"
    [d], done = plan(con, run_id="r4")
    assert d.decision == "write_salesforce" and done.opened == 0  # r1 and r2 came before the resolution


def test_keep_salesforce_sends_salesforces_value_across(con):
    plan(con)
    [item] = open_items(con, kind="ping_pong")
    assert resolve(con, item.item_id, "keep_salesforce") == "keep_salesforce"
    [d], _ = plan(con, run_id="r4")
    assert (d.decision, d.agreed_value) == ("write_hubspot", "SMITH")  # base moved to HubSpot's value


def test_skip_holds_the_field_for_good(con):
    plan(con)
    [item] = open_items(con, kind="ping_pong")
    resolve(con, item.item_id, "skip")
    [d], done = plan(con, run_id="r4")
    assert d.reason == HELD and done.opened == 0


def test_an_item_whose_sides_agree_settles_itself(con):
    plan(con)
    con.execute("UPDATE hubspot_contacts_snapshot SET lastname = 'SMITH'")
    _, done = plan(con, run_id="r4")
    assert done.settled == 1 and not open_items(con, kind="ping_pong")


# ---- one-sided loops: a direction that always sends one side's value, automation on the other ------

ALWAYS = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: Contact
    fields:
      - {hubspot: lastname, salesforce: LastName, direction: always_hubspot}
""").pair("contacts")


def one_sided(con, versions=None, run_id: str = "r3"):
    """Contact 1 <-> 003A after one crmsync write, under always_hubspot: 'smith' to Salesforce, which
    made it 'SMITH' in crmsync's own save (no write back to HubSpot)."""
    con.execute("DELETE FROM audit_log WHERE run_id = 'r2'")
    con.execute("DELETE FROM plan_rows WHERE run_id = 'r2'")
    con.execute("UPDATE base_values SET value = 'smith', run_id = 'r1'")
    build_field_state(con, "contacts", ALWAYS, OwnerDirectory())
    decisions = decide_fields(con, in_sync=False)
    candidates = loop_candidates(con, "contacts", ALWAYS, decisions)
    loops = confirm_loops(candidates, ALWAYS, salesforce_users(con), versions or {})
    return hold_loops(con, run_id, "contacts", decisions, loops, T0 + timedelta(minutes=1))


def test_the_second_write_of_a_value_salesforce_automation_turns_around_is_held(con):
    [d], done = one_sided(con)
    assert (d.decision, d.reason) == ("skip", HELD) and (done.opened, done.held) == (1, 1)
    [item] = open_items(con, kind="ping_pong")
    detail = item.detail
    assert (detail["loop"], detail["target"], detail["runs"]) == ("one_sided", "salesforce", ["r1"])
    assert (detail["crmsync_writes"], detail["automation_leaves"]) == ("smith", "SMITH")
    assert "integration user (005INT) rewrote Contact.LastName to 'SMITH'" in detail["suspected"]
    assert "HubSpot" not in detail["suspected"]  # HubSpot's side plays no part


def test_a_person_rewriting_salesforce_is_no_one_sided_loop(con):
    con.execute("INSERT INTO salesforce_edit_times VALUES ('003A', ?, ?)", [PERSON, T0])
    [d], done = one_sided(con)
    assert d.decision == "write_salesforce" and done.opened == 0


def test_the_second_write_of_a_value_a_hubspot_workflow_turns_around_is_held(con):
    """always_salesforce: crmsync wrote 'SMITH' to HubSpot, whose workflow made it 'smith'."""
    con.execute("UPDATE plan_rows SET target = 'hubspot', record_ref = '1', target_field = 'lastname', "
                "new_value = 'SMITH', canonical_value = 'SMITH'")  # fmt: skip
    con.execute("UPDATE audit_log SET target = 'hubspot', source_id = '1', record_id = '1', field = 'lastname', "
                "after_value = 'SMITH'")  # fmt: skip
    con.execute(
        "UPDATE salesforce_field_times SET changed_by = ?", [PERSON]
    )  # Salesforce's value is a person's
    pair = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: Contact
    fields:
      - {hubspot: lastname, salesforce: LastName, direction: always_salesforce}
""").pair("contacts")
    con.execute("UPDATE base_values SET value = 'SMITH', run_id = 'r1'")
    con.execute("DELETE FROM audit_log WHERE run_id = 'r2'")
    con.execute("DELETE FROM plan_rows WHERE run_id = 'r2'")
    build_field_state(con, "contacts", pair, OwnerDirectory())
    decisions = decide_fields(con, in_sync=False)
    candidates = loop_candidates(con, "contacts", pair, decisions)
    by_a_person = confirm_loops(candidates, pair, salesforce_users(con), {})
    assert by_a_person == []  # no history read: no verdict
    loops = confirm_loops(candidates, pair, salesforce_users(con), {("1", "lastname"): WORKFLOW})
    [d], done = hold_loops(con, "r3", "contacts", decisions, loops, T0 + timedelta(minutes=1))
    assert d.reason == HELD and done.opened == 1
    detail = open_items(con, kind="ping_pong")[0].detail
    assert (detail["target"], detail["crmsync_writes"], detail["automation_leaves"]) == (
        "hubspot",
        "SMITH",
        "smith",
    )
    assert "HubSpot workflow (sourceType AUTOMATION_PLATFORM, enrollmentId:7" in detail["suspected"]


def undone(con, target: str, value: str, at: datetime) -> None:
    """A confirmed write of `crmsync undo` (a run of its own, with audit rows and no plan rows)."""
    record = "003A" if target == "salesforce" else "1"
    field = "LastName" if target == "salesforce" else "lastname"
    con.execute(
        "INSERT INTO audit_log VALUES ('undo-1', 'contacts', ?, ?, ?, ?, NULL, ?, false, ?, ?, 'confirmed')",
        [target, record, record, field, value, at, at],
    )


@pytest.mark.parametrize("target", ["salesforce", "hubspot"])
def test_an_undos_write_is_never_taken_for_automation(con, target):
    """The soak's seed 13: an undo put Salesforce's own value back (as the integration user) after a
    run had written HubSpot's there. The next write of HubSpot's value is the direction at work, not a
    loop; an undo starts the count afresh, as a resolution does."""
    undone(con, target, "SMITH" if target == "salesforce" else "smith", T0 - timedelta(minutes=5))
    [d], done = one_sided(con)
    assert d.decision == "write_salesforce" and done.opened == 0
    assert not open_items(con, kind="ping_pong")


def test_an_undo_of_another_field_leaves_the_count_alone(con):
    con.execute(
        "INSERT INTO audit_log VALUES ('undo-1', 'contacts', 'salesforce', '003A', '003A', 'Title', NULL, 'x', "
        "false, ?, ?, 'confirmed')",
        [T0 - timedelta(minutes=5), T0 - timedelta(minutes=5)],
    )
    [d], done = one_sided(con)
    assert (d.reason, done.opened) == (HELD, 1)


def test_a_cycle_after_an_undo_is_still_a_loop(con):
    undone(con, "salesforce", "SMITH", T0 - timedelta(minutes=40))  # before r1 and r2
    _, done = plan(con)
    assert done.opened == 1


def test_an_undo_split_settles_itself_once_the_sides_agree(con):
    item = ReviewItem("undo_split:undo-1:contacts:1:lastname", "undo_split", "contacts", "1", ["003A"],
                      {"field": "lastname", "restored_on": "salesforce", "value": "SMITH"})  # fmt: skip
    open_review_items(con, [item], "undo-1", T0)
    build_field_state(con, "contacts", PAIR, OwnerDirectory())
    assert settle_agreed(con, "contacts", "undo_split", T0) == 0  # 'smith' and 'SMITH' still apart
    con.execute("UPDATE hubspot_contacts_snapshot SET lastname = 'SMITH'")
    build_field_state(con, "contacts", PAIR, OwnerDirectory())
    assert settle_agreed(con, "contacts", "undo_split", T0) == 1
    assert query_resolution(con) == [("in_sync",)]


def query_resolution(con) -> list[tuple]:
    return con.execute("SELECT resolution FROM review_items WHERE kind = 'undo_split'").fetchall()
