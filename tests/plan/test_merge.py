"""The per-field three-way merge, one scenario per rule of docs/design.md's merge semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from crmsync_pipeline.config import Direction
from crmsync_pipeline.plan.merge import create_field_state, decide_fields
from crmsync_pipeline.state.db import SQL_DIR

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NO_BASE = object()


def field_state_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the temp table field_state and the state table the merge reads
    besides (first_link_values, empty: no field was judged before)."""
    con = duckdb.connect()
    create_field_state(con)
    con.execute((SQL_DIR / "schema" / "016_first_link_values.sql").read_text())
    return con


def decide(
    direction,
    hubspot,
    salesforce,
    base=NO_BASE,
    hubspot_at=T0,
    salesforce_at=T0,
    field_times=True,
    first=None,
):
    """One field_state row decided; `field_times`: each side's time is the field's own (HubSpot property
    history, a Salesforce field time), not only the record's; `first`: (HubSpot, Salesforce) as an earlier
    plan judged the field without a base (first_link_values)."""
    con = field_state_connection()
    if first is not None:
        con.execute(
            "INSERT INTO first_link_values VALUES ('contacts', '1', '003A', 'jobtitle', ?, ?, ?, 'r0')",
            [*first, T0],
        )
    con.execute(
        "INSERT INTO field_state VALUES ('contacts', '1', 'Contact', '003A', 'jobtitle', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            direction,
            Direction(direction).preferred_side.value,
            hubspot,
            salesforce,
            hubspot,
            salesforce,
            None,
            None if base is NO_BASE else base,
            base is not NO_BASE,
            hubspot_at,
            hubspot_at if field_times else None,
            salesforce_at,
            salesforce_at if field_times else None,
        ],
    )
    [row] = decide_fields(con)
    return row


LATER = T0 + timedelta(seconds=10)
SKEWED = T0 + timedelta(seconds=1)


@pytest.mark.parametrize(
    (
        "direction",
        "hubspot",
        "salesforce",
        "base",
        "hubspot_at",
        "salesforce_at",
        "decision",
        "reason",
        "agreed",
    ),
    [
        # one side changed: it wins, whatever the timestamps say
        ("two_way", "b", "a", "a", T0, LATER, "write_salesforce", "two_way:hubspot_changed", "b"),
        ("two_way", "a", "b", "a", LATER, T0, "write_hubspot", "two_way:salesforce_changed", "b"),
        ("prefer_hubspot", "a", "b", "a", T0, T0, "write_hubspot", "prefer_hubspot:salesforce_changed", "b"),
        # both changed: the newer wins; within the 2 s skew window the preferred side does
        ("two_way", "b", "c", "a", LATER, T0, "write_salesforce", "two_way:both_changed_hubspot_newer", "b"),
        (
            "two_way",
            "b",
            "c",
            "a",
            SKEWED,
            T0,
            "write_hubspot",
            "two_way:both_changed_within_skew_salesforce_preferred",
            "c",
        ),
        (
            "prefer_hubspot",
            "b",
            "c",
            "a",
            T0,
            SKEWED,
            "write_salesforce",
            "prefer_hubspot:both_changed_within_skew_hubspot_preferred",
            "b",
        ),
        # first link: the preferred side wins unless it is empty; two_way takes the newer
        (
            "prefer_salesforce",
            "h",
            "s",
            NO_BASE,
            LATER,
            T0,
            "write_hubspot",
            "prefer_salesforce:first_link",
            "s",
        ),
        ("prefer_salesforce", "h", None, NO_BASE, T0, T0, "write_salesforce", "fill_empty", "h"),
        ("two_way", "h", "s", NO_BASE, T0, LATER, "write_hubspot", "two_way:first_link_newer", "s"),
        # a clear of a set value is a real change and propagates
        ("two_way", None, "a", "a", T0, T0, "write_salesforce", "two_way:hubspot_changed", None),
        (
            "prefer_salesforce",
            "a",
            None,
            "a",
            T0,
            T0,
            "write_hubspot",
            "prefer_salesforce:salesforce_changed",
            None,
        ),
        # an empty value that was never set never overwrites data, whatever the direction
        ("two_way", None, "a", NO_BASE, LATER, T0, "write_hubspot", "fill_empty", "a"),
        ("always_salesforce", "a", None, NO_BASE, T0, T0, "skip", "never_set_empty", None),
        ("always_hubspot", None, "a", NO_BASE, T0, T0, "skip", "never_set_empty", None),
        # an empty base is agreed empty, not never set: an edit is a change like any other
        ("always_salesforce", "a", None, None, T0, T0, "write_hubspot", "always_salesforce:overridden", None),
        ("always_hubspot", None, "a", None, T0, T0, "write_salesforce", "always_hubspot:overridden", None),
        ("two_way", "a", None, None, T0, T0, "write_salesforce", "two_way:hubspot_changed", "a"),
        (
            "prefer_salesforce",
            None,
            "a",
            None,
            T0,
            T0,
            "write_hubspot",
            "prefer_salesforce:salesforce_changed",
            "a",
        ),
        # always_<side>: the other side's edit is reverted and recorded as overridden; clears go too
        ("always_hubspot", "a", "b", "a", T0, LATER, "write_salesforce", "always_hubspot:overridden", "a"),
        ("always_salesforce", "b", None, "b", T0, T0, "write_hubspot", "always_salesforce", None),
        # agreement (also of a many-to-one map, compared in canonical form) just moves base
        ("two_way", "x", "x", "y", T0, T0, "in_sync", "agree", "x"),
        ("none", "a", "b", "a", T0, T0, "skip", "none", None),
        ("create_only", "a", "b", "a", T0, T0, "skip", "create_only", None),
        ("resolver", "a", "b", "a", T0, T0, "hold", "resolver", None),
    ],
)
def test_merge_rule(
    direction, hubspot, salesforce, base, hubspot_at, salesforce_at, decision, reason, agreed
):
    row = decide(direction, hubspot, salesforce, base, hubspot_at, salesforce_at)
    assert (row.decision, row.reason, row.agreed_value) == (decision, reason, agreed)


def test_both_changed_is_a_conflict_and_one_side_changed_is_not():
    assert decide("two_way", "b", "c", "a").is_conflict
    assert not decide("two_way", "b", "a", "a").is_conflict
    assert not decide("two_way", "h", "s").is_conflict  # first link: nothing to conflict with


def test_a_first_link_is_judged_by_each_fields_own_time_where_crmsync_has_it():
    """A later edit of another Salesforce field moves the record's time, not the field's: the field's own
    times decide, and a first link judged by a record's time says so in its reason."""
    con = field_state_connection()
    # HubSpot's property changed after the Salesforce field; the Salesforce record changed last (Title)
    con.execute(
        "INSERT INTO field_state VALUES ('contacts', '1', 'Contact', '003A', 'firstname', 'two_way', "
        "'salesforce', 'Daniel', 'Danny', 'Daniel', 'Danny', NULL, NULL, false, ?, ?, ?, ?)",
        [LATER, LATER, LATER + timedelta(seconds=3), T0],
    )
    [row] = decide_fields(con)
    assert (row.decision, row.reason, row.agreed_value) == (
        "write_salesforce",
        "two_way:first_link_newer",
        "Daniel",
    )


def test_a_first_link_without_a_fields_own_time_falls_back_to_the_records_and_says_so():
    row = decide("two_way", "h", "s", NO_BASE, T0, LATER, field_times=False)
    assert (row.decision, row.reason) == ("write_hubspot", "two_way:first_link_newer:record_times")
    # a change since base is judged as before: a person's time, the field's own where known
    row = decide("two_way", "b", "c", "a", LATER, T0, field_times=False)
    assert row.reason == "two_way:both_changed_hubspot_newer"


@pytest.mark.parametrize(
    "direction, hubspot, salesforce, decision, reason",
    [
        # Salesforce's title went to HubSpot at the first judgement (prefer_salesforce), but HubSpot
        # moved since and Salesforce did not: HubSpot's edit is the change
        (
            "prefer_salesforce",
            "edited",
            "s0",
            "write_salesforce",
            "prefer_salesforce:first_link_hubspot_changed",
        ),
        ("prefer_hubspot", "h0", "edited", "write_hubspot", "prefer_hubspot:first_link_salesforce_changed"),
        ("two_way", "h0", "edited", "write_hubspot", "two_way:first_link_salesforce_changed"),
        # a clear since is a change too, never an empty "never set" that the other side fills
        ("prefer_hubspot", None, "s0", "write_salesforce", "prefer_hubspot:first_link_hubspot_changed"),
        ("two_way", "h0", None, "write_hubspot", "two_way:first_link_salesforce_changed"),
        # neither moved, or both: the first-link rule, as at the first judgement
        ("prefer_salesforce", "h0", "s0", "write_hubspot", "prefer_salesforce:first_link"),
        ("prefer_salesforce", "h1", "s1", "write_hubspot", "prefer_salesforce:first_link"),
        # always_<side> looks only at that side: a clear of it since is sent, never taken for never set
        ("always_salesforce", "edited", "s0", "write_hubspot", "always_salesforce"),
        ("always_hubspot", None, "s0", "write_salesforce", "always_hubspot:first_link_hubspot_changed"),
        ("always_hubspot", None, "s1", "write_salesforce", "always_hubspot:first_link_hubspot_changed"),
        ("always_hubspot", "h0", None, "write_salesforce", "fill_empty"),
    ],
)
def test_a_side_that_moved_since_a_first_judgement_is_the_change(
    direction, hubspot, salesforce, decision, reason
):
    row = decide(direction, hubspot, salesforce, first=("h0", "s0"))
    assert (row.decision, row.reason) == (decision, reason)
    assert row.agreed_value == (hubspot if decision == "write_salesforce" else salesforce)
