"""The oracle's checks for the edges of a record's life (issue 15), read from the CRMs, the state file's
bytes and Dagster's run storage: keyless people neither linked nor duplicated and waiting in review; erased
people gone from both CRMs and from every file crmsync wrote."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .crm import HS_XREF, SF_XREF
from .model import World
from .oracle import Snapshot
from .state_checks import connect


def check(world: World, snap: Snapshot, env: dict[str, str]) -> list[dict[str, Any]]:
    state_db = env["CRMSYNC_STATE_DB"]
    return [*_keyless(world, snap, state_db), *_awaiting(world, state_db), *_erased(world, snap, env)]


def _awaiting(world: World, state_db: str) -> list[dict[str, Any]]:
    """Records an edge left for a person to decide (a Lead converted into a linked Contact, under the
    merge policy `review`) have an open item of that kind naming them."""
    if not world.awaiting_review:
        return []
    with connect(state_db) as con:
        items = set(
            con.execute("SELECT kind, hubspot_id FROM review_items WHERE settled_at IS NULL").fetchall()
        )
        # a merge item may name either HubSpot record of the two; its detail names both
        details = [
            str(d)
            for (d,) in con.execute("SELECT detail FROM review_items WHERE settled_at IS NULL").fetchall()
        ]
    return [
        {"kind": "not_in_review", "pair": pair, "hs_id": hs_id, "review_kind": kind, "key": key}
        for pair, hs_id, kind, key in world.awaiting_review
        if (kind, hs_id) not in items and not any(f'"{hs_id}"' in d for d in details)
    ]


def _keyless(world: World, snap: Snapshot, state_db: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not world.keyless:
        return out
    with connect(state_db) as con:
        open_items = con.execute(
            "SELECT hubspot_id, salesforce_ids FROM review_items WHERE kind = 'keyless' AND settled_at IS NULL"
        ).fetchall()
    in_review = {h for h, _ in open_items if h} | {s for _, ids in open_items for s in (ids or [])}
    for k in world.keyless:
        hs = [rid for rid, r in snap.hs_contacts.items() if r.get("lastname") == k.last_name]
        sf = [rid for rid, r in snap.sf_people.items() if r.get("LastName") == k.last_name]
        if len(hs) != 1 or len(sf) != 1:
            out.append(
                {"kind": "keyless_duplicated", "last_name": k.last_name, "hubspot": hs, "salesforce": sf}
            )
        linked = [rid for rid in hs if snap.hs_contacts[rid].get(HS_XREF)] + [
            rid for rid in sf if snap.sf_people[rid].get(SF_XREF)
        ]
        if linked:
            out.append({"kind": "keyless_linked", "last_name": k.last_name, "records": linked})
        if k.hs_id not in in_review and k.sf_id not in in_review:
            out.append(
                {
                    "kind": "keyless_not_in_review",
                    "last_name": k.last_name,
                    "hs_id": k.hs_id,
                    "sf_id": k.sf_id,
                }
            )
    return out


def _erased(world: World, snap: Snapshot, env: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    state = Path(env["CRMSYNC_STATE_DB"])
    files = [state, state.with_name(f"{state.stem}_published{state.suffix}"),
             *(p for p in Path(env["DAGSTER_HOME"]).rglob("*") if p.is_file())]  # fmt: skip
    blobs = {str(p): p.read_bytes() for p in files if p.exists()}
    for person in world.erased:
        email = person.values[0].lower() if person.values else None
        live = [rid for rid, r in snap.hs_contacts.items() if str(r.get("email") or "").lower() == email] + [
            rid for rid, r in snap.sf_people.items() if str(r.get("Email") or "").lower() == email
        ]
        if live:
            out.append(
                {
                    "kind": "erased_person_still_in_a_crm",
                    "key": person.key,
                    "how": person.how,
                    "records": live,
                }
            )
        held = _held_by_live_records(snap, person.values)
        for value in person.values:
            if value in held:
                continue  # another record's data in the CRMs (an Account a Lead became keeps its phone)
            # a whole value, not a prefix of a longer one ("+1 555 0000012" is not in "+1 555 00000123")
            pattern = re.compile(re.escape(value.encode()) + rb"(?![0-9A-Za-z])", re.IGNORECASE)
            where = [name for name, blob in blobs.items() if pattern.search(blob)]
            if where:
                out.append({"kind": "erased_value_left", "key": person.key, "how": person.how,
                            "value": value, "files": where})  # fmt: skip
    return out


def _held_by_live_records(snap: Snapshot, values: tuple[str, ...]) -> set[str]:
    """Those of an erased person's values that a live record of the CRMs still holds, in any field: the
    state file mirrors that record, so its copy of the value is not the person's."""
    wanted = {v.lower() for v in values}
    held: set[str] = set()
    for records in (snap.hs_contacts, snap.hs_companies, snap.sf_people, snap.sf_accounts):
        for record in records.values():
            held |= {str(v).lower() for v in record.values() if v is not None and str(v).lower() in wanted}
    return {v for v in values if v.lower() in held}
