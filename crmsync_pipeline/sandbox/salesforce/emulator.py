"""The Salesforce sandbox: REST API v40.0-v62.0, Bulk API 2.0, Tooling, OAuth, over one store."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..automation import AutomationAdmin
from ..emulator import ApiError, Emulator
from ..faults import Fault
from ..seed import SeedWorld
from .admin import AdminActions
from .assignment import HEADER as AUTO_ASSIGN_HEADER
from .assignment import LeadAssignment, header_choice
from .auth import Auth
from .automation import SalesforceAutomation
from .bulk2 import BulkJobs
from .catalog import StoreCatalog
from .collections import CollectionsResource
from .composite import CompositeResource
from .errors import render_rest
from .identity import IdentityResource
from .limits import ApiAllocation, LimitsResource
from .metadata import Schema
from .org_data import API_USER_ID, ORG_ID, UI_USER_ID, install_org
from .permissions import PermissionRules, UserCatalog, rule_rows, user_access
from .query import QueryResource
from .records import Records
from .rest import MAX_VERSION, MIN_VERSION, Call, RouteTable
from .rules import OrgRules
from .seed_loader import load_side
from .settings import SalesforceSettings
from .soap import SoapResource
from .sobjects import SObjectResource
from .tooling import ToolingResource

FAULT_CODES = {
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)"),
    502: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}  # fmt: skip


CONCURRENCY_MESSAGE = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."


def release_name(major: int) -> str:
    season = ("Winter", "Spring", "Summer")[(major - 59) % 3]
    return f"{season} '{(major - 59) // 3 + 24}"


class SalesforceEmulator(Emulator):
    """A Salesforce org as simple-salesforce sees it (see /work/shared/reference/salesforce_api.md)."""

    name = "salesforce"
    Settings = SalesforceSettings
    org_id = ORG_ID
    api_user_id = API_USER_ID
    ui_user_id = UI_USER_ID

    def __init__(self, data_dir: Any = None, *, fault_seed: int = 0):
        self.auth = Auth(self)
        self.routes = RouteTable()
        self.query_resource = QueryResource(self)
        self.bulk = BulkJobs(self)
        self.admin = AdminActions(self)
        self.automation = SalesforceAutomation(self)
        self.assignment = LeadAssignment(self)
        super().__init__(data_dir, fault_seed=fault_seed)
        self.allocation = ApiAllocation(self)
        for resource in (SObjectResource(self), CollectionsResource(self), CompositeResource(self),
                         self.query_resource, self.bulk, ToolingResource(self), LimitsResource(self),
                         IdentityResource(self)):  # fmt: skip
            resource.register(self.routes)

    # ---- schema and indexes ---------------------------------------------------------------------
    def rebuild(self) -> None:
        self.schema = Schema(self.settings.install_xref_fields, self.store.meta("custom_objects", []),
                             self.store.meta("custom_fields", []))  # fmt: skip
        self.records = Records(self.store, self.schema, self.settings, self.clock)
        self.catalog = StoreCatalog(self.records)
        org_rules, permission_rules = (
            OrgRules(self.records, self.settings, self.catalog),
            PermissionRules(self),
        )

        def rule_check(obj: Any, row: dict[str, Any], changed: set[str], insert: bool) -> None:
            permission_rules(obj, row, changed, insert)
            org_rules(obj, row, changed, insert)

        self.records.rule_check = rule_check
        self.records.automation = self.automation
        self.records.access_of = self.access_of
        self.records.assignment = self.assignment
        if self.store.table("Organization"):  # metadata installed: mirror the rule settings as rows
            rule_rows(self)

    def access_of(self, user: str | None) -> Any:
        """The integration user's permissions for its API saves (None: an API request); others see all."""
        return user_access(self) if user in (None, self.api_user_id) else None

    def fill_columns(self) -> None:
        """Give every stored row every field of its object (after fields were added)."""
        for obj in self.schema.objects.values():
            names = list(obj.fields)
            for rid, row in self.store.table(obj.name).items():
                if len(row) != len(names):
                    for name in names:
                        row.setdefault(name, False if obj.fields[name].type == "boolean" else None)
                    self.store.touch(obj.name, rid)

    def install_metadata(self) -> None:
        self.rebuild()
        install_org(self.records)
        rule_rows(self)

    def load_seed(self, world: SeedWorld) -> None:
        load_side(self, world.salesforce)

    def on_loaded(self) -> None:
        self.automation.generation += 1
        self.rebuild()
        self.fill_columns()
        self.query_resource.cursors.clear()
        self.bulk.forget()
        if hasattr(self, "allocation"):
            self.allocation.reset()

    def update_settings(self, changes: dict[str, Any]) -> Any:
        settings = super().update_settings(changes)
        self.on_loaded_keep_usage()
        return settings

    def check_settings(self, settings: Any) -> None:
        self.automation.check(settings)

    def on_loaded_keep_usage(self) -> None:
        self.rebuild()
        self.fill_columns()

    # ---- SOQL -----------------------------------------------------------------------------------
    def run_soql(self, text: str, include_deleted: bool, version: str) -> Any:
        from .soql import SoqlError, SoqlOptions, execute, parse_soql

        options = SoqlOptions(**self.settings.soql)
        try:
            catalog = UserCatalog(self.catalog, user_access(self))  # what the integration user may see
            return execute(parse_soql(text), catalog, include_deleted=include_deleted, api_version=version,
                           options=options)  # fmt: skip
        except SoqlError as exc:
            raise ApiError(400, exc.code, exc.message) from None

    # ---- HTTP -----------------------------------------------------------------------------------
    def add_api_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/services/data", self.versions)
        router.add_get("/services/data/", self.versions)
        router.add_post("/services/oauth2/token", self.auth.token)
        SoapResource(self).register(router)
        self.routes.add("GET", "/", self.resources)
        self.routes.mount(router, self.before_call)

    def before_call(self, request: web.Request, call: Call) -> None:
        # the handler runs synchronously after this, so the choice holds for exactly this request (and its
        # composite subrequests); decorate() clears it before anything else runs
        self.assignment.choice = header_choice(request.headers.get(AUTO_ASSIGN_HEADER))

    async def versions(self, request: web.Request) -> web.Response:
        return web.json_response([
            {"label": release_name(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(MIN_VERSION, MAX_VERSION + 1)
        ])  # fmt: skip

    def resources(self, call: Call) -> Any:
        from .rest import Reply

        names = [
            "sobjects",
            "query",
            "queryAll",
            "limits",
            "composite",
            "tooling",
            "jobs",
            "search",
            "recent",
        ]
        return Reply(body={n: f"{call.base}/{n}" for n in names})

    async def admit(self, request: web.Request) -> None:
        if self.auth.needs_session(request.path):
            self.auth.check(request)
            self.allocation.acquire()

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        self.assignment.choice = None  # bulk jobs, automation and UI edits run outside any request
        if request.path.startswith("/services/data/v"):
            response.headers["Sforce-Limit-Info"] = self.allocation.header()

    def error_response(self, err: ApiError) -> web.Response:
        return web.json_response(render_rest(err), status=err.status)

    def fault_can_happen(self, kind: str, path: str) -> bool:
        # the concurrent long-request limit counts API requests; the OAuth token endpoint is no API request
        return kind != "concurrency" or not path.startswith("/services/oauth2/")

    def fault_error(self, fault: Fault) -> ApiError:
        if fault.kind == "concurrency":
            # more than 25 long-running (>= 20 s) requests at once: a 403, not a 429 (Salesforce Help
            # 000389067 gives the text; REST API guide, "Status codes and error responses": 403 limits)
            return ApiError(403, "REQUEST_LIMIT_EXCEEDED", CONCURRENCY_MESSAGE)
        code, message = FAULT_CODES.get(fault.status, ("UNKNOWN_EXCEPTION", f"HTTP {fault.status}"))
        return ApiError(fault.status, code, message)

    def add_admin_routes(self, router: web.UrlDispatcher) -> None:
        self.admin.register(router)
        AutomationAdmin(self, self.automation.deferred).register(router)
