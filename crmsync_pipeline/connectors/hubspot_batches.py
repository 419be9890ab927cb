"""HubSpot batch write results: one `WriteResult` per input, in input order, keeping HubSpot's error
category, with a rejected batch split until each invalid record stands alone. Which result belongs to
which input of a create or upsert is hubspot_results.py's business."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import CrmError
from .outcome import WriteResult
from .parallel import in_parallel

BATCH = 100  # every v3 batch endpoint takes at most 100 inputs

Properties = dict[str, str | None]


def in_batches(records: list[Properties], send: Any, isolate: bool, parallel: int = 1) -> list[WriteResult]:
    """Batches of 100, up to `parallel` of them in flight at once; results in input order."""
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    one = (lambda b: _isolating(b, send)) if isolate else (lambda b: _whole(b, send))
    return [r for done in in_parallel(one, batches, parallel) for r in done]


def _whole(batch: list[Properties], send: Any) -> list[WriteResult]:
    """A rejected batch (400/409) fails every input with the batch's error."""
    try:
        return send(batch)
    except CrmError as err:
        if err.status not in (400, 409):
            raise
        return [_rejected(err, r) for r in batch]


def _isolating(batch: list[Properties], send: Any) -> list[WriteResult]:
    """HubSpot rejects a whole batch for one invalid value: split it until the offenders stand alone,
    so the rest of the batch still syncs and each failure keeps its own error."""
    try:
        return send(batch)
    except CrmError as err:
        if err.status not in (400, 409):
            raise
        if len(batch) == 1:
            return [_rejected(err, batch[0])]
        middle = len(batch) // 2
        return _isolating(batch[:middle], send) + _isolating(batch[middle:], send)


def _rejected(err: CrmError, record: Properties) -> WriteResult:
    record_id = record.get("id")
    return WriteResult.failed(
        str(record_id) if record_id else None, _detail_code(err), err.message, _detail_fields(err)
    )


def _details(err: CrmError) -> list[dict[str, Any]]:
    """HubSpot nests the precise reasons (INVALID_OPTION, PROPERTY_DOESNT_EXIST ...) as a JSON array
    inside the message of a VALIDATION_ERROR."""
    start = err.message.find("[")
    if err.code != "VALIDATION_ERROR" or start < 0:
        return []
    try:
        details = json.loads(err.message[start:])
    except ValueError:
        return []
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _detail_code(err: CrmError) -> str:
    details = _details(err)
    return str(details[0]["error"]) if details and details[0].get("error") else err.code


def _detail_fields(err: CrmError) -> tuple[str, ...]:
    return tuple(str(d["name"]) for d in _details(err) if d.get("name"))


def errors_by_id(response: Any, normal: Callable[[Any], str]) -> dict[str, Any]:
    failed: dict[str, Any] = {}
    for error in getattr(response, "errors", None) or []:
        for record_id in (error.context or {}).get("ids", []) or []:
            failed[normal(record_id)] = error
    return failed


def write_result(record: Any, error: Any, upsert: bool = False) -> WriteResult:
    if record is not None:
        properties = getattr(record, "properties", None)
        return WriteResult.ok(
            str(record.id),
            created=bool(getattr(record, "new", False)) if upsert else False,
            answered=frozenset(properties) if isinstance(properties, dict) else None,
        )
    if error is not None:
        return WriteResult.failed(None, error.category, error.message)
    return WriteResult.failed(None, "MISSING_RESULT", "HubSpot returned no result for it")
