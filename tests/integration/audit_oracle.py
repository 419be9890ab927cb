"""The audit log checked against the CRMs themselves: for each record and field crmsync wrote, the last
confirmed audit row's value is what the CRM holds now (read over its API), a HubSpot confirmed write is in
the property's history (sourceType INTEGRATION), and a row marked failed is not what the CRM holds unless
someone else put it there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

TOKEN = {"Authorization": "Bearer sandbox-token"}


@dataclass(frozen=True)
class AuditRow:
    run_id: str
    target: str
    record_id: str
    field: str
    after_value: str | None
    outcome: str
    intended_at: datetime


def audit_rows(query, run_ids: list[str]) -> list[AuditRow]:
    marks = ", ".join("?" for _ in run_ids)
    return [
        AuditRow(*row)
        for row in query(
            f"""SELECT run_id, target, record_id, field, after_value, outcome, intended_at FROM audit_log
                WHERE run_id IN ({marks}) AND NOT field LIKE '@%' AND record_id IS NOT NULL
                ORDER BY intended_at, coalesce(confirmed_at, intended_at)""",
            *run_ids,
        )
    ]


def hubspot_history(sandbox, object_type: str, record_id: str, prop: str) -> list[dict]:
    """The property's history as HubSpot answers it."""
    url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/{record_id}?propertiesWithHistory={prop}"
    body = requests.get(url, headers=TOKEN, timeout=10).json()
    return body.get("propertiesWithHistory", {}).get(prop, [])


def crm_value(sandbox, target: str, obj: str, record_id: str, name: str) -> str | None:
    if target == "hubspot":
        url = f"{sandbox.hubspot.url}/crm/v3/objects/{obj}/{record_id}?properties={name}"
        value = requests.get(url, headers=TOKEN, timeout=10).json()["properties"].get(name)
    else:
        url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{obj}/{record_id}"
        value = requests.get(url, headers=TOKEN, timeout=10).json().get(name)
    return None if value in (None, "") else str(value)


def same(a: str | None, b: str | None) -> bool:
    """Equal as the CRMs print them ("" is empty; 5 and 5.0 are one number)."""
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def audit_lies(sandbox, query, run_ids: list[str], objects: dict[str, str]) -> list[str]:
    """Every way the audit rows of `run_ids` disagree with the CRMs, assuming no one else wrote those
    fields since. `objects` maps each record id to its object (HubSpot type or Salesforce sObject)."""
    rows = audit_rows(query, run_ids)
    lies = [f"{r} never answered: still 'intended'" for r in rows if r.outcome == "intended"]
    for i, r in enumerate(rows):
        if r.target != "hubspot" or r.outcome not in ("confirmed", "undone", "failed"):
            continue
        key = (r.target, r.record_id, r.field)
        after = [n.intended_at for n in rows[i + 1 :] if (n.target, n.record_id, n.field) == key]
        written = _integration_writes(sandbox, objects[r.record_id], r, after[0] if after else None)
        if r.outcome == "failed" and written:
            lies.append(f"{r} marked failed, but HubSpot's property history has the write")
        if r.outcome != "failed" and not written:
            lies.append(f"{r} marked {r.outcome}, but HubSpot's property history lacks the write")
    last: dict[tuple[str, str, str], AuditRow] = {}
    for r in rows:
        if r.outcome in ("confirmed", "undone"):
            last[(r.target, r.record_id, r.field)] = r
    for (target, record_id, name), r in last.items():
        held = crm_value(sandbox, target, objects[record_id], record_id, name)
        if not same(held, r.after_value):
            lies.append(f"{r} is the last write the audit log confirms, but {target} holds {held!r}")
    return lies


def _integration_writes(sandbox, object_type: str, row: AuditRow, until: datetime | None) -> list[dict]:
    """History entries an integration made with the row's value, from its intent to the next write of
    the same field in the audit log."""
    since = row.intended_at - timedelta(milliseconds=5)
    return [
        e
        for e in hubspot_history(sandbox, object_type, row.record_id, row.field)
        if e.get("sourceType") == "INTEGRATION"
        and same(e.get("value"), row.after_value)
        and since <= _when(e)
        and (until is None or _when(e) < until)
    ]


def _when(entry: dict) -> datetime:
    return datetime.fromisoformat(str(entry["timestamp"]).replace("Z", "+00:00"))
