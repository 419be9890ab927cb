"""Accounts named by crmsync's own placeholder (issue 15). Salesforce requires a Company on every Lead, so
crmsync writes the mapping's `default:` ("[not provided]") when HubSpot has none; when a person converts
such a Lead into a new Contact, Salesforce names the new Account after the Lead's Company. Sent on, that
Account would become a HubSpot company called "[not provided]" (a value crmsync invented, echoed back into
HubSpot), and key matching could pair it with any company of that name.

So an unlinked, live Account whose Name is one of the placeholders waits in review (kind
`placeholder_name`): neither matched, nor created in HubSpot, nor linked; the converted Contact's
AccountId to it has no HubSpot company to become an association, so none is made. When a person renames
the Account in Salesforce, the item closes (`renamed`) and the Account syncs like any other from the same
cycle on. A person may also settle it with the usual review actions: link it to a company, create it
anyway, or skip it for good."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

KIND = "placeholder_name"
SOBJECT = "Account"  # the record Salesforce's lead conversion names after Lead.Company
NAME = "Name"


def item_id(pair_name: str, salesforce_id: str) -> str:
    return f"{KIND}:{pair_name}:salesforce:{salesforce_id}"


def hold_placeholder_names(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    placeholders: frozenset[str],
    run_id: str,
    now: datetime,
) -> set[str]:
    """Settle the items whose Account was renamed or linked since, then hold (open an item for) each
    unlinked Account still named by a placeholder, unless a person decided its item. Their rows leave
    the temp table `match_keys`, so no key pairs them. Returns the held Account ids."""
    table = SnapshotTables.of(pair_name).salesforce
    if (
        SOBJECT not in pair.salesforce
        or not table_exists(con, table)
        or NAME not in table_columns(con, table)
    ):
        return set()
    named = _named_by_placeholder(con, pair_name, table, placeholders)
    _settle_renamed(con, pair_name, set(named), now)
    decided = {
        i
        for (i,) in con.execute(
            "SELECT item_id FROM review_items WHERE pair = ? AND kind = ? AND settled_at IS NOT NULL "
            "AND resolution <> 'renamed'",
            [pair_name, KIND],
        ).fetchall()
    }
    held = {rid: name for rid, name in named.items() if item_id(pair_name, rid) not in decided}
    _reopen(con, pair_name, set(held))
    open_review_items(con, [_item(pair_name, rid, name) for rid, name in sorted(held.items())], run_id, now)
    if held:
        con.execute(
            "DELETE FROM match_keys WHERE side = 'salesforce' AND record_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(held)],
        )
    return set(held)


def _named_by_placeholder(
    con: duckdb.DuckDBPyConnection, pair_name: str, table: str, placeholders: frozenset[str]
) -> dict[str, str]:
    """Unlinked live Accounts whose Name is a placeholder: id -> name."""
    if not placeholders:
        return {}
    rows = con.execute(
        f"""SELECT id, {quoted(NAME)} FROM {quoted(table)}
            WHERE _sobject = $sobject AND NOT coalesce(_deleted, false)
              AND trim({quoted(NAME)}) IN (SELECT unnest($names::VARCHAR[]))
              AND id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)""",
        {"sobject": SOBJECT, "names": sorted(placeholders), "pair": pair_name},
    ).fetchall()
    return {str(rid): str(name) for rid, name in rows}


def _settle_renamed(
    con: duckdb.DuckDBPyConnection, pair_name: str, still_named: set[str], now: datetime
) -> None:
    """Open items whose Account no longer holds a placeholder (renamed, linked by a person, deleted)."""
    con.execute(
        """UPDATE review_items r
           SET settled_at = $now,
               resolution = CASE WHEN EXISTS (SELECT 1 FROM links l WHERE l.pair = r.pair
                                              AND list_contains(r.salesforce_ids, l.salesforce_id))
                                 THEN 'linked' ELSE 'renamed' END
           WHERE r.pair = $pair AND r.kind = $kind AND r.settled_at IS NULL
             AND NOT list_has_any(r.salesforce_ids, $named::VARCHAR[])""",
        {"now": now, "pair": pair_name, "kind": KIND, "named": sorted(still_named)},
    )


def _reopen(con: duckdb.DuckDBPyConnection, pair_name: str, held: set[str]) -> None:
    """An Account renamed back to a placeholder before it was linked is held again."""
    con.execute(
        """UPDATE review_items SET settled_at = NULL, resolution = NULL
           WHERE pair = $pair AND kind = $kind AND resolution = 'renamed'
             AND list_has_any(salesforce_ids, $held::VARCHAR[])""",
        {"pair": pair_name, "kind": KIND, "held": sorted(held)},
    )


def _item(pair_name: str, salesforce_id: str, name: str) -> ReviewItem:
    detail = {
        "side": "salesforce",
        "object": SOBJECT,
        "name": name,
        "why": f"the Account's name '{name}' is the placeholder crmsync writes into a Lead's required Company "
        "when HubSpot has none; Salesforce's lead conversion named the new Account after it. It is not "
        "created in HubSpot nor linked, and its Contacts' AccountId is not carried to HubSpot",
        "todo": "rename the Account in Salesforce (it then syncs like any other), or crmsync review resolve "
        "ITEM --link HUBSPOT_ID SALESFORCE_ID (an existing company), --create, or --skip",
    }
    return ReviewItem(item_id(pair_name, salesforce_id), KIND, pair_name, None, [salesforce_id], detail)


__all__ = ["KIND", "hold_placeholder_names", "item_id"]
