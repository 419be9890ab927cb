"""Request parsing the way HubSpot reads it: repeated or comma-separated array params, loose booleans."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from . import errors


def list_param(request: web.Request, name: str) -> list[str] | None:
    values = request.query.getall(name, None)
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def bool_param(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    return default if value is None else value.strip().lower() == "true"


def int_param(request: web.Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.validation(f"Invalid value for {name}: {raw}") from None
    if value < 1:
        raise errors.validation(f"{name} must be positive")
    return min(value, maximum) if maximum else value


async def json_body(request: web.Request, default: Any = None) -> Any:
    text = await request.text()
    if not text.strip():
        if default is not None:
            return default
        raise errors.validation("Request body is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.validation(
            f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json"
    )


def no_content() -> web.Response:
    return web.Response(status=204)
