"""What a CRM answered for one record of a write batch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WriteResult:
    record_id: str | None  # the id the record has in that CRM (a new one for a create)
    succeeded: bool
    created: bool = False
    error_code: str | None = None  # the CRM's own code: REQUIRED_FIELD_MISSING, INVALID_OPTION ...
    error_message: str | None = None
    error_fields: tuple[str, ...] = field(default_factory=tuple)
