"""What users do in the CRMs between syncs, through the sandboxes' UI routes and public APIs."""

from __future__ import annotations

import time

import requests

HUBSPOT_TOKEN = {"Authorization": "Bearer sandbox-token"}


def hubspot_get(url: str, **params: str) -> requests.Response:
    """A GET of HubSpot's public API as a careful script makes it: a 429 (the portal's ten-second limit,
    which a sync just before may have used up) is waited out, as HubSpot's answer asks, then retried."""
    for _ in range(30):
        answer = requests.get(url, headers=HUBSPOT_TOKEN, params=params, timeout=10)
        if answer.status_code != 429:
            return answer
        time.sleep(float(answer.headers.get("Retry-After") or 1))
    return answer


def hubspot_edit(sandbox, object_type: str, record_id: str, **properties: str) -> None:
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/{object_type}/{record_id}/edit"
    requests.post(url, json={"properties": properties}, timeout=10).raise_for_status()


def salesforce_edit(sandbox, sobject: str, record_id: str, **fields: object) -> None:
    url = f"{sandbox.salesforce.url}/_sandbox/salesforce/edit"
    requests.post(
        url, json={"object": sobject, "id": record_id, "fields": fields}, timeout=10
    ).raise_for_status()


def hubspot_value(sandbox, object_type: str, record_id: str, prop: str) -> str | None:
    url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}/{record_id}"
    return hubspot_get(url, properties=prop).json()["properties"].get(prop)


def salesforce_value(sandbox, sobject: str, record_id: str, field: str) -> object:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{record_id}"
    return requests.get(url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10).json()[field]


def sync_with_a_hubspot_edit_while_it_writes(sandbox, sync, hubspot_id: str, **properties: str):
    """A sync during which a person edits the HubSpot contact: after the plan read it, before the write
    (when the write step reads its HubSpot targets again), as the soak's edits land ~40 s into a sync."""
    hook = {
        "on": {"method": "POST", "contains": "/crm/v3/objects/contacts/batch/read"},
        "then": {"apply_edits": [{
            "method": "POST",
            "url": f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/contacts/{hubspot_id}/edit",
            "json": {"properties": properties},
        }]},
    }  # fmt: skip
    requests.post(f"{sandbox.hubspot.url}/_sandbox/faults/hooks", json=hook, timeout=10).raise_for_status()
    try:
        result = sync()
        fired = requests.get(f"{sandbox.hubspot.url}/_sandbox/faults/hooks", timeout=10).json()
    finally:
        requests.delete(f"{sandbox.hubspot.url}/_sandbox/faults/hooks", timeout=10)
    assert result.success and fired[0]["fired"]
    return result
