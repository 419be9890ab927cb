"""Object types and HubSpot-defined association types of a fresh portal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type as the API names it in paths, errors and embedded associations."""

    type_id: str  # "0-1", "2-123"
    name: str  # plural path name: "contacts"
    singular: str  # "contact"
    created_prop: str = "createdate"
    modified_prop: str = "hs_lastmodifieddate"
    default_props: tuple[str, ...] = ()
    searchable: tuple[str, ...] = ()
    mergeable: bool = True
    aliases: tuple[str, ...] = field(default=())

    @property
    def upper(self) -> str:
        """The name HubSpot uses in batch error messages ("CONTACT objects")."""
        return self.singular.upper()

    @property
    def always_props(self) -> tuple[str, ...]:
        """Returned with every response, whatever `properties` asked for."""
        return (self.created_prop, self.modified_prop, "hs_object_id")


CONTACTS = ObjectType(
    "0-1",
    "contacts",
    "contact",
    modified_prop="lastmodifieddate",
    default_props=("firstname", "lastname", "email"),
    searchable=(
        "firstname",
        "lastname",
        "email",
        "phone",
        "hs_additional_emails",
        "fax",
        "mobilephone",
        "company",
    ),
)
COMPANIES = ObjectType(
    "0-2",
    "companies",
    "company",
    default_props=("name", "domain"),
    searchable=("website", "phone", "name", "domain"),
)
DEALS = ObjectType(
    "0-3",
    "deals",
    "deal",
    default_props=("dealname", "amount", "closedate", "pipeline", "dealstage"),
    searchable=("dealname", "pipeline", "dealstage", "description", "dealtype"),
)
TASKS = ObjectType(
    "0-27",
    "tasks",
    "task",
    created_prop="hs_createdate",
    default_props=(),
    searchable=("hs_task_subject", "hs_task_body"),
    mergeable=False,
)
STANDARD_TYPES = (CONTACTS, COMPANIES, DEALS, TASKS)


def custom_object_type(type_id: str, name: str, portal_id: int, searchable: list[str]) -> ObjectType:
    return ObjectType(
        type_id,
        name,
        name,
        created_prop="hs_createdate",
        searchable=tuple(searchable),
        aliases=(f"p{portal_id}_{name}", f"p_{name}"),
    )


# (from, to, typeId, inverse typeId, label-or-None); category HUBSPOT_DEFINED for all
DEFAULT_ASSOCIATION_TYPES: tuple[tuple[str, str, int, int, str | None], ...] = (
    ("0-1", "0-2", 279, 280, None),
    ("0-1", "0-2", 1, 2, "Primary"),
    ("0-3", "0-1", 3, 4, None),
    ("0-3", "0-2", 341, 342, None),
    ("0-3", "0-2", 5, 6, "Primary"),
    ("0-27", "0-1", 204, 203, None),
    ("0-27", "0-3", 216, 215, None),
    ("0-27", "0-2", 192, 191, None),
)


def association_type_rows() -> list[dict[str, Any]]:
    """Both directions of every default type, as stored in the `association_types` meta value."""
    rows = []
    for a, b, type_id, inverse, label in DEFAULT_ASSOCIATION_TYPES:
        rows.append(
            {
                "from": a,
                "to": b,
                "typeId": type_id,
                "inverse": inverse,
                "label": label,
                "category": "HUBSPOT_DEFINED",
                "primary": label == "Primary",
            }
        )
        rows.append(
            {
                "from": b,
                "to": a,
                "typeId": inverse,
                "inverse": type_id,
                "label": label,
                "category": "HUBSPOT_DEFINED",
                "primary": label == "Primary",
            }
        )
    return rows
