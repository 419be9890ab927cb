"""Result rows in the REST JSON shape: `attributes`, fields in SELECT order, parents as nested
records (or null), child subqueries as nested `{totalSize, done, records}`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .catalog import SoqlCatalog
from .errors import MALFORMED_QUERY, located
from .nodes import Position
from .paths import Hop, ResolvedPath


@dataclass
class FieldEntry:
    key: str
    name_by_object: dict[str, str]


@dataclass
class ParentEntry:
    key: str
    hop: Hop
    shape: RecordShape


@dataclass
class ChildEntry:
    key: str
    result_for: Callable[[str], dict | None]


@dataclass
class RecordShape:
    entries: list[FieldEntry | ParentEntry | ChildEntry] = field(default_factory=list)

    def _find(self, key: str) -> FieldEntry | ParentEntry | ChildEntry | None:
        lowered = key.lower()
        return next((e for e in self.entries if e.key.lower() == lowered), None)

    def add_path(self, path: ResolvedPath, text: str, pos: Position) -> None:
        shape = self
        for hop in path.hops:
            entry = shape._find(hop.relationship)
            if not isinstance(entry, ParentEntry):
                entry = ParentEntry(hop.relationship, hop, RecordShape())
                shape.entries.append(entry)
            shape = entry.shape
        if shape._find(path.meta.name) is not None:
            raise located(MALFORMED_QUERY, text, pos, f"duplicate field selected: {path.canonical}")
        names = {obj: meta.name for obj, meta in path.field_by_object.items()}
        shape.entries.append(FieldEntry(path.meta.name, names))

    def add_children(self, key: str, result_for: Callable[[str], dict | None]) -> None:
        self.entries.append(ChildEntry(key, result_for))


class Renderer:
    """Builds JSON records for one query run."""

    def __init__(self, catalog: SoqlCatalog, api_version: str, polymorphic_type_is_name: bool):
        self.get_by_id = catalog.get_by_id
        self.url_prefix = f"/services/data/v{api_version}/sobjects/"
        self.polymorphic_type_is_name = polymorphic_type_is_name
        # many children share a parent: render each (parent, shape) once per query, hand out copies
        self._parents: dict[tuple[int, str], dict] = {}

    def render(self, row: dict, obj: str, shape: RecordShape, type_name: str | None = None) -> dict:
        record: dict = {
            "attributes": {"type": type_name or obj, "url": f"{self.url_prefix}{obj}/{row.get('Id')}"}
        }
        for entry in shape.entries:
            if isinstance(entry, FieldEntry):
                name = entry.name_by_object.get(obj)
                record[entry.key] = row.get(name) if name else None
            elif isinstance(entry, ParentEntry):
                record[entry.key] = self._parent(row, obj, entry)
            else:
                record[entry.key] = entry.result_for(row.get("Id"))
        return record

    def _parent(self, row: dict, obj: str, entry: ParentEntry) -> dict | None:
        fk = entry.hop.fk_by_object.get(obj)
        ref = row.get(fk) if fk else None
        hit = self.get_by_id(ref) if ref else None
        if hit is None:
            return None
        cache_key = (id(entry), ref)
        cached = self._parents.get(cache_key)
        if cached is None:
            parent_obj, parent_row = hit
            type_name = "Name" if entry.hop.polymorphic and self.polymorphic_type_is_name else None
            cached = self._parents[cache_key] = self.render(parent_row, parent_obj, entry.shape, type_name)
        return dict(cached)

    def render_many(self, rows: list[dict], obj: str, shape: RecordShape) -> list[dict]:
        if any(not isinstance(entry, FieldEntry) for entry in shape.entries):
            return [self.render(row, obj, shape) for row in rows]
        # flat SELECT (the sync's common case): skip the per-entry dispatch
        pairs = [(entry.key, entry.name_by_object.get(obj) or "") for entry in shape.entries]
        prefix = f"{self.url_prefix}{obj}/"
        out = []
        append = out.append
        for row in rows:
            get = row.get
            record: dict = {"attributes": {"type": obj, "url": prefix + str(get("Id"))}}
            for key, name in pairs:
                record[key] = get(name)
            append(record)
        return out
