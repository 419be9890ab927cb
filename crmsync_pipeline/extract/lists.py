"""HubSpot list memberships for `in_list:` inclusion rules: only the lists a pair's HubSpot rule names,
each re-read whole every extract (HubSpot has no "changed memberships since" read, and a record that
leaves a list must stop syncing), into tables hubspot_lists and hubspot_list_memberships."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows

FindList = Callable[[str, str], dict[str, Any] | None]


class ListNotFound(RuntimeError):
    """A list the mapping names does not exist in HubSpot (or is of another object type)."""


@dataclass(frozen=True)
class ListsRead:
    lists: int
    members: int


def list_refs(pair: ObjectPair) -> list[str]:
    """The lists named by `in_list:` in the pair's HubSpot inclusion rule, in mapping order."""
    rule = pair.include.hubspot
    refs = [c.in_list for c in rule.walk() if c.in_list] if rule is not None else []
    return list(dict.fromkeys(refs))


def missing_lists(pair_name: str, pair: ObjectPair, find_list: FindList) -> list[str]:
    """For `crmsync check`: one finding per named list HubSpot does not have, naming the entry."""
    return [
        f"objects.{pair_name}.include.hubspot (in_list: {ref}): HubSpot has no {pair.hubspot} list named "
        f"or numbered '{ref}' (create it, or fix the name: list names are matched case-insensitively)"
        for ref in list_refs(pair)
        if find_list(pair.hubspot, ref) is None
    ]


def extract_list_memberships(state_path: Path, connector: Any, pair_name: str, pair: ObjectPair) -> ListsRead:
    """Read the members of every list the pair's rule names and replace what the state held for them.
    A missing list stops the extract: syncing as if nobody were a member would silently stop the pair."""
    found: dict[str, tuple[str, dict[str, Any], list[str]]] = {}
    for ref in list_refs(pair):
        listed = connector.find_list(pair.hubspot, ref)
        if listed is None:
            raise ListNotFound(
                f"objects.{pair_name}.include.hubspot names HubSpot list '{ref}', which does not exist "
                "(run `crmsync check`)"
            )
        members = [m for page in connector.list_member_pages(str(listed["list_id"])) for m in page]
        found[ref] = (str(listed["list_id"]), listed, members)
    now = datetime.now(UTC)
    with db.connect(state_path) as con:
        con.execute("BEGIN")
        con.execute(
            "DELETE FROM hubspot_lists WHERE object_type = ? AND list_ref IN (SELECT unnest(?::VARCHAR[]))",
            [pair.hubspot, list(found)],
        )
        for ref, (list_id, listed, members) in found.items():
            con.execute(
                "INSERT INTO hubspot_lists VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    ref,
                    pair.hubspot,
                    list_id,
                    listed["name"],
                    listed.get("processing_type"),
                    len(members),
                    now,
                ],
            )
        by_id = {list_id: (listed["name"], members) for list_id, listed, members in found.values()}
        for list_id, (name, members) in by_id.items():
            con.execute("DELETE FROM hubspot_list_memberships WHERE list_id = ?", [list_id])
            insert_rows(
                con, "hubspot_list_memberships", [(list_id, name, m, now) for m in dict.fromkeys(members)]
            )
        con.execute("COMMIT")
    return ListsRead(len(by_id), sum(len(m) for _, m in by_id.values()))
