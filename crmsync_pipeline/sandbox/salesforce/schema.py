"""Field and object metadata: the single source for describe, validation, SOQL and CSV handling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox"}
SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


@dataclass
class FieldDef:
    """One field as describe reports it; the defaults suit a plain, editable, nillable text field."""

    name: str
    type: str = "string"
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted_on_create: bool = False
    default_value: Any = None
    picklist: list[str] = field(default_factory=list)
    picklist_default: str | None = None
    restricted: bool = False
    reference_to: list[str] = field(default_factory=list)
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    case_sensitive: bool = False
    id_lookup: bool = False
    name_field: bool = False
    custom: bool = False
    calculated: bool = False

    def __post_init__(self) -> None:
        if not self.label:
            self.label = _label(self.name)

    @property
    def required_on_create(self) -> bool:
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    @property
    def indexed(self) -> bool:
        return self.unique or self.external_id

    @property
    def soap_type(self) -> str:
        return SOAP_TYPES.get(self.type, "xsd:string")


@dataclass
class RecordTypeDef:
    id: str
    name: str
    developer_name: str
    master: bool = False
    default: bool = False


@dataclass
class ObjectDef:
    """An sObject type: its fields in describe order plus a case-insensitive index of them."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    custom: bool = False
    writable: bool = True  # False: metadata-like objects the API cannot create/update/delete
    mergeable: bool = False
    record_types: list[RecordTypeDef] = field(default_factory=list)
    _lower: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    _relationships: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def add(self, f: FieldDef) -> FieldDef:
        self.fields[f.name] = f
        self._lower[f.name.lower()] = f
        if f.relationship_name:
            self._relationships[f.relationship_name.lower()] = f
        return f

    def field(self, name: str, case_insensitive: bool = True) -> FieldDef | None:
        if not case_insensitive:
            return self.fields.get(name)
        return self._lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        return self._relationships.get(name.lower())

    def blank_row(self) -> dict[str, Any]:
        return dict.fromkeys(self.fields)


def _label(api_name: str) -> str:
    base = api_name.removesuffix("__c").removesuffix("Id") or api_name
    out = ""
    for i, ch in enumerate(base.replace("_", " ")):
        if ch.isupper() and i and base[i - 1].islower():
            out += " "
        out += ch
    return out.strip()


def plural(label: str) -> str:
    if label.endswith("y") and not label.endswith("ay"):
        return label[:-1] + "ies"
    return label + ("es" if label.endswith("s") else "s")
