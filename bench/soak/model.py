"""The soak's own model of what both CRMs must hold: every entity (a person or a company) it created or
found, every edit it made with its time, and the expected value of each mapped field computed from those
edits by the field's direction. It reads the mapping with plain yaml and shares no code with crmsync."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAPPING = Path(__file__).with_name("mapping.yaml")
SIDES = ("hubspot", "salesforce")


@dataclass(frozen=True)
class MappedField:
    pair: str
    hubspot: str
    salesforce: str
    direction: str
    salesforce_objects: tuple[str, ...] = ()

    def applies_to(self, sobject: str | None) -> bool:
        return not self.salesforce_objects or sobject in self.salesforce_objects

    def side_name(self, side: str) -> str:
        return self.hubspot if side == "hubspot" else self.salesforce


def mapped_fields(path: Path = MAPPING) -> dict[str, list[MappedField]]:
    """pair -> its mapped fields, read from the mapping file with plain yaml."""
    doc = yaml.safe_load(path.read_text())
    out: dict[str, list[MappedField]] = {}
    for pair, spec in doc["objects"].items():
        fields = []
        for f in spec["fields"]:
            objects = f.get("salesforce_objects") or ()
            fields.append(MappedField(pair, f["hubspot"], f["salesforce"], f["direction"],
                                      (objects,) if isinstance(objects, str) else tuple(objects)))  # fmt: skip
        out[pair] = fields
    return out


@dataclass
class Event:
    """One value a side was given: at creation (`kind` create) or by a later edit."""

    seq: int
    t: float
    side: str
    kind: str  # create | update | clear | mid_run | conflict
    value: str | None


@dataclass
class Entity:
    pair: str  # companies | contacts
    key: str
    origin: str  # hubspot | salesforce | both (created on both sides: a first link by matching)
    hs_id: str | None = None
    sf_id: str | None = None
    sf_object: str | None = None  # Account, Contact or Lead
    linked_scans: int = 0  # how many scans have seen both ids (mid-run edits only hit settled links)
    gone: str | None = None  # why the entity left the comparison: deleted on a side, merged away
    events: dict[str, list[Event]] = field(default_factory=dict)  # hubspot field name -> events
    company_events: list[tuple[float, str]] = field(default_factory=list)  # (t, company key)

    @property
    def linked(self) -> bool:
        return bool(self.hs_id and self.sf_id) and self.gone is None


def _empty(value: Any) -> bool:
    return value is None or value == ""


def norm(value: Any) -> str | None:
    if _empty(value):
        return None
    return str(value)


def expected(entity: Entity, f: MappedField) -> dict[str, str | None]:
    """side -> the value that side must hold for this field, by the field's direction."""
    events = sorted(entity.events.get(f.hubspot, []), key=lambda e: (e.t, e.seq))
    creates = {e.side: e.value for e in events if e.kind == "create"}
    edits = [e for e in events if e.kind != "create"]
    if f.direction == "create_only":
        out = {}
        for side in SIDES:
            own = [e for e in events if e.side == side]
            if own:
                out[side] = norm(own[-1].value)
            else:  # created on the other side by crmsync: the value copied at creation
                out[side] = norm(creates.get("salesforce" if side == "hubspot" else "hubspot"))
        return out
    if f.direction.startswith("always_"):
        owner = f.direction.removeprefix("always_")
        other = "salesforce" if owner == "hubspot" else "hubspot"
        # the value at the link: the owner's, unless it never had one (an empty never-set value never
        # overwrites); a record crmsync created on the owner's side got the other side's value
        value = norm(creates.get(owner)) if not _empty(creates.get(owner)) else norm(creates.get(other))
        for e in edits:
            if e.side == owner:
                value = norm(e.value)
        return dict.fromkeys(SIDES, value)
    value = _first_link_value(entity, f, creates, events)
    for e in edits:
        value = norm(e.value)
    return dict.fromkeys(SIDES, value)


def _first_link_value(
    entity: Entity, f: MappedField, creates: dict[str, Any], events: list[Event]
) -> str | None:
    if len(creates) < 2:
        return norm(next(iter(creates.values()), None))
    if f.direction.startswith("prefer_"):
        preferred = f.direction.removeprefix("prefer_")
        other = "salesforce" if preferred == "hubspot" else "hubspot"
        return norm(creates[preferred]) if not _empty(creates[preferred]) else norm(creates[other])
    # two_way at a first link: the newer side wins unless it is empty (the soak gives twins equal values)
    newer = max((e for e in events if e.kind == "create"), key=lambda e: (e.t, e.seq))
    return (
        norm(newer.value)
        if not _empty(newer.value)
        else norm(creates["hubspot" if newer.side == "salesforce" else "salesforce"])
    )


def expected_company(entity: Entity) -> str | None:
    """The key of the company the person must be associated with on both sides (the latest change)."""
    return max(entity.company_events)[1] if entity.company_events else None


@dataclass
class Keyless:
    """A person in both CRMs with no usable key (no email, no company): crmsync must leave both records
    alone (neither linked nor created) and open a `keyless` review item."""

    last_name: str
    hs_id: str
    sf_id: str


@dataclass
class Erased:
    """A person erased (`crmsync forget`, or a GDPR delete in HubSpot): the values that must be gone from
    both CRMs, the state file, its published copy and Dagster's run storage."""

    key: str
    how: str
    values: tuple[str, ...]


class World:
    """Every entity the soak knows, by pair and key, with a running sequence for events."""

    def __init__(self) -> None:
        self.fields = mapped_fields()
        self.entities: dict[str, dict[str, Entity]] = {"companies": {}, "contacts": {}}
        self._seq = 0
        self.counts: dict[str, int] = {}
        self.keyless: list[Keyless] = []
        self.erased: list[Erased] = []
        self.awaiting_review: list[tuple[str, str | None, str, str]] = []  # pair, HubSpot id, kind, key

    def add(self, entity: Entity) -> Entity:
        self.entities[entity.pair][entity.key] = entity
        return entity

    def record(self, entity: Entity, side: str, hs_field: str, value: Any, kind: str, t: float) -> None:
        self._seq += 1
        entity.events.setdefault(hs_field, []).append(Event(self._seq, t, side, kind, norm(value)))

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def field(self, pair: str, hs_name: str) -> MappedField:
        return next(f for f in self.fields[pair] if f.hubspot == hs_name)

    def linked(self, pair: str) -> list[Entity]:
        return [e for e in self.entities[pair].values() if e.linked]

    def by_hs_id(self, pair: str) -> dict[str, Entity]:
        return {e.hs_id: e for e in self.entities[pair].values() if e.hs_id}
