"""Salesforce calls for deletes and GDPR erasure, beside the main connector: soft deletes (Recycle
Bin) keeping each record's error code, hard deletes through a Bulk API 2.0 `hardDelete` job (the
Recycle Bin is skipped; the integration user needs the "Bulk API Hard Delete" permission), and which
ids exist at all, soft-deleted ones included (queryAll), so a hard delete can be told from a delete."""

from __future__ import annotations

from .errors import CrmError
from .outcome import WriteResult
from .salesforce import SalesforceConnector, soql_in

# A delete sends nothing but the id, so either code means no record has it (emptied from the Recycle Bin,
# hard-deleted): the delete is already in effect. Which code each API answers is unconfirmed.
MISSING_ID_CODES = frozenset({"NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"})
HARD_DELETE_PERMISSION = (
    "the integration user lacks the 'Bulk API Hard Delete' permission (an admin grants it in a permission "
    "set: System Permissions > Bulk API Hard Delete)"
)

# ids per queryAll: the query travels in the URL (Salesforce refuses URIs past 16,384 bytes; ~27 a quoted id)
ID_CHUNK = 200


def delete(connector: SalesforceConnector, ids: list[str]) -> list[WriteResult]:
    """Soft deletes, 200 ids a call; a refused call fails each record with Salesforce's code."""
    try:
        return [_gone_is_done(r) for r in connector.delete(ids)]
    except CrmError as err:
        return [WriteResult.failed(i, err.code, err.message) for i in ids]


def hard_delete(connector: SalesforceConnector, sobject: str, ids: list[str]) -> list[WriteResult]:
    """Permanent deletes (no Recycle Bin) as one Bulk 2.0 hardDelete job."""
    try:
        return [
            _gone_is_done(r) for r in connector.bulk_ingest("hardDelete", sobject, [{"Id": i} for i in ids])
        ]
    except CrmError as err:
        message = (
            f"{HARD_DELETE_PERMISSION}: {err.message}" if err.code == "FEATURENOTENABLED" else err.message
        )
        return [WriteResult.failed(i, err.code, message) for i in ids]


def _gone_is_done(result: WriteResult) -> WriteResult:
    if result.succeeded or result.error_code not in MISSING_ID_CODES:
        return result
    return result.counted_as_done(f"no record has this id any more ({result.error_code})")


def existing_ids(connector: SalesforceConnector, sobject: str, ids: list[str]) -> dict[str, bool]:
    """For the ids Salesforce still has (live or in the Recycle Bin): whether each is deleted."""
    found: dict[str, bool] = {}
    for start in range(0, len(ids), ID_CHUNK):
        where = soql_in("Id", ids[start : start + ID_CHUNK])
        soql = f"SELECT Id, IsDeleted FROM {sobject} WHERE {where}"
        for page in connector.query_pages(soql, include_deleted=True):
            found |= {str(r["Id"]): bool(r.get("IsDeleted")) for r in page}
    return found
