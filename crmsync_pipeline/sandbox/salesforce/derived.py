"""Fields Salesforce computes on save: names, Opportunity stage facts, Task closure, record types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import sf_datetime
from .schema import ObjectDef
from .standard_objects import DEFAULT_OPPORTUNITY_RECORD_TYPE_ID, OPPORTUNITY_STAGES

if TYPE_CHECKING:
    from .records import Records


def apply_derived(
    obj: ObjectDef, row: dict[str, Any], old: dict[str, Any] | None, changed: set[str], records: Records
) -> None:
    if "Name" in obj.fields and "FirstName" in obj.fields:
        row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p) or None
    if obj.name == "Opportunity":
        _opportunity(row, old, changed, records)
    elif obj.name == "Task":
        row["IsClosed"] = row.get("Status") == "Completed"
        if row["IsClosed"] and not (old or {}).get("IsClosed"):
            row["CompletedDateTime"] = sf_datetime(records.clock.now())
        elif not row["IsClosed"]:
            row["CompletedDateTime"] = None


def _opportunity(
    row: dict[str, Any], old: dict[str, Any] | None, changed: set[str], records: Records
) -> None:
    if old is None and row.get("RecordTypeId") is None:
        row["RecordTypeId"] = DEFAULT_OPPORTUNITY_RECORD_TYPE_ID
    stage = OPPORTUNITY_STAGES.get(row.get("StageName") or "")
    if old is not None and "StageName" not in changed:
        return
    if stage is None:
        row.setdefault("IsClosed", False)
        row["IsClosed"] = bool(row.get("IsClosed"))
        row["IsWon"] = bool(row.get("IsWon"))
        return
    probability, closed, won, forecast = stage
    row["IsClosed"], row["IsWon"] = closed, won
    if "Probability" not in changed:
        row["Probability"] = float(probability)
    if "ForecastCategoryName" not in changed:
        row["ForecastCategoryName"] = forecast
    row["ForecastCategory"] = row["ForecastCategoryName"]
