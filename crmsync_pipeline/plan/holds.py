"""Field writes held out of the plan while a review item stands (a ping-pong loop, a write a CRM did not
apply): the planned writes of the held (link, field) pairs become skips with the hold's reason, and
what each kind of hold did this run is counted the same way. A review item about one field of one link
settles itself once the two sides agree."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

import duckdb

from crmsync_pipeline.plan.merge import FieldDecision

WRITES = ("write_hubspot", "write_salesforce")


@dataclass(frozen=True)
class HeldFields:
    """What one kind of hold did this run: review items opened and settled, field writes held."""

    opened: int = 0
    held: int = 0
    settled: int = 0


def skip_held(
    decisions: list[FieldDecision], held: Collection[tuple[str, str]], reason: str
) -> tuple[list[FieldDecision], int]:
    """The decisions with every planned write of a held (HubSpot id, field) turned into a skip named
    `reason`, and how many were turned."""
    kept, skipped = [], 0
    for d in decisions:
        if d.decision in WRITES and (d.hubspot_id, d.field) in held:
            kept.append(replace(d, decision="skip", reason=reason))
            skipped += 1
        else:
            kept.append(d)
    return kept, skipped


def settle_agreed(con: duckdb.DuckDBPyConnection, pair_name: str, kind: str, now: datetime) -> int:
    """Settle, as `in_sync`, the open review items of `kind` about one field of one link (`detail.field`)
    whose two sides agree now (someone fixed the value, the automation, or a sync carried it across);
    returns how many."""
    agreed = con.execute(
        """SELECT i.item_id FROM review_items i
           JOIN field_state f ON f.pair = i.pair AND f.hubspot_id = i.hubspot_id AND f.field = i.detail ->> 'field'
           WHERE i.pair = $pair AND i.kind = $kind AND i.settled_at IS NULL
             AND f.hubspot_value IS NOT DISTINCT FROM f.salesforce_value""",
        {"pair": pair_name, "kind": kind},
    ).fetchall()
    for (item_id,) in agreed:
        con.execute(
            "UPDATE review_items SET settled_at = ?, resolution = 'in_sync' WHERE item_id = ?", [now, item_id]
        )
    return len(agreed)
