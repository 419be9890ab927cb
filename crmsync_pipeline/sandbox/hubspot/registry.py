"""Resolving object types from path segments (names, singular aliases, type ids, custom names) and
reaching each type's property definitions."""

from __future__ import annotations

from typing import Any

from ..store import RecordStore
from . import errors
from .schema import STANDARD_TYPES, ObjectType, custom_object_type


def props_table(type_id: str) -> str:
    return f"props:{type_id}"


class TypeRegistry:
    """Every object type of the portal, standard and custom, by every name a path may use."""

    def __init__(self, store: RecordStore, portal_id: int):
        self.store = store
        self.portal_id = portal_id
        self.rebuild()

    def rebuild(self) -> None:
        self.types: dict[str, ObjectType] = {}
        self._by_name: dict[str, ObjectType] = {}
        for t in STANDARD_TYPES:
            self._add(t)
        for schema in self.store.table("schemas").values():
            self._add(
                custom_object_type(
                    schema["objectTypeId"],
                    schema["name"],
                    self.portal_id,
                    schema.get("searchableProperties", []),
                )
            )

    def _add(self, t: ObjectType) -> None:
        self.types[t.type_id] = t
        for key in (t.type_id, t.name, t.singular, *t.aliases):
            self._by_name[key.lower()] = t

    def resolve(self, name: str) -> ObjectType:
        found = self._by_name.get(name.lower())
        if found is None:
            raise errors.validation(f"Unable to infer object type from: {name}")
        return found

    def maybe(self, name: str) -> ObjectType | None:
        return self._by_name.get(name.lower())

    def properties(self, type_id: str) -> dict[str, dict[str, Any]]:
        return self.store.table(props_table(type_id))

    def live_property(self, type_id: str, name: str) -> dict[str, Any] | None:
        definition = self.properties(type_id).get(name)
        return None if definition is None or definition.get("archived") else definition

    def unique_properties(self, type_id: str) -> list[str]:
        names = [
            n
            for n, d in self.properties(type_id).items()
            if d.get("hasUniqueValue") and not d.get("archived")
        ]
        return (["email"] if type_id == "0-1" else []) + names
