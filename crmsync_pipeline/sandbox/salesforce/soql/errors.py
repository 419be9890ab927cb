"""SOQL errors with Salesforce's codes and message shapes.

Salesforce prefixes most SOQL errors with the statement, a caret under the offending token and
`ERROR at Row:R:Column:C`, then the reason; the emulator answers them as a 400 with that message.
"""

from __future__ import annotations

from .nodes import Position

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
EXCEEDED_ID_LIMIT = "EXCEEDED_ID_LIMIT"

_NAMES_HINT = "Please reference your WSDL or the describe call for the appropriate names."


class SoqlError(Exception):
    """A query Salesforce would refuse: `code` is the REST errorCode, `message` its text."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def located(code: str, text: str, pos: Position | None, reason: str) -> SoqlError:
    """An error whose message points at `pos` inside `text` (Salesforce's caret format)."""
    if pos is None:
        return SoqlError(code, reason)
    lines = text.splitlines() or [""]
    line = lines[pos.line - 1] if 0 < pos.line <= len(lines) else lines[-1]
    caret = " " * max(pos.column - 1, 0) + "^"
    return SoqlError(code, f"\n{line}\n{caret}\nERROR at Row:{pos.line}:Column:{pos.column}\n{reason}")


def no_such_column(field: str, entity: str) -> str:
    return (
        f"No such column '{field}' on entity '{entity}'. If you are attempting to use a custom field, be "
        f"sure to append the '__c' after the custom field name. {_NAMES_HINT}"
    )


def unsupported_object(name: str) -> str:
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure "
        f"to append the '__c' after the entity name. {_NAMES_HINT}"
    )


def unknown_relationship(name: str, where: str = "field path") -> str:
    return (
        f"Didn't understand relationship '{name}' in {where}. If you are attempting to use a custom "
        f"relationship, be sure to append the '__r' after the custom relationship name. {_NAMES_HINT}"
    )


def wrong_value_type(field: str, type_label: str, quoted: bool) -> str:
    enclosed = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return f"value of filter criterion for field '{field}' must be of type {type_label} and {enclosed}"
