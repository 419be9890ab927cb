"""After a contact merge the state's view of deal-contact pairs names the survivor: the Salesforce
junction mirror follows a re-parented role, and the pairs both sides agreed on follow a HubSpot merge,
without two base rows for one pair when the survivor was on the deal already."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.extract.junctions import JUNCTIONS_TABLE
from crmsync_pipeline.plan.record_merge_links import (
    follow_hubspot_survivor_in_junctions,
    follow_salesforce_survivor_in_junctions,
)
from crmsync_pipeline.state import db

NOW = datetime(2026, 11, 1, tzinfo=UTC)
FIELD = "@junction:OpportunityContactRole:"


def test_agreed_pairs_and_junction_rows_follow_the_survivor(tmp_path: Path) -> None:
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(JUNCTIONS_TABLE)
        con.execute(
            "INSERT INTO salesforce_junctions VALUES ('OpportunityContactRole', 'r1', 'opp', 'loser', false, ?),"
            " ('OpportunityContactRole', 'r2', 'opp', 'master', false, ?)",
            [NOW, NOW],
        )
        con.executemany(
            "INSERT INTO base_values VALUES ('deals', ?, ?, '1', ?, 'run')",
            [("d1", FIELD + "11", NOW), ("d1", FIELD + "22", NOW), ("d2", FIELD + "11", NOW),
             ("d3", FIELD + "111", NOW), ("d4", "amount", NOW)],
        )  # fmt: skip

        follow_salesforce_survivor_in_junctions(con, "loser", "master")
        follow_hubspot_survivor_in_junctions(con, "11", "22")

        rows = con.execute("SELECT id, other_id FROM salesforce_junctions ORDER BY id").fetchall()
        assert rows == [("r1", "master"), ("r2", "master")]  # one pair on two rows: removed together
        agreed = con.execute("SELECT hubspot_id, field FROM base_values ORDER BY ALL").fetchall()
        assert agreed == [
            ("d1", FIELD + "22"),  # the survivor was on d1 already: one pair
            ("d2", FIELD + "22"),
            ("d3", FIELD + "111"),  # another contact whose id ends the same way is left alone
            ("d4", "amount"),
        ]
