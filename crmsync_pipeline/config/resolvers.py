"""Custom field logic: a named Python function (`resolver: "package.module:function"`) decides a field.

The merge calls the resolver with a ResolverInput for one linked record and field whenever either side's
canonical value differs from base, and acts on the Resolution it returns. A resolver may hold the field
for review: nothing is written and the field shows in `crmsync review`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

RESOLVER_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


@dataclass(frozen=True)
class ResolverInput:
    """One field of one link, with each value in canonical form (None = empty)."""

    pair: str
    field: str
    base: Any
    hubspot: Any
    salesforce: Any
    hubspot_changed_at: datetime | None
    salesforce_changed_at: datetime | None
    first_link: bool
    hubspot_record: Mapping[str, Any] = field(default_factory=dict)
    salesforce_record: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    """What a resolver decided: take one side's value, set a value of its own, keep as is, or hold."""

    outcome: Literal["hubspot", "salesforce", "value", "keep", "review"]
    value: Any = None
    reason: str = ""

    @classmethod
    def take_hubspot(cls, reason: str = "") -> Resolution:
        return cls("hubspot", reason=reason)

    @classmethod
    def take_salesforce(cls, reason: str = "") -> Resolution:
        return cls("salesforce", reason=reason)

    @classmethod
    def set_value(cls, value: Any, reason: str = "") -> Resolution:
        """Write this canonical value to both sides."""
        return cls("value", value, reason)

    @classmethod
    def keep(cls, reason: str = "") -> Resolution:
        """Write nothing and leave base as it is."""
        return cls("keep", reason=reason)

    @classmethod
    def hold_for_review(cls, reason: str) -> Resolution:
        return cls("review", reason=reason)


Resolver = Callable[[ResolverInput], Resolution]


def import_resolver(reference: str) -> Resolver:
    """The function named by 'package.module:function'; ImportError/AttributeError/TypeError otherwise."""
    if not RESOLVER_REFERENCE.match(reference):
        raise ValueError(f"resolver '{reference}' should look like 'package.module:function'")
    module_name, function_name = reference.split(":")
    module = importlib.import_module(module_name)
    function = getattr(module, function_name)
    if not callable(function):
        raise TypeError(f"'{reference}' is not a function")
    return function
