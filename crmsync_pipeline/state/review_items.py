"""Review items: what a person must decide (ambiguous matches, duplicate Leads, held conflicts).
Records named in an open item are neither linked nor created until it is settled."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.state.bulk import insert_rows


@dataclass(frozen=True)
class ReviewItem:
    item_id: str  # stable, so that a re-run does not open the same item twice
    kind: str  # ambiguous_match | duplicate_lead | held_conflict
    pair: str
    hubspot_id: str | None
    salesforce_ids: list[str] = field(default_factory=list)  # Salesforce records held by this item
    detail: dict[str, Any] = field(default_factory=dict)


def open_review_items(
    con: duckdb.DuckDBPyConnection, items: Iterable[ReviewItem], run_id: str, now: datetime
) -> int:
    rows = [
        (
            i.item_id,
            i.kind,
            i.pair,
            i.hubspot_id,
            i.salesforce_ids,
            json.dumps(i.detail),
            now,
            run_id,
            None,
            None,
        )
        for i in items
    ]
    if rows:
        insert_rows(con, "review_items", rows, "ON CONFLICT DO NOTHING")
    return len({row[0] for row in rows})
