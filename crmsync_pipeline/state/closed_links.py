"""Closing a link whose record is gone (table deleted_links), and what closing forgets.

Shared by the match stage (a re-created record takes the place of an archived one), the plan (both
sides gone) and the writes (a delete propagated, a record re-created)."""

from __future__ import annotations

from datetime import datetime

import duckdb


def close_link(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    hubspot_id: str,
    deleted_in: str,
    action: str,
    run_id: str,
    now: datetime,
) -> None:
    """Move a link to deleted_links and drop its base values (its records no longer sync together)."""
    con.execute(
        """INSERT INTO deleted_links SELECT pair, hubspot_id, salesforce_object, salesforce_id, $deleted_in,
                  $action, $run_id, $now FROM links WHERE pair = $pair AND hubspot_id = $hubspot_id""",
        {"pair": pair_name, "hubspot_id": hubspot_id, "deleted_in": deleted_in, "action": action,
         "run_id": run_id, "now": now},
    )  # fmt: skip
    _keep_base(con, pair_name, hubspot_id, now)
    con.execute("DELETE FROM links WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [pair_name, hubspot_id])
    forget_bases_naming(con, pair_name, hubspot_id)


def _keep_base(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str, now: datetime) -> None:
    """The closed link's field bases go to closed_link_bases, for a restore of both records."""
    con.execute(
        """INSERT OR REPLACE INTO closed_link_bases
           SELECT b.pair, b.hubspot_id, l.salesforce_id, b.field, b.value, b.agreed_at, $now
           FROM base_values b JOIN links l ON l.pair = b.pair AND l.hubspot_id = b.hubspot_id
           WHERE b.pair = $pair AND b.hubspot_id = $id AND NOT starts_with(b.field, '@')""",
        {"pair": pair_name, "id": hubspot_id, "now": now},
    )


def forget_lookup_bases(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> None:
    """A record that came back from a recycle bin came back without its HubSpot associations: its own
    lookup and junction bases, and those naming it, go, so they are judged as a first link (the side
    still holding the association fills the other) rather than as a person's removal."""
    con.execute(
        """DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?
           AND (starts_with(field, '@association:') OR starts_with(field, '@junction:'))""",
        [pair_name, hubspot_id],
    )
    forget_bases_naming(con, pair_name, hubspot_id)


def forget_bases_naming(con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_id: str) -> None:
    """Other records' lookups and junction pairs that named the closed link's HubSpot record (kept
    frozen, with their base, while it was an orphan: plan/orphans.py) lose that base, so the next plan
    judges them as a first link, which fills an empty side and never takes the association HubSpot
    dropped with the archived record for a person's removal."""
    con.execute(
        """DELETE FROM base_values
           WHERE (field = '@association:' || $pair AND value = $id)
              OR (starts_with(field, '@junction:') AND ends_with(field, ':' || $id))""",
        {"pair": pair_name, "id": hubspot_id},
    )


def settle_orphan_items(
    con: duckdb.DuckDBPyConnection, pair_name: str, hubspot_ids: list[str], resolution: str, now: datetime
) -> int:
    """Close the open orphan items of these HubSpot records' links (the deleted record came back, or a
    new one took its place). The settled item's id gets the time as a suffix, so a later delete of the
    same pair opens an item of its own (item ids are what keeps an orphan reported once)."""
    if not hubspot_ids:
        return 0
    settled = con.execute(
        """UPDATE review_items SET settled_at = ?, resolution = ?,
                  item_id = item_id || ':' || ? || ':' || CAST(epoch_ms(?::TIMESTAMPTZ) AS VARCHAR)
           WHERE pair = ? AND kind = 'orphan' AND settled_at IS NULL
             AND hubspot_id IN (SELECT unnest(?::VARCHAR[]))""",
        [now, resolution, resolution.split(":")[0], now, pair_name, hubspot_ids],
    ).fetchall()
    return int(settled[0][0]) if settled else 0
