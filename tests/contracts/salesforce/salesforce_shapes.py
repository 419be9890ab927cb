"""A small shape language for Salesforce JSON answers: required and optional keys, JSON types, nesting.

Salesforce publishes no machine-readable schema for its REST, Bulk 2.0 and Tooling APIs (no OpenAPI file
in its developer guides), so each contract in salesforce_contract.py is written by hand from the documented
example responses and property tables. A shape is checked strictly: a required key that is missing, a value
of another JSON type, or (for a closed object) a key the documentation does not list, is a problem."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

# "2024-01-05T10:11:12.000+0000": Salesforce's datetime format in REST JSON (REST API Developer Guide,
# "Valid Date and DateTime Formats" example values; every example response in the guide uses it)
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
# 18-character ids in API answers (REST API Developer Guide, "Record IDs": the API returns 18 characters)
SF_ID = re.compile(r"^[a-zA-Z0-9]{18}$")


class Shape(ABC):
    """A JSON shape: what is wrong with a value at `path` (an empty list when it fits)."""

    @abstractmethod
    def problems(self, value: Any, path: str) -> list[str]: ...


@dataclass(frozen=True)
class Scalar(Shape):
    """One JSON scalar type: str, int, num (int or float), bool, any; `pattern` for formatted strings."""

    kind: str
    pattern: re.Pattern[str] | None = None
    label: str = ""

    def problems(self, value: Any, path: str) -> list[str]:
        ok = {
            "str": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "num": isinstance(value, int | float) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "any": True,
        }[self.kind]
        if not ok:
            return [f"{path}: expected {self.label or self.kind}, got {type(value).__name__} {value!r:.60}"]
        if self.pattern is not None and not self.pattern.match(value):
            return [f"{path}: expected {self.label}, got {value!r:.60}"]
        return []


@dataclass(frozen=True)
class Nullable(Shape):
    inner: Shape

    def problems(self, value: Any, path: str) -> list[str]:
        return [] if value is None else self.inner.problems(value, path)


@dataclass(frozen=True)
class Const(Shape):
    """A documented fixed value ("Bearer", "User", ...)."""

    values: tuple[Any, ...]

    def problems(self, value: Any, path: str) -> list[str]:
        return (
            []
            if value in self.values
            else [f"{path}: expected one of {list(self.values)}, got {value!r:.60}"]
        )


@dataclass(frozen=True)
class Arr(Shape):
    item: Shape
    min_items: int = 0

    def problems(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {type(value).__name__}"]
        if len(value) < self.min_items:
            return [f"{path}: expected at least {self.min_items} item(s), got {len(value)}"]
        return [p for n, v in enumerate(value) for p in self.item.problems(v, f"{path}[{n}]")]


@dataclass(frozen=True)
class MapOf(Shape):
    """An object whose keys are names (limits, httpHeaders) and whose values share one shape."""

    value: Shape

    def problems(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        return [p for k, v in value.items() for p in self.value.problems(v, f"{path}.{k}")]


@dataclass(frozen=True)
class Obj(Shape):
    """An object with `required` and `optional` keys. `closed`: any other key is a problem (the example
    and the property table list every key); open objects (records, describes) allow more."""

    required: dict[str, Shape]
    optional: dict[str, Shape] = field(default_factory=dict)
    closed: bool = True
    name: str = ""

    def problems(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected {self.name or 'an object'}, got {type(value).__name__} {value!r:.60}"]
        out = [f"{path}.{k}: required, missing" for k in self.required if k not in value]
        if self.closed:
            known = self.required.keys() | self.optional.keys()
            out += [f"{path}.{k}: not a documented key" for k in value if k not in known]
        for key, v in value.items():
            shape = self.required.get(key) or self.optional.get(key)
            if shape is not None:
                out += shape.problems(v, f"{path}.{key}")
        return out


@dataclass(frozen=True)
class OneOf(Shape):
    """The value matches one of these shapes (a subrequest's body is a result or an error array)."""

    shapes: tuple[Shape, ...]

    def problems(self, value: Any, path: str) -> list[str]:
        found = [s.problems(value, path) for s in self.shapes]
        if any(not f for f in found):
            return []
        return min(found, key=len)


STR, INT, NUM, BOOL, ANY = Scalar("str"), Scalar("int"), Scalar("num"), Scalar("bool"), Scalar("any")
DATETIME = Scalar("str", SF_DATETIME, "a Salesforce datetime (yyyy-MM-ddTHH:mm:ss.SSS+0000)")
ID = Scalar("str", SF_ID, "an 18-character id")


def check(shape: Shape, value: Any) -> list[str]:
    return shape.problems(value, "$")
