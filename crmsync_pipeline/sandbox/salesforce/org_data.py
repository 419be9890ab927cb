"""Rows a fresh org has before any sync: the Organization, users, record types, stages, lead statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import sf_datetime
from . import ids
from .standard_objects import (
    CONVERTED_LEAD_STATUS,
    LEAD_STATUSES,
    OPPORTUNITY_RECORD_TYPES,
    OPPORTUNITY_STAGES,
)

if TYPE_CHECKING:
    from .records import Records

ORG_ID = ids.make_id("00D", 1)
API_USER_ID = ids.make_id("005", 1)
UI_USER_ID = ids.make_id("005", 2)
USERS = [
    ("Integration", "User", "integration@sandbox.crmsync.dev", "integ"),
    ("Sam", "Rivera", "sam.rivera@sandbox.crmsync.dev", "srive"),
    ("Alex", "Morgan", "alex.morgan@sandbox.crmsync.dev", "amorg"),
]


def _row(records: Records, obj: str, values: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
    schema_obj = records.schema.objects[obj]
    now = sf_datetime(records.clock.now())
    rid = rid or ids.make_id(schema_obj.key_prefix, records.store.next_counter(f"id:{schema_obj.key_prefix}"))
    row = schema_obj.blank_row()
    row.update(Id=rid, IsDeleted=False, CreatedDate=now, CreatedById=API_USER_ID, LastModifiedDate=now,
               LastModifiedById=API_USER_ID, SystemModstamp=now)  # fmt: skip
    row.update(values)
    records.write_raw(obj, row)
    return row


def install_org(records: Records) -> None:
    _row(records, "Organization", {"Name": "crmsync Sandbox Org", "OrganizationType": "Enterprise Edition",
                                   "InstanceName": "SBX1", "IsSandbox": True, "DefaultLocaleSidKey": "en_US",
                                   "TimeZoneSidKey": "America/Los_Angeles"})  # fmt: skip
    for first, last, username, alias in USERS:
        add_user(records, first, last, username, alias=alias)
    for rt in OPPORTUNITY_RECORD_TYPES:
        records.store.next_counter("id:012")
        _row(records, "RecordType", {"Name": rt.name, "DeveloperName": rt.developer_name,
                                     "SobjectType": "Opportunity", "IsActive": True}, rt.id)  # fmt: skip
    for order, (stage, (probability, closed, won, forecast)) in enumerate(OPPORTUNITY_STAGES.items(), 1):
        _row(records, "OpportunityStage", {"MasterLabel": stage, "ApiName": stage, "IsActive": True, "IsClosed": closed,
                                           "IsWon": won, "DefaultProbability": float(probability),
                                           "ForecastCategoryName": forecast, "SortOrder": order})  # fmt: skip
    for order, status in enumerate(LEAD_STATUSES, 1):
        _row(records, "LeadStatus", {"MasterLabel": status, "ApiName": status, "SortOrder": order,
                                     "IsConverted": status == CONVERTED_LEAD_STATUS, "IsDefault": order == 1})  # fmt: skip


def add_user(records: Records, first: str | None, last: str, username: str, *, email: str | None = None,
             alias: str | None = None, active: bool = True) -> dict[str, Any]:  # fmt: skip
    return _row(records, "User", {
        "Username": username, "FirstName": first, "LastName": last,
        "Name": " ".join(p for p in (first, last) if p), "Email": email or username,
        "Alias": (alias or (first or "")[:1] + last)[:8].lower(), "IsActive": active,
        "TimeZoneSidKey": "America/Los_Angeles", "LocaleSidKey": "en_US", "EmailEncodingKey": "UTF-8",
        "LanguageLocaleKey": "en_US", "UserType": "Standard",
    })  # fmt: skip
