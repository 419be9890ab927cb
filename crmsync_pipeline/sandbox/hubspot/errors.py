"""HubSpot's error bodies: the generic envelope, property validation items, 404s and 429s."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from ..emulator import ApiError


def render(err: ApiError, portal_id: int) -> web.Response:
    correlation_id = str(uuid.uuid4())
    headers = dict(err.extra.pop("headers", {}) or {})
    if err.code == "RATE_LIMIT":
        body: dict[str, Any] = {
            "status": "error",
            "message": err.message,
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id,
            **err.extra,
        }
    else:
        body = {
            "status": "error",
            "message": err.message,
            "correlationId": correlation_id,
            "category": err.code,
            **err.extra,
        }
    return web.json_response(body, status=err.status, headers=headers)


def property_errors(items: list[dict[str, Any]], portal_id: int) -> ApiError:
    """The 400 HubSpot answers for invalid property values: the item list is JSON inside the message."""
    full = [
        {
            "isValid": False,
            "message": i["message"],
            "error": i["error"],
            "name": i["name"],
            "localizedErrorMessage": i["message"],
            "portalId": portal_id,
        }
        for i in items
    ]
    message = "Property values were not valid: " + json.dumps(full, separators=(",", ":"))
    return ApiError(400, "VALIDATION_ERROR", message)


def validation(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, **extra)


def not_found(message: str = "resource not found") -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", message)


def batch_error(category: str, message: str, ids: list[str], status: str = "error") -> dict[str, Any]:
    """A `StandardError` item of a 207 batch answer."""
    return {
        "status": status,
        "category": category,
        "message": message,
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def rate_limited(policy: str, portal_id: int, retry_after_s: float | None) -> ApiError:
    messages = {
        "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
        "DAILY": "You have reached your daily limit.",
        "SECONDLY": "You have reached your secondly limit.",
    }
    groups = {
        "TEN_SECONDLY_ROLLING": "private_app-api-calls-ten-secondly",
        "DAILY": "api-calls-daily",
        "SECONDLY": "search-api-calls-secondly",
    }
    headers = {"Retry-After": str(max(1, round(retry_after_s + 0.49)))} if retry_after_s is not None else {}
    return ApiError(
        429,
        "RATE_LIMIT",
        messages[policy],
        policyName=policy,
        groupName=f"publicapi:{groups[policy]}:1234567:{portal_id}",
        headers=headers,
    )
