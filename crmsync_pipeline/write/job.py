"""What applying a plan works with: the records waiting to be written, and one apply job's settings
(the CrmWriter of crm_writer.py among them) and running summary."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from crmsync_pipeline.config import Direction, ObjectPair
from crmsync_pipeline.state.audit_log import WriteOutcome
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.write.crm_writer import CrmWriter


class WritesHalted(RuntimeError):
    """One CRM's writes stopped between batches because the other CRM's writes, running beside them, failed."""


@dataclass
class ApplySummary:
    created: int = 0
    updated: int = 0
    failed: int = 0
    stale: int = 0  # records with rows held back because their source moved since the plan
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: ApplySummary) -> None:
        self.created += other.created
        self.updated += other.updated
        self.failed += other.failed
        self.stale += other.stale
        self.errors.update(other.errors)

    def count(self, outcomes: list[WriteOutcome], created: bool) -> None:
        for o in outcomes:
            if not o.succeeded:
                self.failed += 1
                self.errors[o.error_code or "UNKNOWN"] += 1
            elif created:
                self.created += 1
            else:
                self.updated += 1


@dataclass(frozen=True)
class PendingRecord:
    ref: str
    object_name: str
    values: dict[str, Any]


@dataclass(frozen=True)
class ApplyJob:
    connect: Connect
    writer: CrmWriter
    run_id: str
    pair_name: str
    pair: ObjectPair
    max_age: timedelta
    summary: ApplySummary
    halt: threading.Event | None = None  # set when the other CRM's writes failed: stop before the next batch

    def halted(self) -> bool:
        return self.halt is not None and self.halt.is_set()

    def check_halt(self) -> None:
        if self.halted():
            raise WritesHalted(
                f"{self.target} writes of {self.pair_name} stopped: the other CRM's writes failed"
            )

    @property
    def target(self) -> str:
        return self.writer.crm

    @property
    def agreed_empty(self) -> list[str]:
        """The fields a record this run creates holds empty, agreed, where the create wrote nothing."""
        return [f.name for f in self.pair.fields if f.direction is not Direction.NONE]
