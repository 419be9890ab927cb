"""Inserting the HubSpot side of a generated world straight into the store (no API validation)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..clock import iso_z
from ..seed import SeedWorld
from .owners import new_owner
from .records import objects_table

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


def seed_value(definition: dict[str, Any] | None, value: Any) -> str | None:
    if value is None or value == "":
        return None
    kind = definition["type"] if definition else "string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        ts = value if value.tzinfo else value.replace(tzinfo=UTC)
        return ts.astimezone(UTC).strftime("%Y-%m-%d") if kind == "date" else iso_z(ts)
    if isinstance(value, date):
        return (
            value.isoformat()
            if kind == "date"
            else iso_z(datetime(value.year, value.month, value.day, tzinfo=UTC))
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load_world(em: HubSpotEmulator, world: SeedWorld) -> None:
    side = world.hubspot
    ids: dict[tuple[str, str], str] = {}
    for owner in side.owners:
        created = iso_z(owner.created_at) if owner.created_at else None
        made = new_owner(
            em,
            str(owner.fields.get("email", "")),
            str(owner.fields.get("firstName", "")),
            str(owner.fields.get("lastName", "")),
            created,
        )
        ids[("owners", owner.key)] = made["id"]
    now = iso_z(em.clock.now())
    order = ["companies", "contacts", "deals", "tasks"]
    for object_name in sorted(side.objects, key=lambda n: order.index(n) if n in order else len(order)):
        otype = em.registry.resolve(object_name)
        definitions = em.registry.properties(otype.type_id)
        table_name = objects_table(otype.type_id)
        for seed in side.objects[object_name]:
            record_id = em.records.new_id()
            ids[(object_name, seed.key)] = ids[(otype.type_id, seed.key)] = record_id
            props = {}
            for name, value in seed.fields.items():
                text = seed_value(definitions.get(name), value)
                if text is not None:
                    props[name] = text
            for name, (target, key) in seed.refs.items():
                target_id = ids.get((target, key)) or ids.get((target.lower(), key))
                if target_id is not None:
                    props[name] = target_id
            created = iso_z(seed.created_at) if seed.created_at else now
            modified = iso_z(seed.modified_at) if seed.modified_at else created
            props.update(
                {otype.created_prop: created, otype.modified_prop: modified, "hs_object_id": record_id}
            )
            em.store.put(
                table_name,
                record_id,
                {
                    "id": record_id,
                    "p": props,
                    "h": {},
                    "c": created,
                    "u": modified,
                    "a": None,
                    "src": "IMPORT",
                },
            )
    em.associations.rebuild()
    for link in side.associations:
        a, b = em.registry.resolve(link.from_object), em.registry.resolve(link.to_object)
        a_id, b_id = ids.get((link.from_object, link.from_key)), ids.get((link.to_object, link.to_key))
        if a_id and b_id:
            em.associations.add(
                a.type_id, a_id, b.type_id, b_id, [("HUBSPOT_DEFINED", t) for t in link.type_ids]
            )
    for seeded in side.lists:
        otype = em.registry.resolve(seeded.object_type_id)
        made = em.lists.create(seeded.name, otype.type_id, seeded.processing_type)
        for key in seeded.member_keys:
            record_id = ids.get((otype.type_id, key))
            if record_id:
                em.lists.add(made["listId"], record_id)
    em.on_loaded()
