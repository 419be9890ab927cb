"""Inclusion rules: a small condition language over one snapshot record, evaluated per side.

A condition is exactly one of:
- a field test: `field: <name>` with one operator: equals, not_equals, in, not_in, is_empty,
  email_domain_in, email_domain_not_in (values compare trimmed and case-insensitively; an empty email
  is in no domain, so `email_domain_not_in` lets records without email through);
- `all: [conditions]`, `any: [conditions]`, `not: condition`;
- `in_list: <HubSpot list name or id>` (HubSpot side only);
- `associated_with_synced: [pairs]`: the record is associated with a record of one of those pairs that
  is itself synced;
- `owner_known: true`: the record's owner is an owner/user found on the other side (by email).
The last three need facts the snapshot row does not hold; the pipeline supplies them through an
InclusionContext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import Field, field_validator, model_validator

from .base import StrictModel
from .transforms import is_empty, normalize_email

OPERATORS = ("equals", "not_equals", "in_", "not_in", "is_empty", "email_domain_in", "email_domain_not_in")
KINDS = ("all", "any", "not_", "field", "in_list", "associated_with_synced", "owner_known")
Scalar = str | int | float | bool


class InclusionContext(Protocol):
    """Facts about a record beyond its own fields, supplied by the pipeline."""

    def in_list(self, list_ref: str, record: Mapping[str, Any]) -> bool: ...

    def associated_with_synced(self, pairs: list[str], record: Mapping[str, Any]) -> bool: ...

    def owner_known(self, record: Mapping[str, Any]) -> bool: ...


class Condition(StrictModel):
    """One inclusion test (see the module docstring for the forms)."""

    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(None, alias="not")
    field: str | None = None
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    is_empty: bool | None = None
    email_domain_in: list[str] | None = None
    email_domain_not_in: list[str] | None = None
    in_list: str | None = None
    associated_with_synced: list[str] | None = None
    owner_known: bool | None = None

    @model_validator(mode="after")
    def _exactly_one_form(self) -> Condition:
        given = self.model_fields_set
        kinds = [k for k in KINDS if k in given]
        operators = [o for o in OPERATORS if o in given]
        if len(kinds) != 1:
            found = ", ".join(_key(k) for k in kinds) or "none"
            raise ValueError(
                f"a condition needs exactly one of field, all, any, not, in_list, "
                f"associated_with_synced, owner_known (found: {found})"
            )
        if kinds == ["field"] and len(operators) != 1:
            raise ValueError(
                f"a field test needs exactly one of {', '.join(_key(o) for o in OPERATORS)} "
                f"(found: {', '.join(_key(o) for o in operators) or 'none'})"
            )
        if kinds != ["field"] and operators:
            raise ValueError(f"'{_key(operators[0])}' is only used with 'field'")
        return self

    def walk(self) -> list[Condition]:
        """This condition and every condition nested in it."""
        nested = [*(self.all or []), *(self.any or []), *([self.not_] if self.not_ else [])]
        return [self, *(c for n in nested for c in n.walk())]

    def fields(self) -> set[str]:
        """The record fields this condition reads (the extract must fetch them)."""
        return {c.field for c in self.walk() if c.field}

    def matches(self, record: Mapping[str, Any], context: InclusionContext | None = None) -> bool:
        if self.all is not None:
            return all(c.matches(record, context) for c in self.all)
        if self.any is not None:
            return any(c.matches(record, context) for c in self.any)
        if self.not_ is not None:
            return not self.not_.matches(record, context)
        if self.field is not None:
            return self._field_matches(record.get(self.field))
        if context is None:
            raise ValueError(
                "this inclusion rule needs an InclusionContext (list, association or owner facts)"
            )
        if self.in_list is not None:
            return context.in_list(self.in_list, record)
        if self.associated_with_synced is not None:
            return context.associated_with_synced(self.associated_with_synced, record)
        return context.owner_known(record) == self.owner_known

    def _field_matches(self, value: Any) -> bool:
        if self.is_empty is not None:
            return is_empty(value) == self.is_empty
        if self.email_domain_in is not None or self.email_domain_not_in is not None:
            email = normalize_email(value)
            domain = email.rsplit("@", 1)[-1] if email and "@" in email else None
            listed = domain is not None and domain in {
                _fold(d) for d in (self.email_domain_in or self.email_domain_not_in or [])
            }
            return listed if self.email_domain_in is not None else not listed
        text = _fold(value)
        if "equals" in self.model_fields_set:
            return text == _fold(self.equals)
        if "not_equals" in self.model_fields_set:
            return text != _fold(self.not_equals)
        if self.in_ is not None:
            return text in {_fold(v) for v in self.in_}
        return text not in {_fold(v) for v in self.not_in or []}


def _fold(value: Any) -> str | None:
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


def _key(name: str) -> str:
    return name.rstrip("_")


class Inclusion(StrictModel):
    """Which records of each side sync. An absent side includes everything from it.

    A record that stops matching stops syncing and keeps its link; it resumes if it matches again."""

    hubspot: Condition | None = None
    salesforce: Condition | None = None

    @field_validator("salesforce")
    @classmethod
    def _lists_are_hubspot_only(cls, rule: Condition | None) -> Condition | None:
        if rule and any(c.in_list for c in rule.walk()):
            raise ValueError("in_list (HubSpot list membership) can only be used in the hubspot rule")
        return rule
