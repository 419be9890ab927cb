"""Records no key can find (issue 15): a person with no email and no company has no value for any of the
pair's match keys, nor a cross-reference id, so matching can never pair it with its twin on the other
side, and creating it there would make a second copy of someone who may well exist already. Such a
record waits in review as `keyless` instead, neither linked nor created, and the item shows the likely
twins: the other side's unlinked records whose name is close (Jaro-Winkler similarity), with their
company. A person settles it with the usual review actions: link to a twin, create, or skip.

The plan's creates ask `hold_keyless` about the records they would create (so only records a create
would send across are held, never records the inclusion rule leaves out); the match stage settles an
item whose record was linked since, or gained a key (`settle_keyless`), before matching by keys."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import Normalizer, ObjectPair, Side
from crmsync_pipeline.match.keys import drop_normalize, key_sql, register_normalize
from crmsync_pipeline.state.names import quoted, table_columns, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables

KIND = "keyless"
TWINS_SHOWN = 5
SIMILAR = 0.85  # Jaro-Winkler on case-folded full names: "Kay Keyless" ~ "Kay Keyles", not "Ann Keyes"
# each side's own id is a key of the other side's cross-reference, never a key of the record itself
_OWN_ID_KEY = {Side.HUBSPOT: "hubspot_id_in_salesforce", Side.SALESFORCE: "salesforce_id_in_hubspot"}


@dataclass(frozen=True)
class Twin:
    id: str
    object: str
    name: str | None
    company: str | None
    similarity: float


def item_id(pair_name: str, side: Side, record_id: str) -> str:
    return f"{KIND}:{pair_name}:{side.value}:{record_id}"


def hold_keyless(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    pair: ObjectPair,
    side: Side,
    records: list[dict[str, Any]],
    run_id: str,
    now: datetime,
) -> set[str]:
    """Of `records` (unlinked records of `side` about to be created on the other side), the ids to hold:
    keyless ones, unless a person settled their item with `create`. Opens an item for each new one."""
    keyless = _keyless_ids(con, pair_name, pair, side, [str(r["id"]) for r in records])
    if not keyless:
        return set()
    decided = {
        i
        for (i,) in con.execute(
            "SELECT item_id FROM review_items WHERE pair = ? AND kind = ? AND settled_at IS NOT NULL "
            "AND resolution <> 'skip'",
            [pair_name, KIND],
        ).fetchall()
    }
    held = [
        r
        for r in records
        if str(r["id"]) in keyless and item_id(pair_name, side, str(r["id"])) not in decided
    ]
    items = [_item(con, pair_name, pair, side, r) for r in held]
    open_review_items(con, items, run_id, now)
    return {str(r["id"]) for r in held}


def settle_keyless(con: duckdb.DuckDBPyConnection, pair_name: str, now: datetime) -> int:
    """Open keyless items whose record is linked now (a person linked it, or its twin's item) or can be
    matched now (a key value was added: the temp table `match_keys` holds a key of it): settled, so
    matching takes it from here. Returns the items settled."""
    settled = con.execute(
        """UPDATE review_items r
           SET settled_at = $now,
               resolution = CASE WHEN EXISTS (SELECT 1 FROM links l WHERE l.pair = r.pair
                                   AND (l.hubspot_id = r.hubspot_id OR list_contains(r.salesforce_ids, l.salesforce_id)))
                                 THEN 'linked' ELSE 'keyed' END
           WHERE r.pair = $pair AND r.kind = $kind AND r.settled_at IS NULL
             AND (EXISTS (SELECT 1 FROM links l WHERE l.pair = r.pair
                          AND (l.hubspot_id = r.hubspot_id OR list_contains(r.salesforce_ids, l.salesforce_id)))
                  OR EXISTS (SELECT 1 FROM match_keys k
                             WHERE k.key_kind NOT IN ('hubspot_id_in_salesforce', 'salesforce_id_in_hubspot')
                               AND ((k.side = 'hubspot' AND k.record_id = r.hubspot_id)
                                 OR (k.side = 'salesforce' AND list_contains(r.salesforce_ids, k.record_id)))))""",
        {"now": now, "pair": pair_name, "kind": KIND},
    ).fetchall()
    return int(settled[0][0]) if settled else 0


def _keyless_ids(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, side: Side, ids: list[str]
) -> set[str]:
    """The ids among `ids` with no value for any match key of the pair, nor a cross-reference id. A pair
    without match keys (linked by ids only, like deals) has no keyless records: every record is."""
    tables = SnapshotTables.of(pair_name)
    if (
        not pair.match
        or not ids
        or not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce))
    ):
        return set()
    keys = [
        k
        for k in key_sql(
            pair, set(table_columns(con, tables.hubspot)), set(table_columns(con, tables.salesforce))
        )
        if k.kind != _OWN_ID_KEY[side]
    ]
    register_normalize(con)
    try:
        if side is Side.HUBSPOT:
            return _without_keys(con, tables.hubspot, "h", [k.hubspot for k in keys], ids, None)
        found: set[str] = set()
        for sobject in pair.salesforce:
            exprs = [k.salesforce.get(sobject) for k in keys]
            found |= _without_keys(con, tables.salesforce, "s", exprs, ids, sobject)
        return found
    finally:
        drop_normalize(con)


def _without_keys(
    con: duckdb.DuckDBPyConnection,
    table: str,
    alias: str,
    exprs: list[str | None],
    ids: list[str],
    sobject: str | None,
) -> set[str]:
    present = [f"({e}) IS NULL" for e in exprs if e is not None]
    where = " AND ".join(present) or "true"
    of_object = f"AND {alias}._sobject = $sobject" if sobject else ""
    params: dict[str, Any] = {"ids": ids, **({"sobject": sobject} if sobject else {})}
    rows = con.execute(
        f"SELECT {alias}.id FROM {quoted(table)} {alias} WHERE {alias}.id IN (SELECT unnest($ids::VARCHAR[])) "
        f"{of_object} AND {where}",
        params,
    ).fetchall()
    return {str(r[0]) for r in rows}


def _item(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, side: Side, record: dict[str, Any]
) -> ReviewItem:
    record_id = str(record["id"])
    sobject = None if side is Side.HUBSPOT else str(record.get("_sobject"))
    name_fields, company_fields = _name_fields(pair, side, sobject)
    name = _joined(record, name_fields)
    other = Side.SALESFORCE if side is Side.HUBSPOT else Side.HUBSPOT
    twins = _twins(con, pair_name, pair, other, name) if name else []
    detail = {
        "side": side.value,
        "object": sobject or pair.hubspot,
        "name": name,
        "company": _joined(record, company_fields),
        "why": "no value for any match key ("
        + ", ".join(k.name for k in pair.match)
        + ") and no cross-reference id",
        "twins": [asdict(t) for t in twins],
        "todo": "crmsync review resolve ITEM --link HUBSPOT_ID SALESFORCE_ID (a twin), --create, or --skip",
    }
    if side is Side.HUBSPOT:
        return ReviewItem(item_id(pair_name, side, record_id), KIND, pair_name, record_id, [], detail)
    return ReviewItem(item_id(pair_name, side, record_id), KIND, pair_name, None, [record_id], detail)


def _name_fields(pair: ObjectPair, side: Side, sobject: str | None) -> tuple[list[str], list[str]]:
    """The fields holding a record's name and company on `side`, read off the match keys: the parts
    normalized as a person's name, and those normalized as a company name (a company pair's name)."""
    names: list[str] = []
    companies: list[str] = []
    for key in pair.match:
        fields = key.hubspot if side is Side.HUBSPOT else key.salesforce_fields(sobject or "") or []
        normalizers = key.normalize if len(key.normalize) == len(fields) else key.normalize * len(fields)
        for field_name, normalizer in zip(fields, normalizers, strict=False):
            if normalizer is Normalizer.NAME and field_name not in names:
                names.append(field_name)
            elif normalizer is Normalizer.COMPANY_NAME and field_name not in companies:
                companies.append(field_name)
    return (names, companies) if names else (companies, [])


def _joined(record: dict[str, Any], fields: list[str]) -> str | None:
    parts = [
        str(record[f]).strip() for f in fields if record.get(f) not in (None, "") and str(record[f]).strip()
    ]
    return " ".join(parts) or None


def _twins(
    con: duckdb.DuckDBPyConnection, pair_name: str, pair: ObjectPair, side: Side, name: str
) -> list[Twin]:
    """`side`'s live unlinked records whose name is close to `name`, closest first."""
    table = SnapshotTables.of(pair_name).on(side)
    if not table_exists(con, table):
        return []
    columns = set(table_columns(con, table))
    objects = [None] if side is Side.HUBSPOT else list(pair.salesforce)
    twins: list[Twin] = []
    for sobject in objects:
        name_fields, company_fields = _name_fields(pair, side, sobject)
        if not name_fields or not set(name_fields) <= columns:
            continue
        name_sql = _concat(name_fields)
        company_sql = _concat([f for f in company_fields if f in columns]) if company_fields else "NULL"
        if side is Side.HUBSPOT:
            live = "NOT coalesce(_archived, false) AND id NOT IN (SELECT hubspot_id FROM links WHERE pair = $pair)"
        else:
            converted = "AND coalesce(\"IsConverted\", 'false') <> 'true'" if "IsConverted" in columns else ""
            live = (f"_sobject = $sobject AND NOT coalesce(_deleted, false) {converted} "
                    "AND id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)")  # fmt: skip
        rows = con.execute(
            f"""SELECT id, {name_sql} AS name, {company_sql} AS company,
                       jaro_winkler_similarity(lower({name_sql}), lower($name)) AS similarity
                FROM {quoted(table)} WHERE {live} AND {name_sql} IS NOT NULL
                  AND jaro_winkler_similarity(lower({name_sql}), lower($name)) >= $similar
                ORDER BY similarity DESC, id LIMIT {TWINS_SHOWN}""",
            {
                "pair": pair_name,
                "name": name,
                "similar": SIMILAR,
                **({"sobject": sobject} if sobject else {}),
            },
        ).fetchall()
        twins += [Twin(str(i), sobject or pair.hubspot, n, c, round(float(s), 3)) for i, n, c, s in rows]
    return sorted(twins, key=lambda t: (-t.similarity, t.id))[:TWINS_SHOWN]


def _concat(fields: list[str]) -> str:
    """The non-empty fields joined by a space, NULL when all are empty."""
    parts = ", ".join(f"nullif(trim({quoted(f)}), '')" for f in fields)
    return f"nullif(concat_ws(' ', {parts}), '')"


__all__ = ["KIND", "Twin", "hold_keyless", "item_id", "settle_keyless"]
