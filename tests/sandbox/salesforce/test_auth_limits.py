"""OAuth logins, session expiry with re-login, the daily allocation and its headers."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)


def test_client_credentials_login_and_relogin_after_expiry(sandbox) -> None:
    sf = sandbox.oauth_client()
    assert sf.session_id != "sandbox-token" and sf.sf_instance == f"127.0.0.1:{sandbox.port}"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    old = sf.session_id
    sandbox.admin("salesforce/sessions/expire")
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0  # re-logged in transparently
    assert sf.session_id != old


def test_bad_credentials_and_other_grants(sandbox) -> None:
    with pytest.raises(SalesforceAuthenticationFailed):
        sandbox.oauth_client(secret="wrong")
    token = f"{sandbox.url}/services/oauth2/token"
    ok = requests.post(token, data={"grant_type": "password", "client_id": "sandbox-client-id",
                                    "client_secret": "sandbox-client-secret",
                                    "username": "integration@sandbox.crmsync.dev", "password": "sandbox-password"},
                       timeout=10).json()  # fmt: skip
    assert ok["token_type"] == "Bearer" and {"id", "issued_at", "signature", "scope"} <= set(ok)
    refreshed = requests.post(token, data={"grant_type": "refresh_token", "client_id": "sandbox-client-id",
                                           "refresh_token": "sandbox-refresh-token"}, timeout=10)  # fmt: skip
    assert refreshed.status_code == 200
    bad = requests.post(token, data={"grant_type": "refresh_token", "client_id": "sandbox-client-id",
                                     "refresh_token": "nope"}, timeout=10)  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_static_token_expiry_and_next_requests(sandbox, sf) -> None:
    sandbox.admin("salesforce/sessions/expire", {"next_requests": 1})
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Lead")
    assert exc.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
    sandbox.admin("salesforce/sessions/expire", {"include_static": True})
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")


def test_limit_header_api_usage_and_limit_exceeded(sandbox, sf) -> None:
    sf.query("SELECT COUNT() FROM Lead")
    used, total = sf.api_usage["api-usage"]
    assert total == 100_000 and used >= 1
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 100_000 and "DailyBulkV2QueryJobs" in limits
    sandbox.settings(daily_api_limit=used + 3)
    sf.query("SELECT COUNT() FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        for _ in range(5):
            sf.query("SELECT COUNT() FROM Lead")
    assert exc.value.content[0] == {
        "message": "TotalRequests Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
    }
    sandbox.settings(daily_api_limit=0)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_versions_in_urls(sandbox) -> None:
    sf = sandbox.client(version="62.0")
    cid = sf.Contact.create({"LastName": "v"})["id"]
    assert sf.Contact.get(cid)["attributes"]["url"] == f"/services/data/v62.0/sobjects/Contact/{cid}"
    response = requests.get(f"{sandbox.url}/services/data/v39.0/sobjects", headers={"Authorization": "Bearer sandbox-token"},
                            timeout=10)  # fmt: skip
    assert response.status_code == 404
