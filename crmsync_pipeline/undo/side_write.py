"""One value an undo sends to one side for one field: a restore, or the put-back of what the side held
before the undo when the other side refused its restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crmsync_pipeline.config import Mapping, Side
from crmsync_pipeline.undo.plan import FieldUndo


@dataclass(frozen=True)
class SideWrite:
    """One value undo sends to one side for one field (a restore, or a put-back of the value the side
    held before the undo)."""

    undo: FieldUndo
    side: Side
    record_id: str
    name: str
    value: str | None  # what is written
    held: Any  # what the side holds before this write

    def object_name(self, mapping: Mapping) -> str:
        return (
            mapping.pair(self.undo.write.pair).hubspot
            if self.side is Side.HUBSPOT
            else self.undo.write.salesforce_object
        )

    def audit_row(self, run_id: str, now: datetime) -> tuple:
        w = self.undo.write
        return (run_id, w.pair, self.side.value, self.record_id, self.record_id, self.name, text_of(self.held),
                self.value, False, now, None, "intended")  # fmt: skip

    def back(self) -> SideWrite:
        """The write that puts this side back to what it held before the undo."""
        return SideWrite(self.undo, self.side, self.record_id, self.name, text_of(self.held), self.value)


def text_of(value: Any) -> str | None:
    return None if value is None else str(value)
