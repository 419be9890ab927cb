"""Configs and catalog selections for the peer taps: the same objects and fields crmsync extracts, picked
out of each tap's own discovery output. Pure functions over JSON, so they are tested without network."""

from __future__ import annotations

import copy
from typing import Any

START_DATE = "2000-01-01T00:00:00Z"  # before any seeded record: a full extraction
HUBSPOT_TOKEN = "sandbox-token"  # the sandbox's private-app token (docs/sandbox.md)
SALESFORCE_CLIENT_ID = "sandbox-client-id"
SALESFORCE_CLIENT_SECRET = "sandbox-client-secret"
SALESFORCE_REFRESH_TOKEN = "sandbox-refresh-token"  # salesforce/settings.py `refresh_token`
# Top-level fields of a meltano-tap-hubspot object record besides the `properties` it nests.
HUBSPOT_ENVELOPE = ("id", "properties", "createdAt", "updatedAt", "archived")
# What crmsync reads of every sObject besides the mapped fields (extract_salesforce.SALESFORCE_SYSTEM).
SALESFORCE_SYSTEM = (
    "Id",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "IsDeleted",
    "LastModifiedById",
    "MasterRecordId",
)


def hubspot_config() -> dict[str, Any]:
    return {"access_token": HUBSPOT_TOKEN, "start_date": START_DATE}


def salesforce_config() -> dict[str, Any]:
    return {
        "refresh_token": SALESFORCE_REFRESH_TOKEN,
        "client_id": SALESFORCE_CLIENT_ID,
        "client_secret": SALESFORCE_CLIENT_SECRET,
        "start_date": START_DATE,
        "api_type": "REST",
        "select_fields_by_default": False,  # only what the catalog selects goes into the SOQL
    }


def select_hubspot(catalog: dict[str, Any], wanted: dict[str, list[str]]) -> dict[str, Any]:
    """Select the object streams in `wanted` (stream -> HubSpot property names) and, inside each, the
    envelope, the replication key and those properties; every other stream is deselected."""
    out = copy.deepcopy(catalog)
    for stream in out["streams"]:
        props = wanted.get(stream["tap_stream_id"])
        replication_key = stream.get("replication_key")
        for entry in stream["metadata"]:
            crumb, meta = entry["breadcrumb"], entry["metadata"]
            if not crumb:
                meta["selected"] = props is not None
            elif props is None:
                continue
            elif len(crumb) == 2:
                meta["selected"] = crumb[1] in HUBSPOT_ENVELOPE or crumb[1] == replication_key
            elif len(crumb) == 4:
                meta["selected"] = crumb[3] in props or crumb[3] == replication_key
    return out


def select_salesforce(catalog: dict[str, Any], wanted: dict[str, list[str]]) -> dict[str, Any]:
    """Select the sObjects in `wanted` (sObject -> field names), replicated incrementally on
    SystemModstamp, with those fields plus crmsync's system fields. Parent fields (`Account.Name`)
    are not fields of the sObject: the tap cannot select them, so they are left out."""
    out = copy.deepcopy(catalog)
    for stream in out["streams"]:
        fields = wanted.get(stream["tap_stream_id"])
        for entry in stream["metadata"]:
            crumb, meta = entry["breadcrumb"], entry["metadata"]
            if not crumb:
                meta["selected"] = fields is not None
                if fields is not None:
                    meta["replication-key"] = "SystemModstamp"
                    meta["replication-method"] = "INCREMENTAL"
            elif fields is not None:
                meta["selected"] = crumb[1] in fields or crumb[1] in SALESFORCE_SYSTEM
    return out


def selected_fields(catalog: dict[str, Any]) -> dict[str, list[str]]:
    """Stream -> the leaf field names a selection picked (for the report and the tests)."""
    out: dict[str, list[str]] = {}
    for stream in catalog["streams"]:
        if not any(not e["breadcrumb"] and e["metadata"].get("selected") for e in stream["metadata"]):
            continue
        out[stream["tap_stream_id"]] = sorted(
            e["breadcrumb"][-1]
            for e in stream["metadata"]
            if e["breadcrumb"] and e["metadata"].get("selected") and e["breadcrumb"][-1] != "properties"
        )
    return out
