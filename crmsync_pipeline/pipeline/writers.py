"""The CRM connectors as the apply stage uses them: create = upsert on the cross-reference key."""

from __future__ import annotations

from typing import Any

from crmsync_pipeline.connectors.hubspot import BATCH as HUBSPOT_BATCH
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import COLLECTION, SalesforceConnector


class HubSpotWriter:
    crm = "hubspot"
    batch_size = HUBSPOT_BATCH

    def __init__(self, connector: HubSpotConnector):
        self.connector = connector

    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.upsert(object_name, key_field, [_strings(r) for r in records])

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.update(object_name, [_strings(r) for r in records])


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
