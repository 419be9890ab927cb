"""`GET chatter/users/me`: who the session belongs to. Every sandbox session is the integration user.

The answer is a Connect REST API "User Detail" (which extends "User Summary"): the keys of the Small and
Medium groups a caller reads (id, names, username, email, type "User", url, userType, isActive, title,
companyName); photos, motif, address and Chatter statistics are not modelled."""

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
        first, last = user.get("FirstName"), user.get("LastName") or ""
        name = user.get("Name") or " ".join(p for p in (first, last) if p)
        return Reply(
            body={
                "id": self.org.api_user_id, "name": name, "displayName": name, "firstName": first,
                "lastName": last, "username": user.get("Username"), "email": user.get("Email"),
                "title": user.get("Title"), "companyName": None, "isActive": bool(user.get("IsActive", True)),
                "type": "User", "userType": "Internal",
                "url": f"/services/data/v{call.version}/chatter/users/{self.org.api_user_id}",
            }
        )  # fmt: skip
