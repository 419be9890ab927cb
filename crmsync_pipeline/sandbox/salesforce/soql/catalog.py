"""What the evaluator needs to know about the org: objects, fields, relationships and stored rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class FieldMeta:
    """One field as describe reports it (`type` is the describe type: string, reference, date...)."""

    name: str
    type: str
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None


class SoqlCatalog(Protocol):
    """The emulator's metadata and records; all name lookups are case-insensitive.

    An implementation may also offer `fields(sobject) -> Iterable[FieldMeta]` (used by
    `FIELDS(ALL|STANDARD|CUSTOM)`; without it the keys of a stored row stand in).
    """

    def object_name(self, name: str) -> str | None: ...

    def field(self, sobject: str, name: str) -> FieldMeta | None: ...

    def relationship(self, sobject: str, relationship_name: str) -> tuple[FieldMeta, list[str]] | None: ...

    def child_relationship(self, sobject: str, name: str) -> tuple[str, str] | None: ...

    def rows(self, sobject: str) -> Iterable[dict]: ...

    def get_by_id(self, record_id: str) -> tuple[str, dict] | None: ...


TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "combobox",
        "encryptedstring",
        "multipicklist",
    }
)
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent", "long"})


def category(field_type: str) -> str:
    """text | id | number | boolean | date | datetime | time | other."""
    if field_type in TEXT_TYPES:
        return "text"
    if field_type in ID_TYPES:
        return "id"
    if field_type in NUMBER_TYPES:
        return "number"
    if field_type in ("boolean", "date", "datetime", "time"):
        return field_type
    return "other"


def type_label(field_type: str) -> str:
    """The type name Salesforce puts in "must be of type ..." filter errors."""
    return {
        "int": "integer",
        "long": "long",
        "double": "double",
        "currency": "currency",
        "percent": "percent",
        "boolean": "boolean",
        "date": "date",
        "datetime": "dateTime",
        "id": "id",
        "reference": "id",
    }.get(field_type, "string")
