"""Object records: storage layout, unique-value indexes, property history and the API record shape.

A stored record is `{"id", "p": props, "h": history, "c": createdAt, "u": updatedAt, "a": archivedAt|None,
"src": sourceType of its creation}`. Writes replace `p` and `h` with new dicts instead of mutating them,
so the lagged search view can keep pointing at an old version for free.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from ..clock import iso_z
from . import errors
from .schema import ObjectType

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


def objects_table(type_id: str) -> str:
    return f"obj:{type_id}"


def merged_table(type_id: str) -> str:
    return f"merged:{type_id}"


def unique_key(prop: str, value: str) -> str:
    return value.strip().lower() if prop == "email" else value


class Records:
    """Every object record of the portal, with the indexes that keep id-property lookups O(1)."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self.store = em.store
        self.unique: dict[str, dict[str, dict[str, str]]] = {}
        self.order: dict[str, list[int]] = {}  # record ids per type, ascending, for list paging

    # ---- indexes ---------------------------------------------------------------------------------
    def rebuild_indexes(self) -> None:
        self.unique, self.order = {}, {}
        for type_id in self.em.registry.types:
            table = self.table(type_id)
            self.order[type_id] = sorted(int(i) for i in table)
            for record in table.values():
                if record["a"] is None:
                    self._index(type_id, record)

    def _unique_props(self, type_id: str) -> list[str]:
        return self.em.registry.unique_properties(type_id)

    def _index(self, type_id: str, record: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        by_prop = self.unique.setdefault(type_id, {})
        for prop in self._unique_props(type_id):
            index = by_prop.setdefault(prop, {})
            before = (old or {}).get("p", {}).get(prop)
            after = record["p"].get(prop) if record["a"] is None else None
            if before is not None and before != after and index.get(unique_key(prop, before)) == record["id"]:
                del index[unique_key(prop, before)]
            if after is not None:
                index[unique_key(prop, after)] = record["id"]

    def _unindex(self, type_id: str, record: dict[str, Any]) -> None:
        for prop, index in self.unique.get(type_id, {}).items():
            value = record["p"].get(prop)
            if value is not None and index.get(unique_key(prop, value)) == record["id"]:
                del index[unique_key(prop, value)]

    def reindex_property(self, type_id: str, prop: str) -> None:
        index = self.unique.setdefault(type_id, {}).setdefault(prop, {})
        index.clear()
        for record in self.table(type_id).values():
            if record["a"] is None and record["p"].get(prop) is not None:
                index[unique_key(prop, record["p"][prop])] = record["id"]

    # ---- lookups ---------------------------------------------------------------------------------
    def table(self, type_id: str) -> dict[str, dict[str, Any]]:
        return self.store.table(objects_table(type_id))

    def find(
        self,
        otype: ObjectType,
        key: str,
        id_property: str | None = None,
        *,
        archived: bool = False,
        follow_merges: bool = True,
    ) -> dict[str, Any] | None:
        """A record by id or unique property; `archived=True` finds only archived ones (as the API does)."""
        if id_property and id_property != "hs_object_id":
            if id_property not in self._unique_props(otype.type_id):
                raise errors.validation(
                    f"{id_property} is not a unique property of {otype.name}; "
                    "only unique properties can be used as idProperty"
                )
            if archived:
                matches = [
                    r
                    for r in self.table(otype.type_id).values()
                    if r["a"]
                    and unique_key(id_property, r["p"].get(id_property) or "") == unique_key(id_property, key)
                ]
                return matches[-1] if matches else None
            found = self.unique.get(otype.type_id, {}).get(id_property, {}).get(unique_key(id_property, key))
            return self.table(otype.type_id).get(found) if found else None
        record = self.table(otype.type_id).get(key)
        if record is None and follow_merges and self.em.settings.merged_id_resolves_to_survivor:
            survivor = self.store.table(merged_table(otype.type_id)).get(key)
            record = self.table(otype.type_id).get(survivor["survivor"]) if survivor else None
        if record is None or (record["a"] is not None) != archived:
            return None
        return record

    def require(self, otype: ObjectType, key: str, id_property: str | None = None) -> dict[str, Any]:
        record = self.find(otype, key, id_property)
        if record is None:
            raise errors.not_found()
        return record

    def conflicts(self, otype: ObjectType, changes: dict[str, str | None], own_id: str | None) -> None:
        """Refuse a value another live record already holds in a unique property."""
        for prop in self._unique_props(otype.type_id):
            value = changes.get(prop)
            if value is None:
                continue
            holder = self.unique.get(otype.type_id, {}).get(prop, {}).get(unique_key(prop, value))
            if holder is None or holder == own_id:
                continue
            if prop == "email":
                raise errors.ApiError(409, "CONFLICT", f"Contact already exists. Existing ID: {holder}")
            raise errors.property_errors(
                [
                    {
                        "name": prop,
                        "error": "INVALID_UNIQUE_VALUE",
                        "message": f'A {otype.singular} with {prop} "{value}" already exists. Existing ID: {holder}',
                    }
                ],
                self.em.settings.portal_id,
            )

    # ---- writes ----------------------------------------------------------------------------------
    def new_id(self) -> str:
        return str(self.store.next_counter("record_id", start=100_001))

    def create(
        self, otype: ObjectType, changes: dict[str, str | None], source: str, source_id: str | None = None
    ) -> dict[str, Any]:
        now = iso_z(self.em.clock.now())
        record_id = self.new_id()
        props = {k: v for k, v in changes.items() if v is not None}
        props.update({otype.created_prop: now, otype.modified_prop: now, "hs_object_id": record_id})
        entry_src = [source] if source_id is None else [source, source_id]
        history = {k: [[v, now, *entry_src]] for k, v in props.items()}
        record = {"id": record_id, "p": props, "h": history, "c": now, "u": now, "a": None, "src": source}
        self.store.put(objects_table(otype.type_id), record_id, record)
        self.order.setdefault(otype.type_id, []).append(int(record_id))
        self._index(otype.type_id, record)
        self.em.search_index.changed(otype.type_id, record_id, record)
        self.em.stats.records_written += 1
        self.em.workflows.saved(otype, None, record)
        return record

    def update(
        self,
        otype: ObjectType,
        record: dict[str, Any],
        changes: dict[str, str | None],
        source: str,
        source_id: str | None = None,
        *,
        force_touch: bool = False,
    ) -> dict[str, Any]:
        props, effective = record["p"], {k: v for k, v in changes.items() if record["p"].get(k) != v}
        if not effective and not force_touch:
            return record
        now = iso_z(self.em.clock.now())
        new_props, history = dict(props), dict(record["h"])
        entry_src = [source] if source_id is None else [source, source_id]
        for name, value in {**effective, otype.modified_prop: now}.items():
            if value is None:
                new_props.pop(name, None)
            else:
                new_props[name] = value
            past = history.get(name)
            if past is None:
                past = (
                    []
                    if props.get(name) is None
                    else [[props[name], record["u"], record.get("src", "IMPORT")]]
                )
            history[name] = [[value if value is not None else "", now, *entry_src], *past]
        updated = {**record, "p": new_props, "h": history, "u": now}
        self.store.put(objects_table(otype.type_id), record["id"], updated)
        self._index(otype.type_id, updated, record)
        self.em.search_index.changed(otype.type_id, record["id"], updated)
        self.em.stats.records_written += 1
        self.em.workflows.saved(otype, record, updated)
        return updated

    def archive(self, otype: ObjectType, record: dict[str, Any]) -> None:
        now = iso_z(self.em.clock.now())
        archived = {**record, "a": now}
        self._unindex(otype.type_id, record)
        self.store.put(objects_table(otype.type_id), record["id"], archived)
        self.em.associations.remove_all(otype.type_id, record["id"])
        self.em.search_index.changed(otype.type_id, record["id"], None)
        self.em.stats.records_written += 1

    def restore(self, otype: ObjectType, record: dict[str, Any]) -> dict[str, Any]:
        """The recycle bin's restore (HubSpot's UI; there is no public API for it): the same id, live
        again. Its modification time (`updatedAt` and the last-modified property together, as HubSpot
        keeps them one value) moves to now only under the setting `restore_moves_modified` (unconfirmed).
        Refused while a live record holds one of its unique values (for contacts, the email: HubSpot's
        restore tool refuses a contact whose email another contact holds). Its associations are not
        restored: HubSpot documents that a restored contact's activities come back, nothing about its
        companies or deals."""
        self.conflicts(otype, dict(record["p"]), record["id"])
        restored = {**record, "a": None}
        if self.em.settings.restore_moves_modified:
            now = iso_z(self.em.clock.now())
            restored.update(u=now, p={**record["p"], otype.modified_prop: now})
        self.store.put(objects_table(otype.type_id), record["id"], restored)
        self._index(otype.type_id, restored)
        self.em.search_index.changed(otype.type_id, record["id"], restored)
        self.em.stats.records_written += 1
        return restored

    def purge_for_merge(self, otype: ObjectType, record: dict[str, Any]) -> None:
        """Remove a merged-away record; its associations are moved to the survivor by the caller."""
        self.purge(otype, record, keep_associations=True)

    def purge(self, otype: ObjectType, record: dict[str, Any], keep_associations: bool = False) -> None:
        """Gone for good: no archived copy, no associations, no list memberships."""
        self._unindex(otype.type_id, record)
        self.store.delete(objects_table(otype.type_id), record["id"])
        order = self.order.get(otype.type_id, [])
        position = bisect_left(order, int(record["id"]))
        if position < len(order) and order[position] == int(record["id"]):
            del order[position]
        if not keep_associations:
            self.em.associations.remove_all(otype.type_id, record["id"])
        self.em.lists.forget_record(otype.type_id, record["id"])
        self.em.search_index.changed(otype.type_id, record["id"], None)

    # ---- API shape -------------------------------------------------------------------------------
    def to_api(
        self,
        otype: ObjectType,
        record: dict[str, Any],
        properties: list[str] | None = None,
        with_history: list[str] | None = None,
    ) -> dict[str, Any]:
        props = record["p"]
        names = otype.default_props if properties is None else properties
        defined = self.em.registry.properties(otype.type_id)
        out = {n: props.get(n) for n in names if n in defined}
        for n in otype.always_props:
            out[n] = props.get(n)
        body: dict[str, Any] = {
            "id": record["id"],
            "properties": out,
            "createdAt": record["c"],
            "updatedAt": record["u"],
            "archived": record["a"] is not None,
        }
        if record["a"] is not None:
            body["archivedAt"] = record["a"]
        if with_history:
            body["propertiesWithHistory"] = {n: self.history(record, n) for n in with_history if n in defined}
        return body

    def history(self, record: dict[str, Any], name: str) -> list[dict[str, Any]]:
        entries = record["h"].get(name)
        if entries is None:
            value = record["p"].get(name)
            entries = [] if value is None else [[value, record["c"], record.get("src", "IMPORT")]]
        out = []
        for value, ts, source, *rest in entries:
            item = {"value": value, "timestamp": ts, "sourceType": source}
            if rest:
                item["sourceId"] = rest[0]
            out.append(item)
        return out
