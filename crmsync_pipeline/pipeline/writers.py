"""The CRM connectors as the apply stage uses them: create = upsert on the cross-reference key."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.connectors.hubspot import BATCH as HUBSPOT_BATCH
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import COLLECTION, SalesforceConnector

from .association_writes import update_with_associations

ASSOCIATION = "association:"  # plan field `association:<to object>:<type id>` = the associated record's id


class HubSpotWriter:
    crm = "hubspot"
    batch_size = HUBSPOT_BATCH

    def __init__(self, connector: HubSpotConnector):
        self.connector = connector

    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Upsert the records, then give the new ones their associations (HubSpot keeps them apart)."""
        properties = [{k: v for k, v in r.items() if not k.startswith(ASSOCIATION)} for r in records]
        results = self.connector.upsert(object_name, key_field, [_strings(r) for r in properties])
        wanted: dict[tuple[str, int], list[tuple[str, str, int]]] = {}
        for record, result in zip(records, results, strict=True):
            for key, target_id in record.items():
                if key.startswith(ASSOCIATION) and target_id and result.succeeded and result.record_id:
                    to_object, type_id = key.removeprefix(ASSOCIATION).rsplit(":", 1)
                    wanted.setdefault((to_object, int(type_id)), []).append(
                        (result.record_id, str(target_id), int(type_id))
                    )
        for (to_object, _), pairs in wanted.items():
            self.connector.create_associations(object_name, to_object, pairs)
        return results

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return update_with_associations(self.connector, object_name, [_strings(r) for r in records])


class SalesforceWriter:
    crm = "salesforce"
    batch_size = COLLECTION

    def __init__(self, connector: SalesforceConnector):
        self.connector = connector

    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.upsert(object_name, key_field, records)

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.update(object_name, records)


def _strings(record: dict[str, Any]) -> dict[str, str]:
    """HubSpot takes every property value as a string, and clears a value with ''."""
    return {k: "" if v is None else str(v) for k, v in record.items()}
