"""What a CRM answered for one record of a write batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WriteResult:
    """Built with `ok` or `failed`; `counted_as_done` turns a harmless refusal into a success."""

    record_id: str | None  # the id the record has in that CRM (a new one for a create)
    succeeded: bool
    created: bool = False
    error_code: str | None = None  # the CRM's own code: REQUIRED_FIELD_MISSING, INVALID_OPTION ...
    error_message: str | None = None
    error_fields: tuple[str, ...] = field(default_factory=tuple)
    # the fields the CRM's answer shows (HubSpot answers each written property it kept); None: the answer
    # lists none, so nothing can be told from it
    answered: frozenset[str] | None = None
    # a failed record's fields the CRM applied all the same: HubSpot took a record's properties in one
    # call and refused one of its associations in another, so the record failed but those fields changed
    applied: frozenset[str] = frozenset()

    @classmethod
    def ok(
        cls, record_id: str | None, created: bool = False, answered: frozenset[str] | None = None
    ) -> WriteResult:
        """The CRM took the write (`created`: an upsert made a new record)."""
        return cls(record_id, True, created=created, answered=answered)

    @classmethod
    def failed(
        cls, record_id: str | None, code: str | None, message: str | None, fields: Sequence[str] = ()
    ) -> WriteResult:
        """The CRM refused the write with its own `code`; `fields` are the fields it blamed."""
        return cls(record_id, False, error_code=code, error_message=message, error_fields=tuple(fields))

    def partly_applied(self, applied: frozenset[str]) -> WriteResult:
        """This failure with `applied`: the fields the CRM took in another call of the same write."""
        return WriteResult(
            self.record_id,
            False,
            error_code=self.error_code,
            error_message=self.error_message,
            error_fields=self.error_fields,
            applied=applied,
        )

    def counted_as_done(self, why: str) -> WriteResult:
        """This refusal means the write is already in effect (a delete answered ENTITY_IS_DELETED): a
        success that keeps the CRM's code, with `why` as its message."""
        return WriteResult(self.record_id, True, error_code=self.error_code, error_message=why)
