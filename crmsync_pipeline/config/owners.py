"""Owners: HubSpot owner ids and Salesforce user ids compare as the owner's email."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from .base import Side
from .transforms import (
    NO_CONTEXT,
    OwnerEmails,
    TransformContext,
    TransformError,
    UnmappedValueError,
    empty_for,
    is_empty,
    normalize_email,
)


@dataclass(frozen=True)
class OwnerDirectory:
    """HubSpot owner ids and Salesforce user ids, each with its email (owners are matched by email)."""

    hubspot: dict[str, str] = field(default_factory=dict)
    salesforce: dict[str, str] = field(default_factory=dict)

    def email_of(self, side: Side, owner_id: str) -> str | None:
        email = (self.hubspot if side is Side.HUBSPOT else self.salesforce).get(str(owner_id))
        return normalize_email(email)

    def id_for(self, side: Side, email: str) -> str | None:
        by_email = self._hubspot_by_email if side is Side.HUBSPOT else self._salesforce_by_email
        return by_email.get(normalize_email(email) or "")

    @cached_property
    def _hubspot_by_email(self) -> dict[str, str]:
        return {normalize_email(e) or "": i for i, e in reversed(self.hubspot.items())}

    @cached_property
    def _salesforce_by_email(self) -> dict[str, str]:
        return {normalize_email(e) or "": i for i, e in reversed(self.salesforce.items())}


@dataclass(frozen=True)
class OwnerTransform:
    """HubSpot owner ids and Salesforce user ids compare as the owner's lower-cased email."""

    needs: ClassVar[str] = "owners"

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if is_empty(value):
            return None
        email = _owners(ctx).email_of(side, str(value))
        if email is None:
            raise UnmappedValueError(f"{side.value} owner {value!r} has no known email")
        return email

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if value is None:
            return empty_for(side)
        owner_id = _owners(ctx).id_for(side, value)
        if owner_id is None:
            raise UnmappedValueError(f"no {side.value} owner has the email {value!r}")
        return owner_id


def _owners(ctx: TransformContext) -> OwnerEmails:
    if ctx.owners is None:
        raise TransformError("the owner transform needs TransformContext(owners=OwnerDirectory(...))")
    return ctx.owners
