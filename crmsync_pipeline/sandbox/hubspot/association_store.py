"""Associations stored once per record pair and answered from both sides.

A pair is kept under a canonical key with its type ids in the a->b direction; the other side reads the
inverse type ids. An in-memory adjacency index makes per-record reads O(degree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

Spec = tuple[str, int]  # (category, typeId) seen from one side


def _order(t: str, i: str) -> tuple[str, int]:
    return (t, int(i) if i.isdigit() else 0)


class AssociationStore:
    """Record-to-record associations with HubSpot's labelled type ids."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self.store = em.store
        self.adjacency: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
        self.type_rows: dict[tuple[str, str, int], dict[str, Any]] = {}

    # ---- type definitions ------------------------------------------------------------------------
    def rebuild(self) -> None:
        self.type_rows = {
            (r["from"], r["to"], r["typeId"]): r for r in self.store.meta("association_types", [])
        }
        self.adjacency = {}
        for key, pair in self.store.table("assoc").items():
            (ta, ia), (tb, ib) = pair["a"], pair["b"]
            self.adjacency.setdefault((ta, ia), {})[(tb, ib)] = key
            self.adjacency.setdefault((tb, ib), {})[(ta, ia)] = key

    def types_between(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        return [r for (f, t, _), r in self.type_rows.items() if f == from_type and t == to_type]

    def default_type(self, from_type: str, to_type: str) -> dict[str, Any]:
        for row in self.types_between(from_type, to_type):
            if row["label"] is None:
                return row
        # custom objects get a type pair the first time they are associated
        type_id = self.store.next_counter("association_type_id", start=1001)
        inverse = self.store.next_counter("association_type_id", start=1001)
        rows = list(self.store.meta("association_types", []))
        for f, t, a, b in ((from_type, to_type, type_id, inverse), (to_type, from_type, inverse, type_id)):
            rows.append(
                {
                    "from": f,
                    "to": t,
                    "typeId": a,
                    "inverse": b,
                    "label": None,
                    "category": "USER_DEFINED",
                    "primary": False,
                }
            )
        self.store.set_meta("association_types", rows)
        self.rebuild_types_only(rows)
        return self.type_rows[(from_type, to_type, type_id)]

    def rebuild_types_only(self, rows: list[dict[str, Any]]) -> None:
        self.type_rows = {(r["from"], r["to"], r["typeId"]): r for r in rows}

    def label_of(self, from_type: str, to_type: str, type_id: int) -> str | None:
        row = self.type_rows.get((from_type, to_type, type_id))
        return row["label"] if row else None

    def v3_name(
        self, from_singular: str, to_singular: str, from_type: str, to_type: str, type_id: int
    ) -> str:
        row = self.type_rows.get((from_type, to_type, type_id))
        base = f"{from_singular}_to_{to_singular}"
        if row is None or row["primary"]:
            return base
        if row["label"]:
            return row["label"].lower().replace(" ", "_")
        has_primary = any(r["primary"] for r in self.types_between(from_type, to_type))
        return f"{base}_unlabeled" if has_primary else base

    # ---- reads -----------------------------------------------------------------------------------
    def specs(self, from_type: str, from_id: str, to_type: str, to_id: str) -> list[Spec]:
        key = self.adjacency.get((from_type, from_id), {}).get((to_type, to_id))
        return [] if key is None else self._specs_from(self.store.table("assoc")[key], from_type, from_id)

    def _specs_from(self, pair: dict[str, Any], from_type: str, from_id: str) -> list[Spec]:
        if pair["a"] == [from_type, from_id]:
            return [(c, t) for c, t in pair["t"]]
        out = []
        for category, type_id in pair["t"]:
            row = self.type_rows.get((pair["a"][0], pair["b"][0], type_id))
            out.append((category, row["inverse"] if row else type_id))
        return out

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, list[Spec]]]:
        table = self.store.table("assoc")
        found = [
            (oid, self._specs_from(table[key], from_type, from_id))
            for (ot, oid), key in self.adjacency.get((from_type, from_id), {}).items()
            if ot == to_type
        ]
        found.sort(key=lambda item: _order(to_type, item[0]))
        return found

    def ids_of(self, to_name: str, to_id: str, from_type: str) -> set[str]:
        """Ids of `from_type` records associated with the `to_name` record (search pseudo-property)."""
        to = self.em.registry.maybe(to_name)
        if to is None:
            raise errors.validation(f"Unable to infer object type from: {to_name}")
        return {oid for (ot, oid) in self.adjacency.get((to.type_id, to_id), {}) if ot == from_type}

    # ---- writes ----------------------------------------------------------------------------------
    def add(self, from_type: str, from_id: str, to_type: str, to_id: str, specs: list[Spec]) -> list[Spec]:
        """Add labels to a pair (a primary label brings its unlabeled type along, as in HubSpot)."""
        wanted = list(dict.fromkeys(specs))
        for _category, type_id in list(wanted):
            row = self.type_rows.get((from_type, to_type, type_id))
            if row is None:
                raise errors.validation(
                    f"{type_id} is not a valid association type between {from_type} and {to_type}"
                )
            if row["primary"]:
                default = self.default_type(from_type, to_type)
                wanted.append((default["category"], default["typeId"]))
                self._drop_other_primaries(from_type, from_id, to_type, to_id, type_id)
        current = self.specs(from_type, from_id, to_type, to_id)
        merged = list(dict.fromkeys(current + wanted))
        self._write(from_type, from_id, to_type, to_id, merged)
        return merged

    def _drop_other_primaries(
        self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int
    ) -> None:
        for other_id, specs in self.associated(from_type, from_id, to_type):
            if other_id != to_id and any(t == type_id for _, t in specs):
                self._write(from_type, from_id, to_type, other_id, [s for s in specs if s[1] != type_id])

    def remove(
        self, from_type: str, from_id: str, to_type: str, to_id: str, specs: list[Spec] | None = None
    ) -> None:
        if specs is None:
            self._write(from_type, from_id, to_type, to_id, [])
            return
        drop = {t for _, t in specs}
        self._write(
            from_type,
            from_id,
            to_type,
            to_id,
            [s for s in self.specs(from_type, from_id, to_type, to_id) if s[1] not in drop],
        )

    def remove_all(self, type_id: str, record_id: str) -> None:
        for ot, oid in list(self.adjacency.get((type_id, record_id), {})):
            self._write(type_id, record_id, ot, oid, [])
        self.adjacency.pop((type_id, record_id), None)

    def move_all(self, type_id: str, from_id: str, to_id: str) -> None:
        """Give a merge survivor every association of the merged record."""
        for ot, oid in list(self.adjacency.get((type_id, from_id), {})):
            specs = self.specs(type_id, from_id, ot, oid)
            self._write(type_id, from_id, ot, oid, [])
            if (ot, oid) != (type_id, to_id):
                self._write(
                    type_id, to_id, ot, oid, list(dict.fromkeys(self.specs(type_id, to_id, ot, oid) + specs))
                )

    def _write(self, from_type: str, from_id: str, to_type: str, to_id: str, specs: list[Spec]) -> None:
        a, b = (from_type, from_id), (to_type, to_id)
        flipped = _order(*b) < _order(*a)
        if flipped:
            a, b = b, a
            inverted = []
            for category, type_id in specs:
                row = self.type_rows.get((from_type, to_type, type_id))
                inverted.append((category, row["inverse"] if row else type_id))
            specs = inverted
        key = f"{a[0]}:{a[1]}|{b[0]}:{b[1]}"
        if not specs:
            if key in self.store.table("assoc"):
                self.store.delete("assoc", key)
            self.adjacency.get(a, {}).pop(b, None)
            self.adjacency.get(b, {}).pop(a, None)
            return
        self.store.put("assoc", key, {"a": list(a), "b": list(b), "t": [list(s) for s in specs]})
        self.adjacency.setdefault(a, {})[b] = key
        self.adjacency.setdefault(b, {})[a] = key
