"""Matching keys: how an unlinked HubSpot record finds its Salesforce twin, and the normalizers they use.

Matching order (docs/design.md): existing link -> cross-reference ids -> these keys in file order. A key
matches only when every one of its parts is non-empty on both records; `only_when_missing` restricts a
fallback key to records that have no value for the named earlier keys (e.g. name + company only for
contacts without email).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from .base import StrictModel
from .transforms import bare_domain, is_empty, normalize_email


class Normalizer(StrEnum):
    """How one part of a matching key is normalized before comparing."""

    TEXT = "text"  # trimmed, case-folded, inner whitespace collapsed
    EMAIL = "email"  # trimmed, lower-cased
    DOMAIN = "domain"  # URL or domain -> bare domain
    NAME = "name"  # a person's name: accents and punctuation dropped
    COMPANY_NAME = "company_name"  # also drops legal suffixes: "Acme Corp." == "ACME, Inc." == "Acme"
    PHONE = "phone"  # digits only


# Legal-form words users add or leave out; dropped only at the end of a name.
COMPANY_SUFFIXES = (
    "incorporated",
    "corporation",
    "company",
    "limited",
    "inc",
    "corp",
    "co",
    "llc",
    "ltd",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sarl",
    "bv",
    "nv",
    "oy",
    "ab",
    "pty",
    "lp",
    "llp",
)


def _plain(value: Any) -> str:
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s]", " ", text.casefold().replace("&", " and "))
    return " ".join(text.split())


def normalize_company_name(value: Any) -> str | None:
    if is_empty(value):
        return None
    words = _plain(value).split()
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words) or None


NORMALIZERS: dict[Normalizer, Callable[[Any], str | None]] = {
    Normalizer.TEXT: lambda v: None if is_empty(v) else " ".join(str(v).casefold().split()),
    Normalizer.EMAIL: normalize_email,
    Normalizer.DOMAIN: bare_domain,
    Normalizer.NAME: lambda v: None if is_empty(v) else (_plain(v) or None),
    Normalizer.COMPANY_NAME: normalize_company_name,
    Normalizer.PHONE: lambda v: None if is_empty(v) else (re.sub(r"\D", "", str(v)) or None),
}


def normalize(kind: Normalizer | str, value: Any) -> str | None:
    return NORMALIZERS[Normalizer(kind)](value)


ALL_OBJECTS = "*"


class MatchKey(StrictModel):
    """One matching key: HubSpot properties and the Salesforce fields (per object when they differ)
    that must all be equal after normalizing. Salesforce parts may follow a lookup: 'Account.Name'."""

    name: str
    hubspot: list[str] = Field(min_length=1)
    salesforce: dict[str, list[str]]
    normalize: list[Normalizer] = Field(default_factory=lambda: [Normalizer.TEXT])
    only_when_missing: list[str] = Field(default_factory=list)

    @field_validator("salesforce", mode="before")
    @classmethod
    def _same_fields_for_every_object(cls, value: Any) -> Any:
        if isinstance(value, list | str):
            value = {ALL_OBJECTS: value}
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("hubspot", mode="before")
    @classmethod
    def _one_field_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("normalize", mode="before")
    @classmethod
    def _one_normalizer_for_all(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _parts_line_up(self) -> MatchKey:
        size = len(self.hubspot)
        for obj, parts in self.salesforce.items():
            if len(parts) != size:
                where = "salesforce" if obj == ALL_OBJECTS else f"salesforce.{obj}"
                raise ValueError(
                    f"{where} has {len(parts)} field(s) but hubspot has {size}: parts are compared in order"
                )
        if len(self.normalize) == 1:
            self.normalize = self.normalize * size
        elif len(self.normalize) != size:
            raise ValueError(f"normalize has {len(self.normalize)} entries; give one for all parts or {size}")
        return self

    def salesforce_fields(self, salesforce_object: str) -> list[str] | None:
        return self.salesforce.get(salesforce_object, self.salesforce.get(ALL_OBJECTS))

    def hubspot_value(self, record: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The normalized key of a HubSpot record, or None when a part is empty."""
        return self._key(record, self.hubspot)

    def salesforce_value(self, salesforce_object: str, record: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The normalized key of a Salesforce record (lookups like 'Account.Name' read nested dicts)."""
        fields = self.salesforce_fields(salesforce_object)
        return None if fields is None else self._key(record, fields)

    def _key(self, record: Mapping[str, Any], fields: list[str]) -> tuple[str, ...] | None:
        parts = tuple(normalize(n, _dig(record, f)) for n, f in zip(self.normalize, fields, strict=True))
        return None if any(p is None for p in parts) else parts  # type: ignore[return-value]


def _dig(record: Mapping[str, Any], path: str) -> Any:
    if path in record:
        return record[path]
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, Mapping) else None
    return value
