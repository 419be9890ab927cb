"""From snapshots, links and base to merge decisions and plan rows, through the mapping's transforms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.config import OwnerDirectory, parse_mapping
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.merge import decide_fields
from crmsync_pipeline.plan.updates import plan_updates
from crmsync_pipeline.state import db

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MAPPING = parse_mapping("""
version: 1
objects:
  deals:
    hubspot: deals
    salesforce: Opportunity
    fields:
      - {hubspot: amount, salesforce: Amount, direction: two_way, transform: number}
      - {hubspot: dealstage, salesforce: StageName, direction: two_way, transform: stage}
      - {hubspot: hubspot_owner_id, salesforce: OwnerId, direction: prefer_salesforce, transform: owner}
    deal_stages:
      pipeline_property: pipeline
      default_pipeline: default
      pipelines:
        default:
          both_ways: {decisionmakerboughtin: Negotiation/Review, closedwon: Closed Won}
          hubspot_to_salesforce: {contractsent: Negotiation/Review}
""")
PAIR = MAPPING.pair("deals")
OWNERS = OwnerDirectory(hubspot={"11": "Ada@Example.org"}, salesforce={"005A": "ada@example.org"})


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(
            "CREATE TABLE hubspot_deals_snapshot (id VARCHAR PRIMARY KEY, dealstage VARCHAR, amount VARCHAR, "
            "pipeline VARCHAR, hubspot_owner_id VARCHAR, _modified_at TIMESTAMPTZ, _archived BOOLEAN)"
        )
        con.execute(
            "CREATE TABLE salesforce_deals_snapshot (id VARCHAR PRIMARY KEY, _sobject VARCHAR, "
            '"StageName" VARCHAR, "Amount" VARCHAR, "OwnerId" VARCHAR, _modified_at TIMESTAMPTZ, '
            "_deleted BOOLEAN)"
        )
        yield con


def add_deal(con, hubspot_id, stage, amount, salesforce_id, sf_stage, sf_amount, owner="11", sf_owner="005A"):
    con.execute(
        "INSERT INTO hubspot_deals_snapshot VALUES (?, ?, ?, 'default', ?, ?, false)",
        [hubspot_id, stage, amount, owner, T0],
    )
    con.execute(
        "INSERT INTO salesforce_deals_snapshot VALUES (?, 'Opportunity', ?, ?, ?, ?, false)",
        [salesforce_id, sf_stage, sf_amount, sf_owner, T0],
    )
    con.execute(
        "INSERT INTO links VALUES ('deals', ?, 'Opportunity', ?, 'email', now(), 'r0')",
        [hubspot_id, salesforce_id],
    )


def decisions(con):
    result = build_field_state(con, "deals", PAIR, OWNERS)
    return result, {(d.hubspot_id, d.field): (d.decision, d.agreed_value) for d in decide_fields(con)}


def test_many_to_one_stage_number_forms_and_owners_by_email_compare_as_in_sync(con):
    add_deal(con, "1", "contractsent", "1200", "006A", "Negotiation/Review", "1200.0")
    _, decided = decisions(con)
    assert decided == {
        ("1", "dealstage"): ("in_sync", "Negotiation/Review"),
        ("1", "amount"): ("in_sync", "1200"),
        ("1", "hubspot_owner_id"): ("in_sync", "ada@example.org"),
    }


def test_values_a_transform_cannot_place_are_reported_not_synced(con):
    add_deal(con, "1", "nosuchstage", "5", "006A", "Closed Won", "5", owner="99")
    result, decided = decisions(con)
    assert ("1", "dealstage") not in decided and ("1", "hubspot_owner_id") not in decided
    assert {(i.side, i.field, i.value) for i in result.issues} == {
        ("hubspot", "dealstage", "nosuchstage"),
        ("hubspot", "hubspot_owner_id", "99"),
    }


def test_archived_or_deleted_records_have_no_field_state(con):
    add_deal(con, "1", "closedwon", "1", "006A", "Closed Won", "1")
    add_deal(con, "2", "closedwon", "1", "006B", "Closed Won", "1")
    con.execute("UPDATE hubspot_deals_snapshot SET _archived = true WHERE id = '1'")
    con.execute("UPDATE salesforce_deals_snapshot SET _deleted = true WHERE id = '006B'")
    assert decisions(con)[1] == {}


def test_plan_writes_changes_in_the_target_form_records_conflicts_and_moves_base(con):
    add_deal(con, "1", "closedwon", "1200", "006A", "Negotiation/Review", "1200")  # HubSpot moved the stage
    add_deal(con, "2", "contractsent", "900", "006B", "Negotiation/Review", "950")  # both changed the amount
    con.execute(
        "INSERT INTO base_values VALUES ('deals', '1', 'dealstage', 'Negotiation/Review', now(), 'r0')"
    )
    con.execute("INSERT INTO base_values VALUES ('deals', '2', 'amount', '800', now(), 'r0')")
    con.execute(
        "UPDATE salesforce_deals_snapshot SET _modified_at = _modified_at + INTERVAL 1 HOUR WHERE id = '006B'"
    )
    build_field_state(con, "deals", PAIR, OWNERS)
    summary = plan_updates(con, "r1", PAIR, OWNERS, decide_fields(con), T0)
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
    assert base["1:amount"] == "1200" and base["2:dealstage"] == "Negotiation/Review"
    assert summary.conflicts == 1 and summary.records == {"hubspot": 1, "salesforce": 1}


def test_a_stage_written_back_to_hubspot_is_a_stage_id(con):
    add_deal(con, "1", "closedwon", "1", "006A", "Negotiation/Review", "1")
    con.execute("INSERT INTO base_values VALUES ('deals', '1', 'dealstage', 'Closed Won', now(), 'r0')")
    build_field_state(con, "deals", PAIR, OWNERS)
    plan_updates(con, "r1", PAIR, OWNERS, decide_fields(con), T0)
    assert con.execute("SELECT target, new_value FROM plan_rows").fetchall() == [
        ("hubspot", "decisionmakerboughtin")
    ]
