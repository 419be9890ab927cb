"""Org automation that can refuse a save: validation rules (SOQL conditions) and duplicate rules."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .errors import fail
from .records import Records, index_key
from .schema import ObjectDef
from .settings import SalesforceSettings

log = logging.getLogger(__name__)
DUPLICATE_MESSAGE = "You're creating a duplicate record. We recommend you use an existing record instead."


class OrgRules:
    """Checks a record about to be saved against the active validation and duplicate rules."""

    def __init__(self, records: Records, settings: SalesforceSettings, catalog: Any, version: str = "59.0"):
        self.records, self.settings, self.catalog = records, settings, catalog
        self._compiled: dict[tuple[str, str], Callable[[dict], bool] | None] = {}

    def __call__(self, obj: ObjectDef, row: dict[str, Any], changed: set[str], insert: bool) -> None:
        for rule in self.settings.validation_rules:
            if rule.active and rule.object.lower() == obj.name.lower():
                predicate = self._predicate(obj.name, rule.error_condition)
                if predicate is not None and predicate(row):
                    raise fail(
                        "FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, [rule.field] if rule.field else []
                    )
        for dup in self.settings.duplicate_rules:
            if (
                dup.active
                and dup.object.lower() == obj.name.lower()
                and (insert or changed & set(dup.fields))
            ):
                self._duplicates(obj, row, dup.fields, dup.name or f"Standard_{obj.name}_Duplicate_Rule")

    def _predicate(self, obj: str, condition: str) -> Callable[[dict], bool] | None:
        key = (obj, condition)
        if key not in self._compiled:
            from .soql import SoqlError, SoqlOptions, compile_condition

            try:
                options = SoqlOptions(**self.settings.soql)
                self._compiled[key] = compile_condition(obj, condition, self.catalog, options=options)
            except SoqlError as exc:
                log.warning("validation rule on %s ignored: %s", obj, exc)
                self._compiled[key] = None
        return self._compiled[key]

    def _duplicates(self, obj: ObjectDef, row: dict[str, Any], fields: list[str], rule_name: str) -> None:
        defs = [obj.field(n) for n in fields]
        if any(f is None for f in defs) or any(row.get(f.name) is None for f in defs):  # type: ignore[union-attr]
            return
        first = defs[0]
        candidates = self.records.find(obj.name, first.name, row[first.name])  # type: ignore[union-attr]
        table = self.records.store.table(obj.name)
        matches = [
            rid for rid in candidates
            if rid != row["Id"] and all(index_key(f, table[rid].get(f.name)) == index_key(f, row[f.name]) for f in defs)  # type: ignore[union-attr]
        ]  # fmt: skip
        if not matches:
            return
        match_records = [{
            "additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
            "record": {"attributes": {"type": obj.name, "url": f"/services/data/v59.0/sobjects/{obj.name}/{rid}"}, "Id": rid},
        } for rid in matches[:20]]  # fmt: skip
        result = {
            "allowSave": False, "duplicateRule": rule_name, "duplicateRuleEntityType": obj.name,
            "errorMessage": DUPLICATE_MESSAGE,
            "matchResults": [{"entityType": obj.name, "errors": [], "matchEngine": "ExactMatchEngine",
                              "matchRecords": match_records, "rule": f"Standard_{obj.name}_Match_Rule_v1_0",
                              "size": len(match_records), "success": True}],
        }  # fmt: skip
        raise fail("DUPLICATES_DETECTED", DUPLICATE_MESSAGE, [], duplicateResult=result)
