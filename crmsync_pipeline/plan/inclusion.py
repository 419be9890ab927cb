"""Which records sync, per side. A side's rule governs what that side sends: a HubSpot record outside
the HubSpot rule is neither created in Salesforce nor sends its edits there, yet keeps its link and can
still receive edits from an included Salesforce record (the HubSpot connector's inclusion lists work
this way). An absent rule includes every record of its side.

Rules are evaluated in Python (the mapping's Condition objects) over snapshot rows; facts beyond a
record's fields (list membership, associations, owners) come from the state file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from crmsync_pipeline.config import Condition, OwnerDirectory, Side
from crmsync_pipeline.config import Mapping as SyncMapping
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


class StateInclusionContext:
    """Facts for inclusion rules, read from the snapshots, links and associations of the state file."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        mapping: SyncMapping,
        pair_name: str,
        owners: OwnerDirectory,
        nested: bool = False,
    ):
        self.con = con
        self.mapping = mapping
        self.pair_name = pair_name
        self.pair = mapping.pair(pair_name)
        self.owners = owners
        self.nested = nested
        self._cache: dict[str, set[str]] = {}

    def in_list(self, list_ref: str, record: Mapping[str, Any]) -> bool:
        members = self._memo(f"list:{list_ref}", lambda: self._list_members(list_ref))
        return str(record["id"]) in members

    def _list_members(self, list_ref: str) -> set[str]:
        listed = self.con.execute(
            "SELECT list_id FROM hubspot_lists WHERE object_type = ? AND list_ref = ?",
            [self.pair.hubspot, list_ref],
        ).fetchall()
        if not listed:
            raise RuntimeError(
                f"the inclusion rule of '{self.pair_name}' uses HubSpot list '{list_ref}', whose memberships "
                "were not extracted (the HubSpot snapshot reads them; run a sync)"
            )
        return {
            r[0]
            for r in self.con.execute(
                "SELECT record_id FROM hubspot_list_memberships WHERE list_id = ?", [listed[0][0]]
            ).fetchall()
        }

    def associated_with_synced(self, pairs: list[str], record: Mapping[str, Any]) -> bool:
        if self.nested:
            return False  # a rule that depends on another pair's rule does not recurse further
        for other in pairs:
            synced = self._memo(f"synced:{other}", lambda other=other: self._synced_hubspot_ids(other))
            associated = self._memo(f"assoc:{other}", lambda other=other: self._associated_ids(other))
            if str(record["id"]) in associated and associated[str(record["id"])] & synced:  # type: ignore[operator]
                return True
        return False

    def owner_known(self, record: Mapping[str, Any]) -> bool:
        owner = record.get("hubspot_owner_id") if "hubspot_owner_id" in record else record.get("OwnerId")
        side = Side.HUBSPOT if "hubspot_owner_id" in record else Side.SALESFORCE
        email = self.owners.email_of(side, str(owner)) if owner else None
        other = Side.SALESFORCE if side is Side.HUBSPOT else Side.HUBSPOT
        return email is not None and self.owners.id_for(other, email) is not None

    def _memo(self, key: str, compute: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _synced_hubspot_ids(self, other: str) -> set[str]:
        """The other pair's HubSpot records its rule admits now. Not every linked one: a contact moved
        back to an excluded stage keeps its link but sends nothing, so a company it is then associated
        with must not reach Salesforce through it (issue 15)."""
        return included_ids(self.con, self.mapping, other, Side.HUBSPOT, self.owners, nested=True)

    def _associated_ids(self, other: str) -> dict[str, set[str]]:
        if not table_exists(self.con, "hubspot_associations"):
            return {}
        rows = self.con.execute(
            "SELECT from_id, to_id FROM hubspot_associations WHERE from_object = ? AND to_object = ? "
            "UNION SELECT to_id, from_id FROM hubspot_associations WHERE to_object = ? AND from_object = ?",
            [self.pair.hubspot, self.mapping.pair(other).hubspot] * 2,
        ).fetchall()
        out: dict[str, set[str]] = {}
        for mine, theirs in rows:
            out.setdefault(str(mine), set()).add(str(theirs))
        return out


def included_ids(
    con: duckdb.DuckDBPyConnection,
    mapping: SyncMapping,
    pair_name: str,
    side: Side,
    owners: OwnerDirectory,
    nested: bool = False,
) -> set[str]:
    """The ids of one side's live records that its inclusion rule admits."""
    pair = mapping.pair(pair_name)
    rule: Condition | None = pair.include.hubspot if side is Side.HUBSPOT else pair.include.salesforce
    table = SnapshotTables.of(pair_name).on(side)
    if not table_exists(con, table):
        return set()
    live = "NOT coalesce(_archived, false)" if side is Side.HUBSPOT else "NOT coalesce(_deleted, false)"
    if rule is None:
        return {r[0] for r in con.execute(f"SELECT id FROM {quoted(table)} WHERE {live}").fetchall()}
    existing = set(table_columns(con, table))
    needed = rule.fields() | ({"hubspot_owner_id", "OwnerId"} & existing)
    missing = rule.fields() - existing
    if missing:
        raise RuntimeError(
            f"the {side.value} inclusion rule of '{pair_name}' reads {sorted(missing)}, which the "
            "extract did not fetch"
        )
    select = ", ".join(["id", *(quoted(f) for f in sorted(needed))])
    records = con.sql(f"SELECT {select} FROM {quoted(table)} WHERE {live}").to_arrow_table().to_pylist()
    context = StateInclusionContext(con, mapping, pair_name, owners, nested)
    return {r["id"] for r in records if rule.matches(r, context)}
