"""The SOQL catalog over the live store: what `soql.execute` and `compile_condition` read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .soql.catalog import FieldMeta

if TYPE_CHECKING:
    from .records import Records


class StoreCatalog:
    """Implements the SOQL helper's `SoqlCatalog` protocol for this emulator's schema and rows."""

    def __init__(self, records: Records):
        self.records = records
        self._meta_cache: dict[tuple[str, str], FieldMeta] = {}

    @property
    def schema(self):  # noqa: ANN201 - the live schema object (rebuilt by the emulator)
        return self.records.schema

    def object_name(self, name: str) -> str | None:
        obj = self.schema.get(name)
        return obj.name if obj else None

    def field(self, sobject: str, name: str) -> FieldMeta | None:
        obj = self.schema.get(sobject)
        f = obj.field(name) if obj else None
        if obj is None or f is None:
            return None
        key = (obj.name, f.name)
        meta = self._meta_cache.get(key)
        if meta is None or meta.type != f.type:
            meta = FieldMeta(name=f.name, type=f.type, reference_to=list(f.reference_to),
                             relationship_name=f.relationship_name)  # fmt: skip
            self._meta_cache[key] = meta
        return meta

    def fields(self, sobject: str) -> list[FieldMeta]:
        obj = self.schema.get(sobject)
        return [m for m in (self.field(obj.name, n) for n in obj.fields) if m] if obj else []

    def relationship(self, sobject: str, relationship_name: str) -> tuple[FieldMeta, list[str]] | None:
        obj = self.schema.get(sobject)
        f = obj.relationship(relationship_name) if obj else None
        if obj is None or f is None:
            return None
        meta = self.field(obj.name, f.name)
        assert meta is not None
        return meta, list(f.reference_to)

    def child_relationship(self, sobject: str, name: str) -> tuple[str, str] | None:
        obj = self.schema.get(sobject)
        return self.schema.child_relationship(obj.name, name) if obj else None

    def rows(self, sobject: str) -> Iterable[dict[str, Any]]:
        obj = self.schema.get(sobject)
        return self.records.store.table(obj.name).values() if obj else ()

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        return self.records.locate(record_id)
