"""Text to `nodes`: the lark grammar in `soql.lark` plus a transformer, with Salesforce-style errors.

Parsing is syntax only; names are resolved against the org's metadata when the query runs. Parse
results are cached by text because sync jobs send the same few statements over and over.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .errors import MALFORMED_QUERY, SoqlError, located
from .literals import BadEscape, decode_string, like_pattern
from .logic_rules import check_logic
from .nodes import (
    And,
    BareCall,
    Comparison,
    Condition,
    FieldPath,
    FuncCall,
    Keyword,
    Not,
    Or,
    OrderItem,
    Paren,
    Position,
    Query,
    SelectCall,
    SelectSubquery,
    Value,
)

_GRAMMAR = resources.files(__package__).joinpath("soql.lark").read_text(encoding="utf-8")
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", start=["start", "condition_start"])

_VALUE_KINDS = {"STRING": "string", "NUMBER": "number", "DATETIME": "datetime", "DATE": "date"}


class _Problem(Exception):
    def __init__(self, code: str, pos: Position, reason: str):
        super().__init__(reason)
        self.code, self.pos, self.reason = code, pos, reason


def _pos(token: Token) -> Position:
    return Position(token.line or 1, token.column or 1)


def _split_keywords(children) -> tuple[tuple, tuple[Keyword, ...]]:
    items = tuple(c for c in children if not isinstance(c, Token))
    keywords = tuple(Keyword(str(c), _pos(c)) for c in children if isinstance(c, Token))
    return items, keywords


def _checked(values: list[Value] | tuple[Value, ...], like: bool = False) -> tuple[Value, ...]:
    """Rejects bad escapes at parse time, so a broken literal never reaches execution."""
    for value in values:
        if value.kind != "string":
            continue
        try:
            like_pattern(value.raw) if like else decode_string(value.raw)
        except BadEscape as bad:
            raise _Problem(
                MALFORMED_QUERY,
                value.pos,
                f"Invalid string literal '{value.raw}'. Illegal character sequence '{bad.sequence}' in "
                "string literal.",
            ) from None
    return tuple(values)


class _ToNodes(Transformer):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    # ---- statement -------------------------------------------------------------------------------
    def start(self, children):
        return children[0]

    def condition_start(self, children):
        return children[0]

    def query(self, children):
        select, (sobject, sobject_pos, alias), *clauses = children
        parts = dict(clauses)
        limit = parts.get("limit")
        offset = parts.get("offset")
        return Query(
            select=tuple(select),
            sobject=sobject,
            sobject_pos=sobject_pos,
            alias=alias,
            where=parts.get("where"),
            group_by=tuple(parts.get("group", ())),
            order_by=tuple(parts.get("order", ())),
            limit=limit[0] if limit else None,
            offset=offset[0] if offset else None,
            offset_pos=offset[1] if offset else None,
            text=self.text,
        )

    def select_clause(self, children):
        return children

    def select_call(self, children):
        call, alias = children[0], children[1] if len(children) > 1 else None
        return SelectCall(call, str(alias) if alias is not None else None)

    def select_subquery(self, children):
        query: Query = children[0]
        return SelectSubquery(query, query.select[0].pos if query.select else query.sobject_pos)

    def object_ref(self, children):
        alias = str(children[1]) if len(children) > 1 else None
        return str(children[0]), _pos(children[0]), alias

    def func_call(self, children):
        name, arg = children
        return FuncCall(str(name), arg, _pos(name))

    def field_path(self, children):
        return FieldPath(tuple(str(t) for t in children), _pos(children[0]))

    # ---- clauses ---------------------------------------------------------------------------------
    def where_clause(self, children):
        return "where", children[0]

    def group_clause(self, children):
        return "group", children

    def order_clause(self, children):
        return "order", children

    def order_item(self, children):
        operand, direction, nulls = children
        descending = direction is not None and direction.type == "DESC"
        nulls_first = None if nulls is None else nulls.type == "FIRST"
        return OrderItem(operand, descending, nulls_first)

    def limit_clause(self, children):
        return "limit", (int(children[0]), _pos(children[0]))

    def offset_clause(self, children):
        return "offset", (int(children[0]), _pos(children[0]))

    # ---- conditions ------------------------------------------------------------------------------
    def or_cond(self, children) -> Condition:
        return Or(*_split_keywords(children))

    def and_cond(self, children) -> Condition:
        return And(*_split_keywords(children))

    def not_cond(self, children) -> Condition:
        return Not(children[1], Keyword(str(children[0]), _pos(children[0])))

    def paren(self, children) -> Condition:
        return Paren(children[0])

    def bare_call(self, children) -> Condition:
        return BareCall(children[0])

    def compare(self, children):
        operand, op, value = children
        return Comparison(operand, str(op), _checked([value]), op_pos=_pos(op))

    def like(self, children):
        return Comparison(children[0], "LIKE", _checked([children[1]], like=True))

    def in_list(self, children):
        return Comparison(children[0], "IN", _checked(children[1]))

    def not_in_list(self, children):
        return Comparison(children[0], "NOT_IN", _checked(children[2]))

    def in_query(self, children):
        return Comparison(children[0], "IN", subquery=children[1])

    def not_in_query(self, children):
        return Comparison(children[0], "NOT_IN", subquery=children[2])

    def includes(self, children):
        return Comparison(children[0], "INCLUDES", _checked(children[1]))

    def excludes(self, children):
        return Comparison(children[0], "EXCLUDES", _checked(children[1]))

    def value_list(self, children):
        return children

    def value(self, children):
        token: Token = children[0]
        if token.type == "NAME_N":
            word, _, count = str(token).partition(":")
            return Value("word", word, _pos(token), int(count))
        kind = _VALUE_KINDS.get(token.type, "word")
        raw = str(token)[1:-1] if kind == "string" else str(token)
        return Value(kind, raw, _pos(token))  # type: ignore[arg-type]


def _syntax_error(text: str, err: UnexpectedInput) -> SoqlError:
    pos = Position(err.line if err.line > 0 else 1, err.column if err.column > 0 else 1)
    if isinstance(err, UnexpectedToken):
        token = "<EOF>" if err.token.type == "$END" else str(err.token)
        if token == "<EOF>":
            lines = text.splitlines() or [""]
            pos = Position(len(lines), len(lines[-1]) + 1)
        return located(MALFORMED_QUERY, text, pos, f"unexpected token: '{token}'")
    if isinstance(err, UnexpectedCharacters):
        char = err.char
        if char == ":":
            return located(MALFORMED_QUERY, text, pos, "Bind variables only allowed in Apex code")
        if char == "'":
            # an opening quote that never closes: usually user data with an unescaped quote in it
            return SoqlError(
                MALFORMED_QUERY,
                f"line {pos.line}:{pos.column - 1} mismatched character '<EOF>' expecting '''",
            )
        return SoqlError(
            MALFORMED_QUERY, f"line {pos.line}:{pos.column - 1} no viable alternative at character '{char}'"
        )
    return located(MALFORMED_QUERY, text, pos, "unexpected token: '<EOF>'")


def _parse(text: str, start: str):
    try:
        tree = _PARSER.parse(text, start=start)
        return _ToNodes(text).transform(tree)
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    except VisitError as err:
        if isinstance(err.orig_exc, _Problem):
            problem = err.orig_exc
            raise located(problem.code, text, problem.pos, problem.reason) from None
        raise


@lru_cache(maxsize=512)
def parse_soql(text: str) -> Query:
    """Parse one SOQL statement (syntax only); raises SoqlError(MALFORMED_QUERY)."""
    if not text or not text.strip():
        raise SoqlError(MALFORMED_QUERY, "unexpected token: '<EOF>'")
    query = _parse(text, "start")
    check_logic(query)
    return query


@lru_cache(maxsize=256)
def parse_condition(text: str) -> Condition:
    """Parse a bare WHERE condition (validation and duplicate rules)."""
    if not text or not text.strip():
        raise SoqlError(MALFORMED_QUERY, "unexpected token: '<EOF>'")
    return _parse(text, "condition_start")
