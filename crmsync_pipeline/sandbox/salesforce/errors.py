"""Salesforce error values and their three renderings: REST arrays (`errorCode`), collection items
(`statusCode`), and Bulk 2.0 `sf__Error` cells (`CODE:message:fields`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..emulator import ApiError

NOT_FOUND_MESSAGE = "The requested resource does not exist"


@dataclass
class SfError:
    code: str
    message: str
    fields: list[str] | None = None
    status: int = 400
    extra: dict[str, Any] = field(default_factory=dict)
    request_level: bool = False  # a body that cannot be deserialised fails the whole request

    def rest(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            body["fields"] = self.fields
        return {**self.extra, **body}

    def collection_item(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields or [], **self.extra}

    def bulk_cell(self) -> str:
        tail = ",".join(self.fields) + " --" if self.fields else "--"
        return f"{self.code}:{self.message}:{tail}"

    def api_error(self) -> ApiError:
        extra = dict(self.extra)
        if self.fields is not None:
            extra["fields"] = self.fields
        return ApiError(self.status, self.code, self.message, **extra)


class RecordError(Exception):
    """A record-level failure (validation, lookup, access) carrying one or more errors."""

    def __init__(self, *errors: SfError):
        super().__init__(errors[0].message)
        self.errors = list(errors)

    @property
    def first(self) -> SfError:
        return self.errors[0]

    def api_error(self) -> ApiError:
        return self.first.api_error()


def fail(
    code: str, message: str, fields: list[str] | None = None, status: int = 400, **extra: Any
) -> RecordError:
    return RecordError(SfError(code, message, fields, status, extra))


MISSING_ID_MESSAGES = {
    "INVALID_CROSS_REFERENCE_KEY": "invalid cross reference id",
    "NOT_FOUND": NOT_FOUND_MESSAGE,
}


def batch_error(err: SfError, missing_id_code: str) -> SfError:
    """A record-level error as a collection item or Bulk row reports it: a well-formed id with no
    record is answered with `missing_id_code` (settings.missing_id_error; which code each API uses is
    unconfirmed, so the sandbox can answer either)."""
    if err.code != "NOT_FOUND" or err.message != NOT_FOUND_MESSAGE:
        return err  # (Records.live raises exactly this for an id with no record)
    return SfError(missing_id_code, MISSING_ID_MESSAGES[missing_id_code], [], err.status)


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def entity_deleted(status: int = 404) -> RecordError:
    return fail("ENTITY_IS_DELETED", "entity is deleted", [], status)


def render_rest(err: ApiError) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"message": err.message, "errorCode": err.code}
    body.update(err.extra)
    return [body]
