"""The rule for values a CRM fills in on a record crmsync created, per direction, through the plan's own
field_state and merge over a hand-built state file: carried to the source, or accepted as the created
side's form of base so the next plan writes nothing (docs/design.md, "Values a CRM fills on create")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.config import OwnerDirectory, parse_mapping
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.merge import decide_fields
from crmsync_pipeline.state import db
from crmsync_pipeline.write.created_values import accept_fills, settle_rule

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DIRECTIONS = [
    "two_way",
    "prefer_hubspot",
    "prefer_salesforce",
    "always_hubspot",
    "always_salesforce",
    "create_only",
]
MAPPING = parse_mapping(
    "version: 1\nobjects:\n  people:\n    hubspot: contacts\n    salesforce: Lead\n    fields:\n"
    + "".join(f"      - {{hubspot: h_{d}, salesforce: S_{d}__c, direction: {d}}}\n" for d in DIRECTIONS)
)
PAIR = MAPPING.pair("people")
OWNERS = OwnerDirectory(hubspot={}, salesforce={})


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        hubspot = ", ".join(f"h_{d} VARCHAR" for d in DIRECTIONS)
        salesforce = ", ".join(f'"S_{d}__c" VARCHAR' for d in DIRECTIONS)
        con.execute(
            f"CREATE TABLE hubspot_people_snapshot (id VARCHAR PRIMARY KEY, {hubspot}, "
            "_modified_at TIMESTAMPTZ, _archived BOOLEAN)"
        )
        con.execute(
            f"CREATE TABLE salesforce_people_snapshot (id VARCHAR PRIMARY KEY, _sobject VARCHAR, {salesforce}, "
            "_modified_at TIMESTAMPTZ, _deleted BOOLEAN)"
        )
        yield con


def created_in_salesforce(con, hubspot_id: str, salesforce_id: str, sent: str | None, stored: str) -> None:
    """HubSpot record `hubspot_id` holding `sent` in every field, created as Lead `salesforce_id`, which
    Salesforce stored as `stored` in every field; base is what the create wrote."""
    con.execute(
        f"INSERT INTO hubspot_people_snapshot VALUES (?, {', '.join('?' for _ in DIRECTIONS)}, ?, false)",
        [hubspot_id, *[sent] * len(DIRECTIONS), T0],
    )
    con.execute(
        f"INSERT INTO salesforce_people_snapshot VALUES (?, 'Lead', {', '.join('?' for _ in DIRECTIONS)}, ?, false)",
        [salesforce_id, *[stored] * len(DIRECTIONS), T0],
    )
    con.execute(
        "INSERT INTO links VALUES ('people', ?, 'Lead', ?, 'created', ?, 'r1')",
        [hubspot_id, salesforce_id, T0],
    )
    for d in DIRECTIONS:
        con.execute(
            "INSERT INTO base_values VALUES ('people', ?, ?, ?, ?, 'r1')", [hubspot_id, f"h_{d}", sent, T0]
        )


def settled(con):
    build_field_state(con, "people", PAIR, OWNERS)
    rule = settle_rule("salesforce", PAIR, decide_fields(con, in_sync=False))
    carried = {(d.hubspot_id, d.field.removeprefix("h_")): (d.decision, d.reason) for d in rule.carried}
    accepted = {(d.hubspot_id, d.field.removeprefix("h_")): d.salesforce_value for d in rule.accepted}
    return rule, carried, accepted


def test_a_fill_over_an_empty_source_crosses_unless_the_source_always_wins(con):
    created_in_salesforce(con, "1", "00Q1", None, "Open")  # Salesforce's default, HubSpot empty
    _, carried, accepted = settled(con)
    assert carried == {
        ("1", "two_way"): ("write_hubspot", "two_way:filled_on_create"),
        ("1", "prefer_hubspot"): ("write_hubspot", "prefer_hubspot:filled_on_create"),
        ("1", "prefer_salesforce"): ("write_hubspot", "prefer_salesforce:filled_on_create"),
        ("1", "always_salesforce"): ("write_hubspot", "always_salesforce:filled_on_create"),
    }
    assert accepted == {("1", "always_hubspot"): "Open"}  # HubSpot's empty is never pushed over it


def test_a_rewrite_of_a_source_value_is_kept_where_the_source_would_win(con):
    created_in_salesforce(con, "1", "00Q1", "555.867.5309", "(555) 867-5309")  # a before-save flow
    _, carried, accepted = settled(con)
    assert set(carried) == {("1", "two_way"), ("1", "prefer_salesforce"), ("1", "always_salesforce")}
    assert accepted == {("1", "prefer_hubspot"): "(555) 867-5309", ("1", "always_hubspot"): "(555) 867-5309"}


def test_an_accepted_value_counts_as_base_until_base_moves(con):
    created_in_salesforce(con, "1", "00Q1", "555.867.5309", "(555) 867-5309")
    rule, _, _ = settled(con)
    accept_fills(con, "people", "r1", "salesforce", rule.accepted, T0)

    build_field_state(con, "people", PAIR, OWNERS)
    decided = {d.field: d.decision for d in decide_fields(con)}
    assert decided["h_always_hubspot"] == "in_sync" and decided["h_prefer_hubspot"] == "in_sync"
    assert decided["h_two_way"] == "write_hubspot"  # not accepted: the merge carries it (as settle did)

    # HubSpot's value changes and is written: base moves, and the accepted form no longer stands for it
    con.execute("UPDATE hubspot_people_snapshot SET h_always_hubspot = '555.000.0000'")
    build_field_state(con, "people", PAIR, OWNERS)
    decided = {d.field: (d.decision, d.reason) for d in decide_fields(con)}
    assert decided["h_always_hubspot"] == ("write_salesforce", "always_hubspot")
    con.execute(
        "UPDATE base_values SET value = '555.000.0000', agreed_at = ? WHERE field = 'h_always_hubspot'",
        [datetime(2026, 11, 2, tzinfo=UTC)],
    )
    con.execute("""UPDATE salesforce_people_snapshot SET "S_always_hubspot__c" = '555.000.0000'""")
    build_field_state(con, "people", PAIR, OWNERS)
    assert {d.field: d.decision for d in decide_fields(con)}["h_always_hubspot"] == "in_sync"
    con.execute("""UPDATE salesforce_people_snapshot SET "S_always_hubspot__c" = '(555) 867-5309'""")
    build_field_state(con, "people", PAIR, OWNERS)
    decided = {d.field: (d.decision, d.reason) for d in decide_fields(con)}
    assert decided["h_always_hubspot"] == ("write_salesforce", "always_hubspot:overridden")


def test_create_only_and_agreeing_fields_are_left_alone(con):
    created_in_salesforce(con, "1", "00Q1", "same", "same")
    rule, carried, accepted = settled(con)
    assert carried == {} and accepted == {}
