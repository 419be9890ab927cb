"""Private-app scopes: token introspection reports them, and a call without its scope is refused with
403 MISSING_SCOPES (contacts, companies, deals and lists)."""

from __future__ import annotations

from hs_sandbox import TOKEN, Sandbox


def test_token_introspection_reports_the_scopes(sandbox: Sandbox) -> None:
    info = sandbox.api("POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": TOKEN})
    assert info.status_code == 200 and "crm.objects.deals.write" in info.json()["scopes"]
    assert info.json()["hubId"] == sandbox.emulator.settings.portal_id
    metadata = sandbox.api("GET", f"/oauth/v1/access-tokens/{TOKEN}")
    assert metadata.json()["scopes"] == info.json()["scopes"]
    assert (
        sandbox.api("POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": "nope"}).status_code
        == 404
    )


def test_a_call_without_its_scope_is_refused(sandbox: Sandbox) -> None:
    sandbox.settings(
        token_scopes=["crm.objects.contacts.read", "crm.objects.deals.read", "crm.objects.deals.write"]
    )
    info = sandbox.api("POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": TOKEN}).json()
    assert "crm.objects.contacts.write" not in info["scopes"]
    assert sandbox.api("GET", "/crm/v3/objects/contacts?limit=1").status_code == 200
    assert sandbox.api("POST", "/crm/v3/objects/contacts/search", {"limit": 1}).status_code == 200
    refused = sandbox.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.org"}})
    assert refused.status_code == 403 and refused.json()["category"] == "MISSING_SCOPES"
    assert sandbox.api("GET", "/crm/v3/objects/companies?limit=1").status_code == 403
    assert sandbox.api("POST", "/crm/v3/objects/deals", {"properties": {"dealname": "d"}}).status_code == 201
    sandbox.settings(token_scopes=None)
    assert (
        sandbox.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.org"}}).status_code
        == 201
    )
