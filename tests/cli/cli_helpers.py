"""What the CLI tests do to the sandbox CRMs from outside crmsync (a module of its own, named so that no
other test folder's module shadows it)."""

from __future__ import annotations

import requests

TOKEN = {"Authorization": "Bearer sandbox-token"}


def hubspot_contact(sandbox, **properties: str) -> str:
    """A contact created in HubSpot as a person would; returns its id."""
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts"
    body = requests.post(url, headers=TOKEN, json={"properties": properties}, timeout=10)
    body.raise_for_status()
    return body.json()["id"]


def sandbox_admin(sandbox, side: str, route: str, body: dict | None = None, method: str = "POST") -> dict:
    url = f"{getattr(sandbox, side).url}/_sandbox/{route}"
    answer = requests.request(method, url, json=body, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else {}
