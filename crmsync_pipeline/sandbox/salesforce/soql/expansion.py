"""FIELDS(ALL|STANDARD|CUSTOM) expanded into plain field paths."""

from __future__ import annotations

from .catalog import SoqlCatalog
from .errors import MALFORMED_QUERY, located
from .nodes import FieldPath, Query, SelectCall, SelectItem

# Salesforce only lets FIELDS(ALL) and FIELDS(CUSTOM) through with a LIMIT of at most 200
_BOUNDED_LIMIT = 200


def _field_names(catalog: SoqlCatalog, sobject: str) -> list[str]:
    lister = getattr(catalog, "fields", None)
    if callable(lister):
        return [meta.name for meta in lister(sobject)]
    first = next(iter(catalog.rows(sobject)), None)
    return list(first) if first else ["Id"]


def expand_fields(query: Query, sobject: str, catalog: SoqlCatalog) -> list[SelectItem]:
    out: list[SelectItem] = []
    for item in query.select:
        if not (isinstance(item, SelectCall) and item.call.upper_name == "FIELDS"):
            out.append(item)
            continue
        call = item.call
        which = call.arg.text.upper() if call.arg is not None else ""
        if which not in ("ALL", "STANDARD", "CUSTOM") or item.alias is not None:
            raise located(MALFORMED_QUERY, query.text, call.pos, f"unexpected token: '{call.name}'")
        if which != "STANDARD" and (query.limit is None or query.limit > _BOUNDED_LIMIT):
            reason = f"The SOQL FIELDS function must have a LIMIT of at most {_BOUNDED_LIMIT}"
            raise located(MALFORMED_QUERY, query.text, call.pos, reason)
        seen = {
            part.parts[-1].lower() for part in out if isinstance(part, FieldPath) and len(part.parts) == 1
        }
        for name in _field_names(catalog, sobject):
            wanted = which == "ALL" or name.endswith("__c") == (which == "CUSTOM")
            if wanted and name.lower() not in seen:
                seen.add(name.lower())
                out.append(FieldPath((name,), call.pos))
    return out
