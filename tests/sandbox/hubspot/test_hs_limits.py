"""Auth, rate limits (burst, search per second, daily), usage headers and injected faults."""

from __future__ import annotations

import json

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.contacts import ApiException
from hubspot.crm.contacts.exceptions import ServiceException, UnauthorizedException


def test_bad_token_is_401(sandbox: Sandbox) -> None:
    response = sandbox.api("GET", "/crm/v3/objects/contacts", token="wrong")
    assert response.status_code == 401 and response.json()["category"] == "INVALID_AUTHENTICATION"
    assert response.json()["message"].startswith("Authentication credentials not found.")
    from hubspot import HubSpot

    with pytest.raises(UnauthorizedException):
        HubSpot(access_token="nope", host=sandbox.url).crm.contacts.basic_api.get_page()
    sandbox.settings(access_tokens=["pat-na1-other"])
    assert sandbox.api("GET", "/crm/v3/objects/contacts", token="pat-na1-other").status_code == 200


def test_usage_headers_on_every_response(sandbox: Sandbox) -> None:
    first = sandbox.api("GET", "/crm/v3/objects/contacts")
    second = sandbox.api("GET", "/crm/v3/objects/contacts/12345")
    assert second.status_code == 404
    for response in (first, second):
        assert response.headers["X-HubSpot-RateLimit-Max"] == "190"
        assert response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        assert response.headers["X-HubSpot-RateLimit-Daily"] == "625000"
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) < int(
        first.headers["X-HubSpot-RateLimit-Remaining"]
    )
    assert int(second.headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 625000 - 2


def test_burst_limit_429_body_and_retry_after_switch(sandbox: Sandbox) -> None:
    sandbox.settings(burst_limit_per_10s=3)
    statuses = [sandbox.api("GET", "/crm/v3/objects/contacts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = sandbox.api("GET", "/crm/v3/objects/contacts")
    body = limited.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert "Retry-After" not in limited.headers and limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    sandbox.settings(send_retry_after=True)  # rebuilding the limiters starts a fresh window
    responses = [sandbox.api("GET", "/crm/v3/objects/contacts") for _ in range(4)]
    assert responses[-1].status_code == 429 and int(responses[-1].headers["Retry-After"]) >= 1
    sandbox.settings(rate_limits_enabled=False)
    assert sandbox.api("GET", "/crm/v3/objects/contacts").status_code == 200


def test_search_secondly_limit(sandbox: Sandbox) -> None:
    sandbox.settings(search_limit_per_second=2)
    statuses = [sandbox.api("POST", "/crm/v3/objects/contacts/search", {}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = sandbox.api("POST", "/crm/v3/objects/contacts/search", {}).json()
    assert limited["message"] == "You have reached your secondly limit."
    assert sandbox.api("GET", "/crm/v3/objects/contacts").status_code == 200


def test_daily_limit(sandbox: Sandbox) -> None:
    sandbox.settings(daily_limit=3)
    statuses = [sandbox.api("GET", "/crm/v3/objects/contacts").status_code for _ in range(4)]
    assert statuses[-1] == 429
    body = sandbox.api("GET", "/crm/v3/objects/contacts").json()
    assert body["policyName"] == "DAILY" and body["message"] == "You have reached your daily limit."


def test_injected_429_and_500_in_hubspot_shape(sandbox: Sandbox) -> None:
    sandbox.faults(burst_429=1)
    with pytest.raises(ApiException) as info:
        sandbox.client.crm.contacts.basic_api.get_page()
    assert info.value.status == 429 and json.loads(info.value.body)["policyName"] == "TEN_SECONDLY_ROLLING"
    sandbox.faults(error_rates={500: 1.0})
    with pytest.raises(ServiceException):
        sandbox.client.crm.contacts.basic_api.get_page()
    sandbox.faults(error_rates={})
    assert sandbox.api("GET", "/_sandbox/stats").json()["api_calls"] >= 2
