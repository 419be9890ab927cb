"""Salesforce calls for deletes and GDPR erasure, beside the main connector: soft deletes (Recycle
Bin) keeping each record's error code, hard deletes through a Bulk API 2.0 `hardDelete` job (the
Recycle Bin is skipped; the integration user needs the "Bulk API Hard Delete" permission), and which
ids exist at all, soft-deleted ones included (queryAll), so a hard delete can be told from a delete."""

from __future__ import annotations

from .errors import CrmError
from .outcome import WriteResult
from .salesforce import SalesforceConnector, soql_in

# ids per queryAll: the query travels in the URL (Salesforce refuses URIs past 16,384 bytes; ~27 a quoted id)
ID_CHUNK = 200


def delete(connector: SalesforceConnector, ids: list[str]) -> list[WriteResult]:
    """Soft deletes, 200 ids a call; a refused call fails each record with Salesforce's code."""
    try:
        return connector.delete(ids)
    except CrmError as err:
        return [WriteResult.failed(i, err.code, err.message) for i in ids]


def hard_delete(connector: SalesforceConnector, sobject: str, ids: list[str]) -> list[WriteResult]:
    """Permanent deletes (no Recycle Bin) as one Bulk 2.0 hardDelete job."""
    try:
        return connector.bulk_ingest("hardDelete", sobject, [{"Id": i} for i in ids])
    except CrmError as err:
        return [WriteResult.failed(i, err.code, err.message) for i in ids]


def existing_ids(connector: SalesforceConnector, sobject: str, ids: list[str]) -> dict[str, bool]:
    """For the ids Salesforce still has (live or in the Recycle Bin): whether each is deleted."""
    found: dict[str, bool] = {}
    for start in range(0, len(ids), ID_CHUNK):
        where = soql_in("Id", ids[start : start + ID_CHUNK])
        soql = f"SELECT Id, IsDeleted FROM {sobject} WHERE {where}"
        for page in connector.query_pages(soql, include_deleted=True):
            found |= {str(r["Id"]): bool(r.get("IsDeleted")) for r in page}
    return found
