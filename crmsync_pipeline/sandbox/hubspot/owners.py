"""Owners API (`/crm/v3/owners/`): read-only people records point at through `hubspot_owner_id`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .http import bool_param, int_param, json_response

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


def new_owner(
    em: HubSpotEmulator, email: str, first: str, last: str, created: str | None = None
) -> dict[str, Any]:
    owner_id = str(em.store.next_counter("owner_id", 70_000_001))
    user_id = em.store.next_counter("user_id", 9_000_001)
    now = created or iso_z(em.clock.now())
    owner = {
        "id": owner_id,
        "email": email,
        "type": "PERSON",
        "firstName": first,
        "lastName": last,
        "userId": user_id,
        "userIdIncludingInactive": user_id,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
        "teams": [],
    }
    em.store.put("owners", owner_id, owner)
    return owner


class OwnerRoutes:
    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        router.add_get("/crm/v3/owners", self.list_all)
        router.add_get("/crm/v3/owners/", self.list_all)
        router.add_get("/crm/v3/owners/{owner_id}", self.get)

    async def list_all(self, request: web.Request) -> web.Response:
        archived, email = bool_param(request, "archived"), request.query.get("email")
        limit = int_param(request, "limit", 100, maximum=500)
        after = request.query.get("after")
        owners = sorted(self.em.store.table("owners").values(), key=lambda o: int(o["id"]))
        owners = [
            o
            for o in owners
            if o["archived"] == archived and (not email or o["email"].lower() == email.lower())
        ]
        if after:
            owners = [o for o in owners if int(o["id"]) > int(after)] if after.isdigit() else []
        body: dict[str, Any] = {"results": owners[:limit]}
        if len(owners) > limit:
            body["paging"] = {"next": {"after": owners[limit - 1]["id"]}}
        return json_response(body)

    async def get(self, request: web.Request) -> web.Response:
        key, by = request.match_info["owner_id"], request.query.get("idProperty", "id")
        archived = bool_param(request, "archived")
        for owner in self.em.store.table("owners").values():
            value = str(owner["userId"]) if by == "userId" else owner["id"]
            if value == key and owner["archived"] == archived:
                return json_response(owner)
        raise errors.not_found(f"Owner {key} not found")
