"""HubSpot answers read as JSON rather than as the client's models. The generated client builds a model
per object and parses every timestamp with dateutil: for a 10,000-record sync that was ~20 s of CPU
(~100,000 timestamps), more than the calls' own time. The same client method is called with
`_preload_content=False` (same URL, auth, errors and rate-limit headers); its body is parsed here into
the shapes callers had from the models: records as `to_dict()` gave them (snake_case keys, datetimes),
batch results and errors as objects with the attributes the models had."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil.parser import isoparse


def body(response: Any) -> dict[str, Any]:
    """The JSON body of a raw (urllib3) response; {} when it has none."""
    data = response.data
    return json.loads(data) if data else {}


def when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return isoparse(text)


def record(raw: dict[str, Any]) -> dict[str, Any]:
    """A CRM object as the model's `to_dict()` gave it."""
    out = {
        "id": str(raw["id"]),
        "properties": raw.get("properties") or {},
        "created_at": when(raw.get("createdAt")),
        "updated_at": when(raw.get("updatedAt")),
        "archived": bool(raw.get("archived", False)),
        "archived_at": when(raw.get("archivedAt")),
        "properties_with_history": None,
    }
    history = raw.get("propertiesWithHistory")
    if history:
        out["properties_with_history"] = {
            name: [_version(v) for v in versions or []] for name, versions in history.items()
        }
    return out


def _version(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_id": raw.get("sourceId"),
        "source_type": raw.get("sourceType"),
        "source_label": raw.get("sourceLabel"),
        "updated_by_user_id": raw.get("updatedByUserId"),
        "value": raw.get("value"),
        "timestamp": when(raw.get("timestamp")),
    }


@dataclass
class BatchRecord:
    """One result of a batch write, with the model attributes write results read."""

    id: str
    properties: dict[str, Any] = field(default_factory=dict)
    new: bool = False
    object_write_trace_id: str | None = None


@dataclass
class BatchError:
    category: str
    message: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResponse:
    results: list[BatchRecord]
    errors: list[BatchError]


def batch_response(raw: dict[str, Any]) -> BatchResponse:
    return BatchResponse(
        [
            BatchRecord(
                str(r["id"]),
                r.get("properties") or {},
                bool(r.get("new", False)),
                r.get("objectWriteTraceId"),
            )
            for r in raw.get("results") or []
        ],
        [
            BatchError(
                str(e.get("category") or "UNKNOWN"), str(e.get("message") or ""), e.get("context") or {}
            )
            for e in raw.get("errors") or []
        ],
    )
