"""Writes a CRM refused for one field (docs/design.md, "Writes a CRM does not apply"): HubSpot answers
200 to an update and keeps a value it refuses silently, as it does for a contact's lifecycle stage
moved backward (it moves only forward unless cleared first); the write step marks such a field's audit
row `not_applied` (write/batch.py, from the properties HubSpot's answer leaves out). A portal that
answers with an error instead (a code pinned on that field, not a transient one) is treated alike.

Writing the value again would be refused again, every cycle; and the value HubSpot kept is no edit to
carry to the other side (base holds the value written). So while both sides still hold what they held
then (sql/plan/not_applied_writes.sql), the plan writes that field of that link neither way (reason
`not_applied:unchanged`) and keeps a review item of kind `not_applied` open naming the field, the value
written, the value kept and what to do. The item settles itself ('changed') once either side changes:
a person cleared the stage in HubSpot, or moved it on either side, and the field syncs by its rule."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import duckdb

from crmsync_pipeline.connectors.errors import TRANSIENT_CODES
from crmsync_pipeline.plan.holds import HeldFields, skip_held
from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items

KIND = "not_applied"
HELD = "not_applied:unchanged"
CODE = "NOT_APPLIED"
_WHY = {
    "lifecyclestage": "HubSpot moves a lifecycle stage only forward; clear the stage in HubSpot first, "
    "then the next sync writes it"
}


class Unapplied(NamedTuple):
    """A row of sql/plan/not_applied_writes.sql."""

    hubspot_id: str
    salesforce_id: str
    field: str
    target: str
    target_field: str
    written: str | None
    kept: str | None
    run_id: str
    code: str  # NOT_APPLIED, or the CRM's own error code
    error_message: str | None

    def review_item(self, pair_name: str) -> ReviewItem:
        crm = "HubSpot" if self.target == "hubspot" else "Salesforce"
        why = _WHY.get(
            self.target_field,
            f"{crm} kept its value" + (f" ({self.error_message})" if self.error_message else ""),
        )
        answered = "answered 200 to" if self.code == CODE else f"refused ({self.code})"
        return ReviewItem(
            f"{KIND}:{pair_name}:{self.hubspot_id}:{self.field}:{self.run_id}",
            KIND,
            pair_name,
            self.hubspot_id,
            [self.salesforce_id],
            {
                "field": self.field,
                "target": self.target,
                "target_field": self.target_field,
                "written": self.written,
                "kept": self.kept,
                "code": self.code,
                "message": (
                    f"{crm} {answered} {self.target_field} = {self.written!r} and kept {self.kept!r}: "
                    f"{why}. Until either side changes, crmsync writes this field of this record neither way."
                ),
                "run": self.run_id,
            },
        )


def hold_unapplied(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, decisions: list[FieldDecision], now: datetime
) -> tuple[list[FieldDecision], HeldFields]:
    """Turn the planned writes of fields whose last write was not applied (and nothing changed since)
    into skips; open an item per such field, settle the items whose field changed since."""
    found = con.execute(
        sql("plan/not_applied_writes.sql"), {"pair": pair_name, "transient": sorted(TRANSIENT_CODES)}
    ).fetchall()
    rows = [Unapplied(*r) for r in found]
    held_keys = {(r.hubspot_id, r.field) for r in rows}
    settled = _settle_changed(con, pair_name, held_keys, now)
    items = [r.review_item(pair_name) for r in rows]
    known = {
        str(i)
        for (i,) in con.execute(
            "SELECT item_id FROM review_items WHERE list_contains(?::VARCHAR[], item_id)",
            [[i.item_id for i in items]],
        ).fetchall()
    }
    opened = open_review_items(con, [i for i in items if i.item_id not in known], run_id, now)
    kept, skipped = skip_held(decisions, held_keys, HELD)
    return kept, HeldFields(opened, skipped, settled)


def _settle_changed(
    con: duckdb.DuckDBPyConnection, pair_name: str, still: set[tuple[str, str]], now: datetime
) -> int:
    """Open items whose field no longer holds what the refused write left (a side changed)."""
    items = con.execute(
        "SELECT item_id, hubspot_id, detail ->> 'field' FROM review_items "
        "WHERE pair = ? AND kind = ? AND settled_at IS NULL",
        [pair_name, KIND],
    ).fetchall()
    done = [item_id for item_id, hubspot_id, name in items if (hubspot_id, name) not in still]
    if not done:
        return 0
    con.executemany(
        "UPDATE review_items SET settled_at = ?, resolution = 'changed' WHERE item_id = ?",
        [(now, item_id) for item_id in done],
    )
    return len(done)
