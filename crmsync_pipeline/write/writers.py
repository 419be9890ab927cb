"""The CRM connectors as the apply stage uses them (CrmWriter, crm_writer.py): create = upsert on the
cross-reference key. Each writer may hold the other CRM as `source`, read again before a stale plan
row is written, and reads its own records again before an update batch; the Salesforce writer sends
more than `bulk_threshold` records of one sObject as a Bulk API job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmsync_pipeline.connectors.hubspot import BATCH as HUBSPOT_BATCH
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import COLLECTION, SalesforceConnector
from crmsync_pipeline.extract.salesforce_edit_times import learn_integration_user
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.write.associations import create_with_associations, update_with_associations
from crmsync_pipeline.write.bulk import bulk_threshold, bulk_write, reconcile_bulk_jobs, settle_jobs
from crmsync_pipeline.write.crm_writer import CrmWriter
from crmsync_pipeline.write.source_readers import HubSpotSource, SalesforceSource, SourceReader


class HubSpotWriter(CrmWriter):
    crm = "hubspot"

    def __init__(self, connector: HubSpotConnector, source: SalesforceConnector | None = None):
        self.connector = connector
        self.source = SalesforceSource(source) if source is not None else None
        self._own = HubSpotSource(connector)
        # One apply batch is as many HubSpot batches as the connector sends at once: the audit intent,
        # stale checks and outcomes are then one state step for all of them.
        self.batch_size = HUBSPOT_BATCH * connector.parallel

    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Upsert the records, then give the new ones their associations (HubSpot keeps them apart)."""
        return create_with_associations(
            self.connector, object_name, key_field, [_strings(r) for r in records]
        )

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return update_with_associations(self.connector, object_name, [_strings(r) for r in records])

    def target_reader(self) -> SourceReader:
        return self._own


class SalesforceWriter(CrmWriter):
    crm = "salesforce"
    batch_size = COLLECTION

    def __init__(
        self,
        connector: SalesforceConnector,
        source: HubSpotConnector | None = None,
        bulk_records: int | None = None,
    ):
        """`bulk_records`: more records than this for one sObject go as a Bulk job (default: env
        CRMSYNC_BULK_THRESHOLD, else 2,000)."""
        self.connector = connector
        self.source = HubSpotSource(source) if source is not None else None
        self._own = SalesforceSource(connector)
        self.bulk_threshold = bulk_threshold() if bulk_records is None else bulk_records

    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.upsert(object_name, key_field, records)

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self.connector.update(object_name, records)

    def target_reader(self) -> SourceReader:
        return self._own

    def learn_who_writes(self, connect: Connect) -> None:
        learn_integration_user(connect, self.connector)  # see salesforce_edit_times

    def reconcile_bulk_jobs(self, connect: Connect, pair_name: str) -> int:
        return reconcile_bulk_jobs(connect, self.connector, pair_name)

    def goes_in_bulk(self, records: int) -> bool:
        return records > self.bulk_threshold

    def write_in_bulk(
        self,
        connect: Connect,
        run_id: str,
        pair_name: str,
        object_name: str,
        action: str,
        refs: Sequence[str],
        records: list[dict[str, Any]],
        key_field: str,
    ) -> list[WriteResult]:
        """Creates as an upsert job on the cross-reference key, updates as an update job."""
        operation = "upsert" if action == "create" else "update"
        external_id = key_field if action == "create" else None
        return bulk_write(
            connect, self.connector, run_id, pair_name, object_name, operation, refs, records, external_id
        )

    def settle_bulk_jobs(
        self,
        connect: Connect,
        run_id: str,
        pair_name: str,
        object_name: str,
        results: Sequence[WriteResult],
    ) -> None:
        settle_jobs(connect, run_id, pair_name, object_name, results)


def _strings(record: dict[str, Any]) -> dict[str, str]:
    """HubSpot takes every property value as a string, and clears a value with ''."""
    return {k: "" if v is None else str(v) for k, v in record.items()}
