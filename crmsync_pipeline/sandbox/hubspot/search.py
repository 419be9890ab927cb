"""`POST /crm/v3/objects/{type}/search`: filter groups, one sort, offset paging, HubSpot's limits."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import errors
from .schema import ObjectType
from .search_filters import compile_filter

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

MAX_GROUPS, MAX_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, MAX_RESULTS, MAX_QUERY_CHARS = 200, 10_000, 3_000


def run_search(em: HubSpotEmulator, otype: ObjectType, body: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.validation("search request must be a JSON object")
    if len(json.dumps(body)) > MAX_QUERY_CHARS:
        raise errors.validation(f"Search request body exceeds the maximum of {MAX_QUERY_CHARS} characters")
    groups = body.get("filterGroups") or []
    n_filters = sum(len(g.get("filters") or []) for g in groups)
    if (
        len(groups) > MAX_GROUPS
        or any(len(g.get("filters") or []) > MAX_PER_GROUP for g in groups)
        or n_filters > MAX_FILTERS
    ):
        raise errors.validation(
            f"Too many filters: at most {MAX_GROUPS} filterGroups, {MAX_PER_GROUP} filters per group and "
            f"{MAX_FILTERS} filters in total are allowed",
            subCategory="TOO_MANY_FILTERS",
        )
    limit = _int(body.get("limit"), 10, "limit")
    if limit > MAX_LIMIT:
        raise errors.validation(f"limit must be less than or equal to {MAX_LIMIT}")
    offset = _int(body.get("after"), 0, "after")
    if offset >= MAX_RESULTS:
        raise errors.validation(
            f"Search results are limited to {MAX_RESULTS} records; narrow the query "
            "instead of paging further",
            subCategory="PAGING_LIMIT_EXCEEDED",
        )

    definitions = em.registry.properties(otype.type_id)
    associated = lambda to_name, to_id: em.associations.ids_of(to_name, to_id, otype.type_id)  # noqa: E731
    compiled = [[compile_filter(f, definitions, associated) for f in g.get("filters") or []] for g in groups]
    compiled = [g for g in compiled if g]
    query = str(body.get("query") or "").strip().lower()

    matches = []
    for record in em.search_index.view(otype.type_id).values():
        if compiled and not any(all(p(record) for p in group) for group in compiled):
            continue
        if query and not any(query in (record["p"].get(n) or "").lower() for n in otype.searchable):
            continue
        matches.append(record)

    _sort(matches, body.get("sorts") or [], definitions, em.settings.search_accepts_string_sorts)
    page = matches[offset : min(offset + limit, len(matches))]
    properties = body.get("properties") or None
    results = [em.records.to_api(otype, r, properties) for r in page]
    answer: dict[str, Any] = {"total": len(matches), "results": results}
    if offset + limit < len(matches):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return answer


def _int(value: Any, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.validation(f"{name} must be an integer") from None
    if number < 0:
        raise errors.validation(f"{name} must not be negative")
    return number


def _sort(
    matches: list[dict[str, Any]], sorts: list[Any], definitions: dict[str, Any], allow_strings: bool
) -> None:
    if not sorts:
        matches.sort(key=lambda r: (r["c"], int(r["id"])))
        return
    if len(sorts) > 1:
        raise errors.validation("Only one sort is allowed per search")
    rule = sorts[0]
    if isinstance(rule, str):
        if not allow_strings:
            raise errors.validation(f"Invalid sort: {rule}; use {{propertyName, direction}}")
        name, descending = rule.lstrip("-"), rule.startswith("-")
    elif isinstance(rule, dict):
        name, descending = rule.get("propertyName", ""), rule.get("direction", "ASCENDING") == "DESCENDING"
    else:
        raise errors.validation("Invalid sort")
    definition = definitions.get(name)
    if definition is None:
        raise errors.validation(f"Unable to sort by unknown property {name}")
    numeric = definition["type"] == "number"

    def key(record: dict[str, Any]) -> tuple:
        raw = record["p"].get(name)
        if raw is None:
            return (1, 0, int(record["id"]))
        if numeric:
            try:
                return (0, float(raw), int(record["id"]))
            except ValueError:
                return (1, 0, int(record["id"]))
        return (0, raw.lower() if definition["type"] == "string" else raw, int(record["id"]))

    present = [r for r in matches if r["p"].get(name) is not None]
    missing = [r for r in matches if r["p"].get(name) is None]
    present.sort(key=key, reverse=descending)
    missing.sort(key=lambda r: int(r["id"]))
    matches[:] = present + missing
