"""A small route table shared by the aiohttp app and `/composite` subrequests, so a subrequest runs
exactly the handler a direct call would."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..emulator import ApiError
from .errors import RecordError

MIN_VERSION, MAX_VERSION = 40, 62
DATA_PREFIX = "/services/data"


@dataclass
class Call:
    """One API request, independent of aiohttp (composite builds these for its subrequests)."""

    method: str
    version: str
    params: dict[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    text: str = ""

    @property
    def base(self) -> str:
        return f"{DATA_PREFIX}/v{self.version}"

    def record_url(self, obj: str, rid: str) -> str:
        return f"{self.base}/sobjects/{obj}/{rid}"

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        return self.body


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    csv: bool = False


Handler = Callable[[Call], Reply]


@dataclass
class Route:
    methods: tuple[str, ...]
    pattern: str
    handler: Handler
    regex: re.Pattern[str]


class RouteTable:
    """Routes below `/services/data/vNN.0`, in priority order."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/"))
        self.routes.append(Route(tuple(methods.split()), pattern, handler, re.compile(f"^{regex}/?$")))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                if method in route.methods:
                    return route, m.groupdict()
                allowed = True
        if allowed:
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are GET")
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def dispatch(self, call_method: str, version: str, path: str, **kw: Any) -> Reply:
        route, params = self.match(call_method, path)
        return run(route.handler, Call(call_method, version, params, **kw))

    def mount(self, router: web.UrlDispatcher, before: Callable[[web.Request, Call], None]) -> None:
        for route in self.routes:
            path = DATA_PREFIX + r"/v{version:\d+\.\d}" + (route.pattern.rstrip("/") or "") + "{slash:/?}"
            for method in route.methods:
                router.add_route(method, path, _aiohttp_handler(route.handler, before))


def run(handler: Handler, call: Call) -> Reply:
    try:
        return handler(call)
    except RecordError as err:
        raise err.api_error() from None


def check_version(version: str) -> None:
    major = int(float(version))
    if not MIN_VERSION <= major <= MAX_VERSION or not version.endswith(".0"):
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def _aiohttp_handler(handler: Handler, before: Callable[[web.Request, Call], None]) -> Callable:
    async def serve(request: web.Request) -> web.StreamResponse:
        version = request.match_info["version"]
        check_version(version)
        params = {k: v for k, v in request.match_info.items() if k not in ("version", "slash")}
        text = await request.text() if request.can_read_body else ""
        body: Any = None
        if text and "csv" not in request.content_type:
            try:
                body = json.loads(text)
            except ValueError:
                raise ApiError(
                    400, "JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON value"
                ) from None
        call = Call(request.method, version, params, request.query, request.headers, body, text)
        before(request, call)
        return to_response(run(handler, call))

    return serve


def to_response(reply: Reply) -> web.StreamResponse:
    if reply.status == 204 or reply.body is None:
        return web.Response(status=reply.status, headers=reply.headers)
    if reply.csv:
        return web.Response(status=reply.status, text=reply.body, content_type="text/csv", charset="UTF-8",
                            headers=reply.headers)  # fmt: skip
    return web.Response(status=reply.status, text=json.dumps(reply.body), content_type="application/json",
                        charset="UTF-8", headers=reply.headers)  # fmt: skip
