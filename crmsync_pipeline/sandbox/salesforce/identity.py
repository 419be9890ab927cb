"""`GET chatter/users/me`: who the session belongs to. Every sandbox session is the integration user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rest import Call, Reply, RouteTable

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator


class IdentityResource:
    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("GET", "/chatter/users/me", self.me)

    def me(self, call: Call) -> Reply:
        found = self.org.records.locate(self.org.api_user_id)
        user = found[1] if found else {}
        return Reply(
            body={"id": self.org.api_user_id, "username": user.get("Username"), "name": user.get("Name")}
        )
