"""One mapped field: the two sides' names, its sync direction, its value transform and write options."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .base import Side, StrictModel
from .owners import OwnerTransform
from .resolvers import RESOLVER_REFERENCE
from .transforms import (
    BoolTransform,
    DateTransform,
    DomainTransform,
    EmailTransform,
    NumberTransform,
    PhoneTransform,
    TextTransform,
    Transform,
)


class Direction(StrEnum):
    """Which side wins a field (docs/design.md, Merge semantics)."""

    PREFER_SALESFORCE = "prefer_salesforce"
    PREFER_HUBSPOT = "prefer_hubspot"
    TWO_WAY = "two_way"
    ALWAYS_SALESFORCE = "always_salesforce"
    ALWAYS_HUBSPOT = "always_hubspot"
    CREATE_ONLY = "create_only"  # written when the record is created on the other side, never after
    NONE = "none"  # never written: mapped for matching and display only
    RESOLVER = "resolver"  # a Python function decides (see resolvers.py)

    @property
    def preferred_side(self) -> Side:
        """The side that wins ties and skew-window races (Salesforce for two_way)."""
        hubspot = {Direction.PREFER_HUBSPOT, Direction.ALWAYS_HUBSPOT}
        return Side.HUBSPOT if self in hubspot else Side.SALESFORCE


class TransformKind(StrEnum):
    """The canonical value transforms a field can use."""

    TEXT = "text"
    EMAIL = "email"
    DOMAIN = "domain"
    DATE = "date"
    NUMBER = "number"
    PHONE = "phone"
    BOOL = "bool"
    PICKLIST = "picklist"
    STAGE = "stage"
    OWNER = "owner"


class TransformSpec(StrictModel):
    """`transform: email`, or `transform: {kind: picklist, value_map: industry}` with options."""

    kind: TransformKind = TransformKind.TEXT
    value_map: str | None = None  # picklist: a name under value_maps
    timezone: str = "UTC"  # date: the zone a datetime's date is taken in
    datetime_on: Side | None = Side.HUBSPOT  # date: the side that holds a datetime
    url_on: Side | None = None  # domain: the side written as "https://<domain>"

    @model_validator(mode="before")
    @classmethod
    def _kind_alone(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _options_fit_kind(self) -> TransformSpec:
        if self.kind is TransformKind.PICKLIST and not self.value_map:
            raise ValueError("a picklist transform needs value_map: <name under value_maps>")
        if self.value_map and self.kind is not TransformKind.PICKLIST:
            raise ValueError(f"value_map is only used with kind picklist, not {self.kind.value}")
        if self.kind is TransformKind.DATE:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown timezone '{self.timezone}' (use an IANA name like 'Europe/Paris')"
                ) from None
        return self

    def build(self) -> Transform:
        """The transform, for kinds that need nothing from the rest of the file."""
        simple: dict[TransformKind, Transform] = {
            TransformKind.TEXT: TextTransform(),
            TransformKind.EMAIL: EmailTransform(),
            TransformKind.DOMAIN: DomainTransform(self.url_on),
            TransformKind.DATE: DateTransform(self.timezone, self.datetime_on),
            TransformKind.NUMBER: NumberTransform(),
            TransformKind.PHONE: PhoneTransform(),
            TransformKind.BOOL: BoolTransform(),
            TransformKind.OWNER: OwnerTransform(),
        }
        if self.kind not in simple:
            raise ValueError(f"a {self.kind.value} transform is bound by the Mapping that holds it")
        return simple[self.kind]


class SideValues(StrictModel):
    """A value per side (either may be absent)."""

    hubspot: str | int | float | bool | None = None
    salesforce: str | int | float | bool | None = None

    def for_side(self, side: Side) -> Any:
        return self.hubspot if side is Side.HUBSPOT else self.salesforce


class FieldMapping(StrictModel):
    """A HubSpot property <-> a Salesforce field.

    `name` (default: the HubSpot property) identifies the field in state tables and must be unique in its
    pair. `salesforce_objects` limits it to some of the pair's Salesforce objects (e.g. Lead only).
    `default` is written to a side when the value to write is empty and that side requires one.
    `truncate` writes a too-long value cut to the target's length (reported as a warning) instead of
    failing the record with STRING_TOO_LONG."""

    name: str = ""
    hubspot: str
    salesforce: str
    direction: Direction
    resolver: str | None = None
    transform: TransformSpec = Field(default_factory=TransformSpec)
    truncate: bool = False
    default: SideValues = Field(default_factory=SideValues)
    salesforce_objects: list[str] | None = None
    _transform: Transform | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _resolver_implies_direction(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("resolver") and "direction" not in value:
            return {**value, "direction": Direction.RESOLVER.value}
        return value

    @field_validator("salesforce_objects", mode="before")
    @classmethod
    def _one_object_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _resolver_fits_direction(self) -> FieldMapping:
        self.name = self.name or self.hubspot
        if self.direction is Direction.RESOLVER and not self.resolver:
            raise ValueError("direction 'resolver' needs resolver: \"package.module:function\"")
        if self.resolver and self.direction is not Direction.RESOLVER:
            raise ValueError(f"resolver is only used with direction 'resolver', not '{self.direction.value}'")
        if self.resolver and not RESOLVER_REFERENCE.match(self.resolver):
            raise ValueError(f"resolver '{self.resolver}' should look like 'package.module:function'")
        return self

    @property
    def transformer(self) -> Transform:
        """The bound value transform (to_canonical / from_canonical)."""
        return self._transform or self.transform.build()

    def bind(self, transform: Transform) -> None:
        self._transform = transform

    def applies_to(self, salesforce_object: str) -> bool:
        return self.salesforce_objects is None or salesforce_object in self.salesforce_objects

    def side_field(self, side: Side) -> str:
        return self.hubspot if side is Side.HUBSPOT else self.salesforce

    @property
    def writes(self) -> bool:
        """False for fields that are never written (direction none)."""
        return self.direction is not Direction.NONE
