"""Private-app scopes: what the token may do, reported by token introspection and enforced on the record
APIs of the object types whose scopes HubSpot documents (contacts, companies, deals) and on lists.

Sources: HubSpot "Private apps" (POST /oauth/v2/private-apps/get/access-token-info with {"tokenKey"} answers
the app's `scopes`), OAuth v1 token metadata (GET /oauth/v1/access-tokens/{token}: `scopes`, `hub_id`,
`app_id`, `token_type`, `expires_in`), "Scopes" reference (crm.objects.<type>.read/write, crm.lists.*); a call
without its scope answers 403 MISSING_SCOPES. Setting `token_scopes` (None: every scope below)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..emulator import ApiError
from .http import json_body, json_response

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

SCOPED_TYPES = ("contacts", "companies", "deals")
ALL_SCOPES = [
    *(f"crm.objects.{t}.{a}" for t in SCOPED_TYPES for a in ("read", "write")),
    "crm.objects.custom.read", "crm.objects.custom.write", "crm.objects.owners.read",
    "crm.schemas.contacts.read", "crm.schemas.companies.read", "crm.schemas.deals.read",
    "crm.schemas.custom.read", "crm.lists.read", "crm.lists.write", "oauth",
]  # fmt: skip
_OBJECTS = re.compile(r"^/crm/v[34]/objects/([^/]+)(/.*)?$")
_READ_POSTS = ("/search", "/batch/read")


def granted(org: HubSpotEmulator) -> list[str]:
    scopes = org.settings.token_scopes
    return list(ALL_SCOPES if scopes is None else scopes)


def required_scope(org: HubSpotEmulator, method: str, path: str) -> str | None:
    """The scope a request needs, where the sandbox enforces one."""
    if path.startswith("/crm/v3/lists"):
        read = method == "GET" or path.endswith("/search")
        return "crm.lists.read" if read else "crm.lists.write"
    found = _OBJECTS.match(path)
    if found is None:
        return None
    otype = org.registry.maybe(found.group(1))
    if otype is None or otype.name not in SCOPED_TYPES:
        return None
    rest = found.group(2) or ""
    read = method == "GET" or (method == "POST" and rest.endswith(_READ_POSTS))
    return f"crm.objects.{otype.name}.{'read' if read else 'write'}"


def check(org: HubSpotEmulator, request: web.Request) -> None:
    scope = required_scope(org, request.method, request.path)
    if scope is not None and scope not in granted(org):
        raise ApiError(
            403,
            "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call. Read more about required "
            "scopes here: https://developers.hubspot.com/scopes.",
            errors=[
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredScopes": [scope]},
                }
            ],
        )


class TokenRoutes:
    def __init__(self, org: HubSpotEmulator):
        self.org = org

    def add(self, router: web.UrlDispatcher) -> None:
        router.add_post("/oauth/v2/private-apps/get/access-token-info", self.private_app)
        router.add_get("/oauth/v1/access-tokens/{token}", self.oauth_token)

    def _known(self, token: str) -> None:
        if token not in self.org.settings.access_tokens:
            raise ApiError(404, "NOT_FOUND", "Token not found")  # wording not documented

    async def private_app(self, request: web.Request) -> web.Response:
        body: Any = await json_body(request, default={})
        self._known(str((body or {}).get("tokenKey") or ""))
        return json_response({"userId": 1, "hubId": self.org.settings.portal_id, "appId": 1,
                              "scopes": granted(self.org)})  # fmt: skip

    async def oauth_token(self, request: web.Request) -> web.Response:
        self._known(request.match_info["token"])
        return json_response({"token": request.match_info["token"], "hub_id": self.org.settings.portal_id,
                              "app_id": 1, "user_id": 1, "scopes": granted(self.org), "token_type": "access",
                              "expires_in": 1800})  # fmt: skip
