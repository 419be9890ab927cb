"""Field paths (`Name`, `Account.Owner.Email`, `Who.Name`) resolved once per query into getters.

A path hops through lookup fields by id; a polymorphic hop (Who, What, Lead.Owner) picks the next
object from the referenced record itself, so the final field is looked up per object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import FieldMeta, SoqlCatalog
from .errors import INVALID_FIELD, MALFORMED_QUERY, located, no_such_column, unknown_relationship
from .nodes import FieldPath

MAX_PARENT_LEVELS = 5


@dataclass(frozen=True)
class Hop:
    """One step up a lookup: the foreign-key field on each object it can start from."""

    relationship: str
    fk_by_object: dict[str, str]
    targets: tuple[str, ...]

    @property
    def polymorphic(self) -> bool:
        return len(self.targets) > 1


@dataclass(frozen=True)
class ResolvedPath:
    hops: tuple[Hop, ...]
    field_by_object: dict[str, FieldMeta]
    meta: FieldMeta
    canonical: str
    getter: Callable[[dict], Any]


class Resolver:
    """Resolves the paths of one query against the catalog (FROM object `sobject`)."""

    def __init__(self, catalog: SoqlCatalog, sobject: str, alias: str | None, text: str):
        self.catalog = catalog
        self.sobject = sobject
        self.alias = alias.lower() if alias else None
        self.text = text

    def _strip_prefix(self, parts: list[str]) -> list[str]:
        if len(parts) > 1:
            head = parts[0].lower()
            if head == self.alias:
                return parts[1:]
            if head == self.sobject.lower() and self.catalog.relationship(self.sobject, parts[0]) is None:
                return parts[1:]
        return parts

    def path(self, field_path: FieldPath) -> ResolvedPath:
        parts = self._strip_prefix(list(field_path.parts))
        objects: tuple[str, ...] = (self.sobject,)
        hops: list[Hop] = []
        for part in parts[:-1]:
            fks: dict[str, str] = {}
            targets: list[str] = []
            name = None
            for obj in objects:
                found = self.catalog.relationship(obj, part)
                if found is None:
                    continue
                meta, refs = found
                fks[obj] = meta.name
                name = name or meta.relationship_name or part
                targets.extend(ref for ref in refs if ref not in targets)
            if not fks:
                raise located(INVALID_FIELD, self.text, field_path.pos, unknown_relationship(part))
            hops.append(Hop(name or part, fks, tuple(targets)))
            objects = tuple(targets)
        if len(hops) > MAX_PARENT_LEVELS:
            reason = "SOQL statements cannot query relationships that are more than 5 levels away."
            raise located(MALFORMED_QUERY, self.text, field_path.pos, reason)
        fields = {obj: meta for obj in objects if (meta := self.catalog.field(obj, parts[-1])) is not None}
        if not fields:
            entity = "Name" if hops and hops[-1].polymorphic else objects[0]
            raise located(INVALID_FIELD, self.text, field_path.pos, no_such_column(parts[-1], entity))
        meta = next(iter(fields.values()))
        canonical = ".".join([hop.relationship for hop in hops] + [meta.name])
        getter = self._getter(tuple(hops), fields)
        return ResolvedPath(tuple(hops), fields, meta, canonical, getter)

    def _getter(self, hops: tuple[Hop, ...], fields: dict[str, FieldMeta]) -> Callable[[dict], Any]:
        if not hops:
            name = fields[self.sobject].name
            return lambda row: row.get(name)
        get_by_id = self.catalog.get_by_id
        names = {obj: meta.name for obj, meta in fields.items()}
        chain = [hop.fk_by_object for hop in hops]
        start = self.sobject

        def getter(row: dict) -> Any:
            obj = start
            for fks in chain:
                fk = fks.get(obj)
                ref = row.get(fk) if fk else None
                hit = get_by_id(ref) if ref else None
                if hit is None:
                    return None
                obj, row = hit
            name = names.get(obj)
            return row.get(name) if name else None

        return getter
