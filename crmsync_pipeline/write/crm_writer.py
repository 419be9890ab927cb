"""The writer base class: what applying a plan needs from a CRM, with named hooks whose defaults fit a
CRM written in plain batches (no Bulk API, nothing to reconcile, nothing read again). HubSpotWriter
and SalesforceWriter (writers.py) override what differs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.write.source_readers import SourceReader


class CrmWriter(ABC):
    """Writes to one CRM (`crm`), `batch_size` records a call; results come back in input order.
    `source`, when set, reads the other CRM: a plan row that waited is checked against it first."""

    crm: str
    batch_size: int
    source: SourceReader | None = None

    @abstractmethod
    def create(self, object_name: str, key_field: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Upsert the records on the cross-reference field `key_field`, so a repeated create finds them."""

    @abstractmethod
    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Update the records, each carrying its target id as `id`."""

    def target_reader(self) -> SourceReader | None:
        """Reads this CRM's records again before an update batch (a user's edit since the snapshot is
        then held back, never overwritten); None: nothing is read again."""
        return None

    def learn_who_writes(self, connect: Connect) -> None:
        """Called before this CRM's writes of a phase, when there are any: learn what the CRM needs to
        tell crmsync's own edits from a person's (Salesforce: the integration user)."""

    def reconcile_bulk_jobs(self, connect: Connect, pair_name: str) -> int:
        """Settle the Bulk jobs a crashed run left behind, before writing again; returns how many."""
        return 0

    def goes_in_bulk(self, records: int) -> bool:
        """Whether this many records of one object go as a Bulk job instead of batches."""
        return False

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
        """Write the records as Bulk jobs (called only where `goes_in_bulk` said so)."""
        raise TypeError(f"{self.crm} writes no Bulk jobs: goes_in_bulk must say no for it")

    def settle_bulk_jobs(
        self,
        connect: Connect,
        run_id: str,
        pair_name: str,
        object_name: str,
        results: Sequence[WriteResult],
    ) -> None:
        """After a Bulk write's outcomes are recorded: its jobs are done."""
