"""A field's canonical form changing in the mapping (plan/mapping_changes.py): its base, kept in the old
form, is forgotten; a direction change, or another field's change, keeps base."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crmsync_pipeline.config import parse_mapping
from crmsync_pipeline.plan.mapping_changes import rebase_changed_forms
from crmsync_pipeline.state import db

SHIPPED = (Path(__file__).parents[2] / "crmsync.yaml").read_text()
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        for field, value in (("industry", "Technology"), ("name", "Acme"), ("domain", "acme.io")):
            con.execute(
                "INSERT INTO base_values VALUES ('companies', 'h1', ?, ?, ?, 'r0')", [field, value, NOW]
            )
        yield con


def bases(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT field FROM base_values ORDER BY field").fetchall()]


def test_a_value_map_change_forgets_that_fields_base_only(con):
    assert rebase_changed_forms(con, parse_mapping(SHIPPED), "companies", "r1", NOW) == []  # first seen
    assert bases(con) == ["domain", "industry", "name"]
    remapped = parse_mapping(SHIPPED.replace("      INTERNET: Technology\n", "      INTERNET: Media\n"))
    assert rebase_changed_forms(con, remapped, "companies", "r2", NOW) == ["industry"]
    assert bases(con) == ["domain", "name"]
    assert rebase_changed_forms(con, remapped, "companies", "r3", NOW) == []  # once


def test_a_direction_change_keeps_base_and_a_transform_change_does_not(con):
    rebase_changed_forms(con, parse_mapping(SHIPPED), "companies", "r1", NOW)
    turned = SHIPPED.replace(
        "{hubspot: name, salesforce: Name, direction: two_way",
        "{hubspot: name, salesforce: Name, direction: always_hubspot",
    )
    assert turned != SHIPPED
    assert rebase_changed_forms(con, parse_mapping(turned), "companies", "r2", NOW) == []
    assert con.execute("SELECT direction FROM mapped_fields WHERE field = 'name'").fetchall() == [
        ("always_hubspot",)
    ]
    bare = turned.replace("transform: {kind: domain, url_on: salesforce}", "transform: domain")
    assert rebase_changed_forms(con, parse_mapping(bare), "companies", "r3", NOW) == ["domain"]
    assert bases(con) == ["industry", "name"]
