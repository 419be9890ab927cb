"""Conditions outside queries: validation and duplicate rules written as SOQL WHERE text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import relative_dates
from .catalog import SoqlCatalog
from .conditions import compile_where
from .errors import INVALID_TYPE, located, unsupported_object
from .executor import QueryRun
from .options import DEFAULT_OPTIONS, SoqlOptions
from .parser import parse_condition
from .paths import Resolver


def compile_condition(
    sobject: str,
    condition: str,
    catalog: SoqlCatalog,
    *,
    now: datetime | None = None,
    options: SoqlOptions | None = None,
) -> Callable[[dict], bool]:
    """A WHERE condition (plus LEN/LENGTH/ISBLANK) as a predicate over one stored row of `sobject`.

    Unlike a query, AND and OR may mix without parentheses here (AND binds tighter). Relative date
    literals are fixed when the condition is compiled.
    """
    tree = parse_condition(condition)
    canonical = catalog.object_name(sobject)
    if canonical is None:
        raise located(INVALID_TYPE, condition, None, unsupported_object(sobject))
    today = (now or relative_dates.utc_now()).date()
    run = QueryRun(catalog, False, "59.0", today, options or DEFAULT_OPTIONS)
    resolver = Resolver(catalog, canonical, None, condition)
    return compile_where(tree, run.context(resolver, allow_functions=True))
