"""SOQL's rules on logical operators, which a plain precedence grammar would silently accept."""

from __future__ import annotations

from .errors import MALFORMED_QUERY, located
from .nodes import And, Comparison, Condition, Not, Or, Paren, Query, SelectSubquery


def _check_logic(cond: Condition | None, text: str) -> None:
    """SOQL demands parentheses when AND and OR mix, and a NOT that follows AND/OR must open a group."""
    if isinstance(cond, And | Or):
        for index, item in enumerate(cond.items):
            culprit = None
            if isinstance(cond, Or) and isinstance(item, And):
                culprit = cond.keywords[0] if index == 0 else item.keywords[0]
            elif isinstance(item, Not) and index > 0:
                culprit = item.keyword
            if culprit is not None:
                raise located(MALFORMED_QUERY, text, culprit.pos, f"unexpected token: '{culprit.text}'")
            _check_logic(item, text)
    elif isinstance(cond, Not | Paren):
        _check_logic(cond.item, text)
    elif isinstance(cond, Comparison) and cond.subquery is not None:
        check_logic(cond.subquery)


def check_logic(query: Query) -> None:
    """Raises MALFORMED_QUERY where Salesforce refuses an unparenthesised mix of AND/OR/NOT."""
    _check_logic(query.where, query.text)
    for item in query.select:
        if isinstance(item, SelectSubquery):
            check_logic(item.query)
