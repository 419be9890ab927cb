"""After a lost state file, a record whose cross-reference id names a record the other side deleted is
an orphan of an old link, not a new record: it is not created again (unless deletes say `restore`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crmsync_pipeline.config import Side, load_mapping
from crmsync_pipeline.plan.creates import _unlinked

SOAK_MAPPING = Path(__file__).parents[2] / "bench" / "soak" / "mapping.yaml"


def test_a_record_whose_partner_was_deleted_is_not_planned_for_creation_again(tmp_path):
    pair = load_mapping(SOAK_MAPPING).pair("contacts")
    con = duckdb.connect(str(tmp_path / "state.duckdb"))
    con.execute("CREATE TABLE links (pair VARCHAR, hubspot_id VARCHAR, salesforce_id VARCHAR)")
    con.execute("CREATE TABLE review_items (pair VARCHAR, hubspot_id VARCHAR, salesforce_ids VARCHAR[], "
                "settled_at TIMESTAMPTZ, resolution VARCHAR)")  # fmt: skip
    con.execute(
        "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, crmsync_salesforce_id VARCHAR, _archived BOOLEAN)"
    )
    con.execute("CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _deleted BOOLEAN)")
    con.execute(
        "INSERT INTO hubspot_contacts_snapshot VALUES ('1', '003000000000001AAA', false), "
        "('2', '003000000000002AAA', false), ('3', NULL, false)"
    )
    # 001 was deleted in Salesforce; 002 is live (a crash left the HubSpot side's id written, no link)
    con.execute(
        "INSERT INTO salesforce_contacts_snapshot VALUES ('003000000000001AAA', true), ('003000000000002AAA', false)"
    )

    planned = [r["id"] for r in _unlinked(con, "contacts", Side.HUBSPOT, {"1", "2", "3"}, pair)]

    assert planned == ["2", "3"]
