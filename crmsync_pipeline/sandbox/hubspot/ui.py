"""Sandbox-only actions under `/_sandbox/hubspot/`: what a person would do in HubSpot's UI, plus test aids.

UI edits are recorded with sourceType CRM_UI and a userId, and may move lifecycle stage backward
(HubSpot's UI lets a user pick any stage).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from ..emulator import ApiError
from .http import json_body, json_response
from .validation import clean_properties

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

Handler = Callable[[web.Request], Awaitable[web.Response]]
BASE = "/_sandbox/hubspot"


class SandboxUiRoutes:
    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        router.add_post(BASE + "/objects/{type}", self._safe(self.create))
        router.add_get(BASE + "/objects/{type}/{id}", self._safe(self.raw))
        router.add_post(BASE + "/objects/{type}/merge", self._safe(self.merge))
        router.add_post(BASE + "/objects/{type}/{id}/edit", self._safe(self.edit))
        router.add_post(BASE + "/objects/{type}/{id}/archive", self._safe(self.archive))
        router.add_post(BASE + "/objects/{type}/{id}/restore", self._safe(self.restore))
        router.add_post(BASE + "/search/flush", self._safe(self.flush))

    def _safe(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.Response:
            try:
                return await handler(request)
            except ApiError as err:
                return self.em.error_response(err)

        return wrapped

    def _user(self, body: dict) -> str:
        return str(body.get("userId") or self.em.store.meta("integration_user_id", "9000001"))

    async def create(self, request: web.Request) -> web.Response:
        otype, body = self.em.registry.resolve(request.match_info["type"]), await json_body(request)
        changes = clean_properties(self.em, otype, body.get("properties"), None, user_edit=True)
        self.em.records.conflicts(otype, changes, None)
        record = self.em.records.create(otype, changes, "CRM_UI", self._user(body))
        return json_response(self.em.records.to_api(otype, record, list(record["p"])), 201)

    async def raw(self, request: web.Request) -> web.Response:
        otype = self.em.registry.resolve(request.match_info["type"])
        record = self.em.records.table(otype.type_id).get(request.match_info["id"])
        return json_response(record) if record else web.json_response({"error": "no such record"}, status=404)

    async def edit(self, request: web.Request) -> web.Response:
        otype, body = self.em.registry.resolve(request.match_info["type"]), await json_body(request)
        record = self.em.records.require(otype, request.match_info["id"])
        updated = self.em.object_routes.update_one(
            otype, record, body.get("properties"), "CRM_UI", self._user(body), user_edit=True
        )
        return json_response(self.em.records.to_api(otype, updated, list(updated["p"])))

    async def merge(self, request: web.Request) -> web.Response:
        otype, body = self.em.registry.resolve(request.match_info["type"]), await json_body(request)
        survivor = self.em.merge_routes.merge(
            otype, str(body.get("primaryObjectId")), str(body.get("objectIdToMerge")), source="CRM_UI"
        )
        return json_response(self.em.records.to_api(otype, survivor, list(survivor["p"])))

    async def archive(self, request: web.Request) -> web.Response:
        otype = self.em.registry.resolve(request.match_info["type"])
        self.em.records.archive(otype, self.em.records.require(otype, request.match_info["id"]))
        return json_response({"archived": True})

    async def restore(self, request: web.Request) -> web.Response:
        """The recycle bin's restore: the archived record comes back with its id."""
        otype = self.em.registry.resolve(request.match_info["type"])
        record = self.em.records.table(otype.type_id).get(request.match_info["id"])
        if record is None or record["a"] is None:
            return web.json_response({"error": "no archived record with this id"}, status=404)
        restored = self.em.records.restore(otype, record)
        return json_response(self.em.records.to_api(otype, restored, list(restored["p"])))

    async def flush(self, request: web.Request) -> web.Response:
        """Make search see every write now, whatever the lag setting."""
        self.em.search_index.flush()
        return json_response({"flushed": True})
