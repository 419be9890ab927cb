"""What both emulators share: the aiohttp app, its middleware (stats, faults, limits, persistence),
the `/_sandbox/` admin API, and the reset/seed life cycle. Each CRM subclasses `Emulator`."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .clock import Clock
from .faults import SERVING_PATH, Fault, FaultInjector, RequestHooks
from .seed import SeedOptions, SeedWorld, generate_world
from .stats import ApiStats
from .store import RecordStore

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_sandbox"


class ApiError(Exception):
    """An error the emulated CRM answers with; each emulator renders it in its CRM's body shape."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


class Emulator(abc.ABC):
    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]

    def __init__(self, data_dir: Path | None = None, *, fault_seed: int = 0):
        self.store = RecordStore(data_dir / f"{self.name}.sqlite" if data_dir else None)
        self.stats = ApiStats()
        self.faults = FaultInjector(fault_seed)
        self.hooks = RequestHooks()
        self.clock = Clock()
        self.settings = self.Settings.model_validate(self.store.meta("settings", {}))
        if self.store.is_empty:
            self.install_metadata()
            self.store.commit()
        self.on_loaded()

    # ---- hooks for each CRM ----------------------------------------------------------------------
    @abc.abstractmethod
    def install_metadata(self) -> None:
        """Metadata a fresh account has even with no records (fields, pipelines, owners/users...)."""

    @abc.abstractmethod
    def load_seed(self, world: SeedWorld) -> None:
        """Insert this CRM's side of a generated world (bypassing API validation and limits)."""

    @abc.abstractmethod
    def add_api_routes(self, router: web.UrlDispatcher) -> None: ...

    @abc.abstractmethod
    def error_response(self, err: ApiError) -> web.Response: ...

    async def admit(self, request: web.Request) -> None:
        """Authenticate and apply rate limits; raise ApiError to refuse the request."""

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add the CRM's usage headers to a response."""

    def add_admin_routes(self, router: web.UrlDispatcher) -> None:
        """CRM-specific `/_sandbox/` actions (merges in a UI, lead conversion...)."""

    def on_loaded(self) -> None:
        """Rebuild in-memory indexes after records were loaded, seeded or reset."""

    def fault_error(self, fault: Fault) -> ApiError:
        return ApiError(fault.status, "SANDBOX_INJECTED_FAULT", f"injected fault: HTTP {fault.status}")

    def fault_can_happen(self, kind: str, path: str) -> bool:
        """Whether a kind of fault can happen on this path (every kind can, unless a CRM says otherwise)."""
        return True

    # ---- life cycle ------------------------------------------------------------------------------
    @property
    def seed_options(self) -> SeedOptions | None:
        """How the records were seeded, or None for a data dir no reset has touched yet."""
        stored = self.store.meta("seed_options")
        return SeedOptions.model_validate(stored) if stored is not None else None

    def reset(self, options: SeedOptions | None = None, world: SeedWorld | None = None) -> None:
        """Wipe every record, reinstall metadata and, given options, seed. Settings are kept."""
        options = options or SeedOptions()
        self.store.clear()
        self.store.set_meta("settings", self.settings.model_dump(mode="json"))
        self.install_metadata()
        if options.people > 0 or options.companies:
            self.load_seed(world or generate_world(options))
        self.store.set_meta("seed_options", options.model_dump(by_alias=True))
        self.store.commit()
        self.on_loaded()

    def check_settings(self, settings: Any) -> None:
        """Refuse (ValueError) settings this emulator cannot apply, before they are stored."""

    def update_settings(self, changes: dict[str, Any]) -> BaseModel:
        candidate = self.Settings.model_validate({**self.settings.model_dump(), **changes})
        self.check_settings(candidate)
        self.settings = candidate
        self.store.set_meta("settings", self.settings.model_dump(mode="json"))
        self.store.commit()
        return self.settings

    # ---- the app ---------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=256 * 1024 * 1024)
        r = app.router
        r.add_get(f"{ADMIN_PREFIX}/stats", self._admin_stats)
        r.add_post(f"{ADMIN_PREFIX}/stats/reset", self._admin_stats_reset)
        r.add_get(f"{ADMIN_PREFIX}/faults", self._admin_faults)
        r.add_post(f"{ADMIN_PREFIX}/faults", self._admin_faults)
        r.add_delete(f"{ADMIN_PREFIX}/faults", self._admin_faults_clear)
        r.add_get(f"{ADMIN_PREFIX}/faults/injected", self._admin_faults_injected)
        r.add_get(f"{ADMIN_PREFIX}/faults/hooks", self._admin_hooks)
        r.add_post(f"{ADMIN_PREFIX}/faults/hooks", self._admin_hooks)
        r.add_delete(f"{ADMIN_PREFIX}/faults/hooks", self._admin_hooks)
        r.add_get(f"{ADMIN_PREFIX}/settings", self._admin_settings)
        r.add_post(f"{ADMIN_PREFIX}/settings", self._admin_settings)
        r.add_post(f"{ADMIN_PREFIX}/reset", self._admin_reset)
        r.add_post(f"{ADMIN_PREFIX}/seed", self._admin_reset)
        self.add_admin_routes(r)
        self.add_api_routes(r)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            try:
                return await handler(request)
            except (ValidationError, ValueError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
            finally:
                self.store.commit()

        route = request.match_info.route
        resource = route.resource
        self.stats.count(f"{request.method} {resource.canonical if resource else request.path}")
        hooks = self.hooks.due(request.method, unquote_plus(request.path_qs)) if self.hooks.rules else []
        try:
            if hooks:
                await self.hooks.before(hooks)
            response = await self._serve(request, handler)
        except ApiError as err:
            response = self.error_response(err)
        except web.HTTPException as exc:
            if exc.status == 404 and resource is None:
                response = self.error_response(
                    ApiError(404, "NOT_FOUND", "The requested resource does not exist")
                )
            else:
                response = self.error_response(
                    ApiError(exc.status, exc.reason.upper().replace(" ", "_"), exc.text or exc.reason)
                )
        except Exception:
            log.exception("sandbox %s: unhandled error on %s %s", self.name, request.method, request.path)
            response = self.error_response(ApiError(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred"))
        finally:
            self.store.commit()
        if hooks:
            self.hooks.after(hooks, response.status)
        self.stats.count_status(response.status)
        self.decorate(request, response)
        return response

    async def _serve(self, request: web.Request, handler: Any) -> web.StreamResponse:
        SERVING_PATH.set(request.path)  # this request's task only (record_fails reads it)
        if self.faults.applies_to(request.path):
            delay = self.faults.latency_s()
            if delay:
                await asyncio.sleep(delay)
            fault = self.faults.draw(lambda kind: self.fault_can_happen(kind, request.path))
            if fault is not None and fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError()
            if fault is not None:
                raise self.fault_error(fault)
        await self.admit(request)
        return await handler(request)

    # ---- admin handlers --------------------------------------------------------------------------
    async def _admin_stats(self, request: web.Request) -> web.Response:
        return web.json_response({"emulator": self.name, **self.stats.as_json()})

    async def _admin_stats_reset(self, request: web.Request) -> web.Response:
        self.stats.reset()
        return web.json_response({"emulator": self.name, **self.stats.as_json()})

    async def _admin_faults(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            self.faults.configure(await _json_body(request))
        return web.json_response(self.faults.settings.model_dump(mode="json"))

    async def _admin_faults_clear(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response(self.faults.settings.model_dump(mode="json"))

    async def _admin_faults_injected(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.injected)

    async def _admin_hooks(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            self.hooks.add(await _json_body(request))
        elif request.method == "DELETE":
            self.hooks.clear()
        return web.json_response(self.hooks.as_json())

    async def _admin_settings(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            self.update_settings(await _json_body(request))
        return web.json_response(self.settings.model_dump(mode="json"))

    async def _admin_reset(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        self.reset(SeedOptions.model_validate(body))
        return web.json_response({"emulator": self.name, "reset": True, "seed": body or None})


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    text = await request.text()
    if not text.strip():
        return {}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data
