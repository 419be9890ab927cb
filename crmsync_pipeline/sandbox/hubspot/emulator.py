"""The HubSpot sandbox: CRM v3/v4 objects, search, properties, pipelines, owners, associations, lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from ..automation import AutomationAdmin
from ..emulator import ApiError, Emulator
from ..faults import Fault
from ..seed import SeedWorld
from . import errors, scopes
from .association_store import AssociationStore
from .associations import AssociationRoutes, embedded
from .automation import Workflows
from .batch import BatchRoutes
from .default_properties import DEFAULT_PROPERTIES, xref_property
from .http import json_body, json_response
from .limits import RateLimits
from .lists import ListRoutes, Lists
from .merge import MergeRoutes
from .objects import ObjectRoutes
from .owners import OwnerRoutes, new_owner
from .pipelines import PipelineRoutes, default_deal_pipeline, pipelines_table
from .properties import PropertyRoutes, groups_table
from .records import Records
from .registry import TypeRegistry, props_table
from .schema import STANDARD_TYPES, ObjectType, association_type_rows
from .schemas import SchemaRoutes
from .scopes import TokenRoutes
from .search import run_search
from .search_index import SearchIndex
from .seed_loader import load_world
from .settings import HubSpotSettings
from .ui import SandboxUiRoutes

GROUP_LABELS = {
    "contactinformation": "Contact information",
    "companyinformation": "Company information",
    "dealinformation": "Deal information",
    "task": "Task information",
    "crmsync": "crmsync",
    "sales_properties": "Sales properties",
    "analyticsinformation": "Web analytics history",
    "deal_information": "Deal information",
}


class HubSpotEmulator(Emulator):
    """A HubSpot portal the official `hubspot-api-client` cannot tell from the real API for sync work."""

    name = "hubspot"
    Settings = HubSpotSettings
    settings: HubSpotSettings

    def __init__(self, *args: Any, **kwargs: Any):
        self._parts_ready = False
        super().__init__(*args, **kwargs)

    def _build_parts(self) -> None:
        if self._parts_ready:
            return
        self.registry = TypeRegistry(self.store, self.settings.portal_id)
        self.search_index = SearchIndex(lambda: self.settings.search_lag_seconds)
        self.workflows = Workflows(self)
        self.records = Records(self)
        self.associations = AssociationStore(self)
        self.lists = Lists(self)
        self.limits = RateLimits(self)
        self.object_routes = ObjectRoutes(self)
        self.merge_routes = MergeRoutes(self)
        self._parts_ready = True

    # ---- metadata and seed -----------------------------------------------------------------------
    def install_metadata(self) -> None:
        self._build_parts()
        for otype in STANDARD_TYPES:
            definitions = DEFAULT_PROPERTIES[otype.type_id]()
            if self.settings.install_xref_properties:
                definitions.append(xref_property())
            for definition in definitions:
                self.store.put(props_table(otype.type_id), definition["name"], definition)
                group = definition["groupName"]
                self.store.put(
                    groups_table(otype.type_id),
                    group,
                    {
                        "name": group,
                        "label": GROUP_LABELS.get(group, group),
                        "displayOrder": -1,
                        "archived": False,
                    },
                )
        self.store.put(pipelines_table("0-3"), "default", default_deal_pipeline())
        self.store.set_meta("association_types", association_type_rows())
        owner = new_owner(
            self, "integration@crmsync.sandbox", "Integration", "User", "2020-06-30T15:57:37.277Z"
        )
        self.store.set_meta("integration_user_id", str(owner["userId"]))

    def load_seed(self, world: SeedWorld) -> None:
        self._build_parts()
        load_world(self, world)

    def on_loaded(self) -> None:
        self._build_parts()
        self.workflows.generation += 1
        self.registry.portal_id = self.settings.portal_id
        self.registry.rebuild()
        self.associations.rebuild()
        self.records.rebuild_indexes()
        self.lists.rebuild()
        self.search_index.reset()
        for type_id in self.registry.types:
            for record in self.records.table(type_id).values():
                self.search_index.load(type_id, record)
        self.limits = RateLimits(self)

    def check_settings(self, settings: Any) -> None:
        self.workflows.check(settings)

    def update_settings(self, changes: dict[str, Any]) -> BaseModel:
        settings = super().update_settings(changes)
        used = self.limits.daily.used
        self.limits = RateLimits(self)
        self.limits.daily.used = used
        return settings

    # ---- HTTP ------------------------------------------------------------------------------------
    def add_api_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/crm/v3/objects/{type}/search", self._search)
        BatchRoutes(self).add(router)
        self.merge_routes.add(router)
        self.object_routes.add(router)
        PropertyRoutes(self).add(router)
        PipelineRoutes(self).add(router)
        OwnerRoutes(self).add(router)
        AssociationRoutes(self).add(router)
        ListRoutes(self).add(router)
        SchemaRoutes(self).add(router)
        TokenRoutes(self).add(router)

    def add_admin_routes(self, router: web.UrlDispatcher) -> None:
        SandboxUiRoutes(self).add(router)
        AutomationAdmin(self, self.workflows.deferred).register(router)

    async def _search(self, request: web.Request) -> web.Response:
        otype = self.registry.resolve(request.match_info["type"])
        return json_response(run_search(self, otype, await json_body(request, default={})))

    def embedded_associations(self, otype: ObjectType, record_id: str, wanted: list[str]) -> dict[str, Any]:
        return embedded(self, otype, record_id, wanted)

    def error_response(self, err: ApiError) -> web.Response:
        return errors.render(err, self.settings.portal_id)

    async def admit(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token not in self.settings.access_tokens:
            raise ApiError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        scopes.check(self, request)
        self.limits.admit(
            is_search=request.method == "POST"
            and request.path.endswith("/search")
            and request.path.startswith("/crm/v3/objects/")
        )

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith("/_sandbox"):
            return
        for key, value in self.limits.headers().items():
            response.headers.setdefault(key, value)

    def fault_error(self, fault: Fault) -> ApiError:
        if fault.status == 429:
            retry = 10.0 if self.settings.send_retry_after else None
            return errors.rate_limited("TEN_SECONDLY_ROLLING", self.settings.portal_id, retry)
        if fault.status >= 500:
            return ApiError(
                fault.status,
                "INTERNAL_ERROR" if fault.status == 500 else "SERVICE_UNAVAILABLE",
                "internal error" if fault.status == 500 else "Service temporarily unavailable",
            )
        return ApiError(fault.status, "SANDBOX_INJECTED_FAULT", f"injected fault: HTTP {fault.status}")
