"""From snapshots, links and base to merge decisions, with canonical transforms in between."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.pipeline.field_state import FieldRule, build_field_state
from crmsync_pipeline.pipeline.merge import decide_fields
from crmsync_pipeline.state import db

T0 = datetime(2026, 11, 1, tzinfo=UTC)
STAGE_TO_SALESFORCE = {
    "decisionmakerboughtin": "Negotiation/Review",
    "contractsent": "Negotiation/Review",
    "closedwon": "Closed Won",
}
RULES = [
    FieldRule(
        "dealstage",
        "dealstage",
        {"Opportunity": "StageName"},
        "two_way",
        hubspot_to_canonical=lambda v: STAGE_TO_SALESFORCE.get(v, v),
    ),
    FieldRule(
        "amount",
        "amount",
        {"Opportunity": "Amount"},
        "two_way",
        hubspot_to_canonical=lambda v: None if v in (None, "") else f"{float(v):g}",
        salesforce_to_canonical=lambda v: None if v in (None, "") else f"{float(v):g}",
    ),
]


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(
            "CREATE TABLE hubspot_deals_snapshot (id VARCHAR PRIMARY KEY, dealstage VARCHAR, amount VARCHAR, "
            "_modified_at TIMESTAMPTZ, _archived BOOLEAN)"
        )
        con.execute(
            "CREATE TABLE salesforce_deals_snapshot (id VARCHAR PRIMARY KEY, _sobject VARCHAR, "
            '"StageName" VARCHAR, "Amount" VARCHAR, _modified_at TIMESTAMPTZ, _deleted BOOLEAN)'
        )
        yield con


def add_deal(con, hubspot_id, stage, amount, salesforce_id, sf_stage, sf_amount):
    con.execute(
        "INSERT INTO hubspot_deals_snapshot VALUES (?, ?, ?, ?, false)", [hubspot_id, stage, amount, T0]
    )
    con.execute(
        "INSERT INTO salesforce_deals_snapshot VALUES (?, 'Opportunity', ?, ?, ?, false)",
        [salesforce_id, sf_stage, sf_amount, T0],
    )
    con.execute(
        "INSERT INTO links VALUES ('deals', ?, 'Opportunity', ?, 'email', now(), 'r0')",
        [hubspot_id, salesforce_id],
    )


def decisions(con):
    build_field_state(con, "deals", RULES, "hubspot_deals_snapshot", "salesforce_deals_snapshot")
    return {(d.hubspot_id, d.field): (d.decision, d.agreed_value) for d in decide_fields(con)}


def test_many_to_one_stage_and_number_forms_compare_as_in_sync(con):
    add_deal(con, "1", "contractsent", "1200", "006A", "Negotiation/Review", "1200.0")
    assert decisions(con) == {
        ("1", "dealstage"): ("in_sync", "Negotiation/Review"),
        ("1", "amount"): ("in_sync", "1200"),
    }


def test_a_change_against_base_is_written_to_the_other_side(con):
    add_deal(con, "1", "closedwon", "1200", "006A", "Negotiation/Review", "1200")
    con.execute(
        "INSERT INTO base_values VALUES ('deals', '1', 'dealstage', 'Negotiation/Review', now(), 'r0')"
    )
    assert decisions(con)[("1", "dealstage")] == ("write_salesforce", "Closed Won")


def test_archived_or_deleted_records_have_no_field_state(con):
    add_deal(con, "1", "closedwon", "1", "006A", "Closed Won", "1")
    add_deal(con, "2", "closedwon", "1", "006B", "Closed Won", "1")
    con.execute("UPDATE hubspot_deals_snapshot SET _archived = true WHERE id = '1'")
    con.execute("UPDATE salesforce_deals_snapshot SET _deleted = true WHERE id = '006B'")
    assert decisions(con) == {}


def test_plan_writes_changes_records_conflicts_and_moves_base_for_agreement(con):
    from crmsync_pipeline.pipeline.plan import plan_updates

    add_deal(con, "1", "closedwon", "1200", "006A", "Negotiation/Review", "1200")  # HubSpot moved the stage
    add_deal(con, "2", "contractsent", "900", "006B", "Negotiation/Review", "950")  # both changed the amount
    con.execute(
        "INSERT INTO base_values VALUES ('deals', '1', 'dealstage', 'Negotiation/Review', now(), 'r0')"
    )
    con.execute("INSERT INTO base_values VALUES ('deals', '2', 'amount', '800', now(), 'r0')")
    con.execute(
        "UPDATE salesforce_deals_snapshot SET _modified_at = _modified_at + INTERVAL 1 HOUR WHERE id = '006B'"
    )
    build_field_state(con, "deals", RULES, "hubspot_deals_snapshot", "salesforce_deals_snapshot")
    summary = plan_updates(con, "r1", RULES, decide_fields(con), T0)
    rows = con.execute(
        "SELECT target, record_ref, target_field, old_value, new_value, reason FROM plan_rows ORDER BY target"
    ).fetchall()
    assert rows == [
        ("hubspot", "2", "amount", "900", "950", "two_way:both_changed_salesforce_newer"),
        ("salesforce", "006A", "StageName", "Negotiation/Review", "Closed Won", "two_way:hubspot_changed"),
    ]
    assert con.execute("SELECT field, hubspot_value, salesforce_value, winner FROM conflicts").fetchall() == [
        ("amount", "900", "950", "salesforce")
    ]
    base = dict(con.execute("SELECT hubspot_id || ':' || field, value FROM base_values").fetchall())
    assert base["1:amount"] == "1200" and base["2:dealstage"] == "Negotiation/Review"  # agreement recorded
    assert summary.conflicts == 1 and summary.records == {"hubspot": 1, "salesforce": 1}
