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
    kind: str  # ambiguous_match | duplicate_lead | duplicate_hubspot | duplicate_salesforce | held_conflict | ...
    pair: str
    hubspot_id: str | None
    salesforce_ids: list[str] = field(default_factory=list)  # Salesforce records held by this item
    detail: dict[str, Any] = field(default_factory=dict)


def open_review_items(
    con: duckdb.DuckDBPyConnection,
    items: Iterable[ReviewItem],
    run_id: str,
    now: datetime,
    *,
    refresh: bool = False,
) -> int:
    """Open the items not open yet. With `refresh`, an item still open takes the kind, record and detail
    found now (e.g. the record a duplicate is kept against, once it is linked); a settled one stays
    settled: a person's decision is not reopened."""
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
        conflict = (
            "ON CONFLICT (item_id) DO UPDATE SET kind = excluded.kind, hubspot_id = excluded.hubspot_id, "
            "detail = excluded.detail WHERE review_items.settled_at IS NULL"
            if refresh
            else "ON CONFLICT DO NOTHING"
        )
        insert_rows(con, "review_items", rows, conflict)
    return len({row[0] for row in rows})
