"""HubSpot calls for deletes and GDPR erasure, beside the main connector: the GDPR delete of a contact
(permanent, unlike an archive) and a check of which linked records HubSpot no longer has at all. Every
call goes through the connector's CrmCaller, so it is counted, retried and paced like the others."""

from __future__ import annotations

from typing import Any

from hubspot.crm.contacts import PublicGdprDeleteInput
from hubspot.crm.objects import (
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
)

from .errors import CrmError
from .hubspot import HubSpotConnector
from .hubspot_batches import BATCH
from .outcome import WriteResult

CONTACTS = ("contacts", "0-1")


def gdpr_delete(connector: HubSpotConnector, contact_id: str) -> WriteResult:
    """Permanently delete one contact (HubSpot's GDPR delete: no recycle bin, no restore)."""
    try:
        connector.call(
            "contacts.gdpr_delete",
            connector.client.crm.contacts.basic_api.purge,
            PublicGdprDeleteInput(object_id=contact_id),
        )
    except CrmError as err:
        return WriteResult.failed(contact_id, err.code, err.message)
    return WriteResult.ok(contact_id)


def archive(connector: HubSpotConnector, object_type: str, ids: list[str]) -> list[WriteResult]:
    """Batch archive (recycle bin); a refused call fails every record of it with HubSpot's category."""
    try:
        return connector.batch_archive(object_type, ids)
    except CrmError as err:
        return [WriteResult.failed(i, err.code, err.message) for i in ids]


def not_found(
    connector: HubSpotConnector, object_type: str, ids: list[str], archived: bool = False
) -> set[str]:
    """Among `ids`, those HubSpot answers OBJECT_NOT_FOUND for (live ones, or with `archived`, archived
    ones); one batch read per 100. A merged-away id that resolves to its survivor is not reported."""
    missing: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        body = BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in chunk], properties=["hs_merged_object_ids"]
        )
        route = f"{object_type}.batch.read" + (".archived" if archived else "")
        response = connector.call(
            route, connector.client.crm.objects.batch_api.read, object_type, body, archived=archived
        )
        merged = {
            m
            for r in response.results or []
            for m in str((r.properties or {}).get("hs_merged_object_ids") or "").split(";")
        }
        for error in getattr(response, "errors", None) or []:
            if _category(error) == "OBJECT_NOT_FOUND":
                missing |= {str(i) for i in (_context(error).get("ids") or []) if str(i) not in merged}
    return missing


def merged_away(connector: HubSpotConnector, object_type: str, ids: list[str]) -> set[str]:
    """Among `ids`, those a surviving record lists in `hs_merged_object_ids` (a merge, not a delete):
    one search per 100, only ever for records already found missing."""
    merged: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        body = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[Filter(property_name="hs_merged_object_ids", operator="IN", values=chunk)]
                )
            ],
            properties=["hs_merged_object_ids"],
            limit=BATCH,
        )
        page = connector.call(
            f"{object_type}.search", connector.client.crm.objects.search_api.do_search, object_type, body
        )
        merged |= {
            m
            for r in page.results or []
            for m in str((r.properties or {}).get("hs_merged_object_ids") or "").split(";")
        }
    return merged & set(ids)


def _category(error: Any) -> str:
    return str(getattr(error, "category", None) or (error.get("category") if isinstance(error, dict) else ""))


def _context(error: Any) -> dict[str, Any]:
    context = getattr(error, "context", None) if not isinstance(error, dict) else error.get("context")
    return dict(context or {})
