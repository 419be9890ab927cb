"""Inserting a generated world's Salesforce side directly (no validation, no API limits), keeping
its timestamps and resolving `refs` to the ids this org assigns."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..clock import sf_datetime
from ..seed import SalesforceSide, SeedRecord
from . import ids
from .derived import apply_derived
from .org_data import API_USER_ID, add_user

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

USER_REF_OBJECTS = {"user", "users", "owners", "owner"}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return sf_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_side(org: SalesforceEmulator, side: SalesforceSide) -> dict[tuple[str, str], str]:
    """Insert users first, then objects in the side's order; returns (object, key) -> assigned id."""
    records = org.records
    assigned: dict[tuple[str, str], str] = {}
    for user in side.users:
        f = user.fields
        username = f.get("Username") or f.get("Email") or f"{user.key}@sandbox.crmsync.dev"
        row = add_user(records, f.get("FirstName"), f.get("LastName") or user.key, username, email=f.get("Email"),
                       active=f.get("IsActive", True))  # fmt: skip
        assigned[("User", user.key)] = row["Id"]
    for obj_name, seeded in side.objects.items():
        obj = records.object(obj_name)
        template = obj.blank_row()
        for f in obj.fields.values():
            if f.picklist_default is not None:
                template[f.name] = f.picklist_default
            elif f.type == "boolean":
                template[f.name] = f.default_value
        counter = f"id:{obj.key_prefix}"
        for rec in seeded:
            row = dict(template)
            for name, value in rec.fields.items():
                f = obj.field(name)
                if f is None:
                    raise ValueError(f"seed field {obj.name}.{name} is not in the schema")
                row[f.name] = _value(value)
            for name, (target, key) in rec.refs.items():
                target_name = "User" if target.lower() in USER_REF_OBJECTS else target
                row[obj.field(name).name] = assigned.get((target_name, key))  # type: ignore[union-attr]
            rid = ids.make_id(obj.key_prefix, org.store.next_counter(counter))
            _stamp(org, row, rid, rec)
            if "OwnerId" in obj.fields and row["OwnerId"] is None:
                row["OwnerId"] = API_USER_ID
            apply_derived(obj, row, None, set(rec.fields), records)
            records.write_raw(obj.name, row)
            assigned[(obj.name, rec.key)] = rid
    return assigned


def _stamp(org: SalesforceEmulator, row: dict[str, Any], rid: str, rec: SeedRecord) -> None:
    created = sf_datetime(rec.created_at) if rec.created_at else sf_datetime(org.clock.now())
    modified = sf_datetime(rec.modified_at) if rec.modified_at else created
    row["Id"] = rid
    row["IsDeleted"] = bool(row.get("IsDeleted"))
    row["CreatedDate"], row["LastModifiedDate"], row["SystemModstamp"] = created, modified, modified
    row["CreatedById"] = row.get("CreatedById") or API_USER_ID
    row["LastModifiedById"] = row.get("LastModifiedById") or API_USER_ID
