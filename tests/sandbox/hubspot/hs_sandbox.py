"""Helpers shared by the HubSpot sandbox tests: the running emulator plus raw HTTP and admin calls."""

from __future__ import annotations

import json
from typing import Any

import requests
from hubspot import HubSpot

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread

TOKEN = "sandbox-token"


class Sandbox:
    """The running emulator plus helpers for admin routes and raw API calls."""

    def __init__(self, thread: EmulatorThread):
        self.thread = thread
        self.emulator: HubSpotEmulator = thread.emulator  # type: ignore[assignment]
        self.url = thread.url
        self.client = HubSpot(access_token=TOKEN, host=self.url, client_side_validation=True)

    def settings(self, **changes: Any) -> dict[str, Any]:
        return requests.post(f"{self.url}/_sandbox/settings", json=changes, timeout=10).json()

    def faults(self, **changes: Any) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json=changes, timeout=10).raise_for_status()

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.url}/_sandbox/hubspot{path}", json=body, timeout=10)

    def api(
        self, method: str, path: str, body: Any = None, token: str = TOKEN, **params: Any
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}{path}",
            json=body,
            params=params or None,
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )

    def contact(self, **props: Any) -> str:
        response = self.api("POST", "/crm/v3/objects/contacts", {"properties": props})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def create(self, object_type: str, **props: Any) -> str:
        response = self.api("POST", f"/crm/v3/objects/{object_type}", {"properties": props})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def error_items(exc: Exception) -> list[dict[str, Any]]:
    """The property-validation items HubSpot embeds as JSON inside the error message."""
    body = json.loads(exc.body)  # type: ignore[attr-defined]
    message = body["message"]
    return json.loads(message[message.index("[") :])
