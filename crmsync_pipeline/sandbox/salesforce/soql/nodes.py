"""The parsed form of a SOQL query: plain immutable dataclasses, names still as the user wrote them.

Every node keeps the row/column where it started so errors found while resolving names against the
catalog can point at the right place, the way Salesforce's `ERROR at Row:1:Column:N` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class FieldPath:
    parts: tuple[str, ...]
    pos: Position

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class FuncCall:
    """`NAME(arg)`: aggregates in SELECT, FIELDS(...), LEN/ISBLANK in validation conditions."""

    name: str
    arg: FieldPath | None
    pos: Position

    @property
    def upper_name(self) -> str:
        return self.name.upper()


LiteralKind = TypingLiteral["string", "number", "datetime", "date", "word"]


@dataclass(frozen=True, slots=True)
class Value:
    """A literal as written. `string` keeps its raw (still escaped) text, decoded per context, because
    `\\%` and `\\_` are legal escapes only inside LIKE. `word` is true/false/null or a relative date
    literal such as TODAY or LAST_N_DAYS:30 (`count` holds the :n)."""

    kind: LiteralKind
    raw: str
    pos: Position
    count: int | None = None


@dataclass(frozen=True, slots=True)
class SelectCall:
    call: FuncCall
    alias: str | None


@dataclass(frozen=True, slots=True)
class SelectSubquery:
    query: Query
    pos: Position


SelectItem = FieldPath | SelectCall | SelectSubquery
Operand = FieldPath | FuncCall


@dataclass(frozen=True, slots=True)
class Comparison:
    """`operand op value(s)`; op is one of = != < <= > >= LIKE IN NOT_IN INCLUDES EXCLUDES."""

    operand: Operand
    op: str
    values: tuple[Value, ...] = ()
    subquery: Query | None = None
    op_pos: Position | None = None


@dataclass(frozen=True, slots=True)
class BareCall:
    """A function used as a whole condition, e.g. `ISBLANK(Phone)` (validation rules only)."""

    call: FuncCall


@dataclass(frozen=True, slots=True)
class Keyword:
    text: str
    pos: Position


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Condition, ...]
    keywords: tuple[Keyword, ...] = ()


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Condition, ...]
    keywords: tuple[Keyword, ...] = ()


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition
    keyword: Keyword | None = None


@dataclass(frozen=True, slots=True)
class Paren:
    item: Condition


Condition = Comparison | BareCall | And | Or | Not | Paren


@dataclass(frozen=True, slots=True)
class OrderItem:
    operand: Operand
    descending: bool
    nulls_first: bool | None  # None: the default for the direction


@dataclass(frozen=True, slots=True)
class Query:
    """One SELECT (top level, child subquery or semi-join); `text` is the whole statement."""

    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: Position
    alias: str | None
    where: Condition | None
    group_by: tuple[FieldPath, ...]
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    offset_pos: Position | None
    text: str


SoqlQuery = Query
