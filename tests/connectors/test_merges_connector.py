"""Merging through the connectors: Salesforce's SOAP merge() on simple-salesforce's session, HubSpot's
merge endpoint through hubspot-api-client; each call counted, failures keeping the CRM's code."""

from __future__ import annotations

import pytest
import requests

from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.merges import hubspot_merge, salesforce_merge

TOKEN = {"Authorization": "Bearer sandbox-token"}


def sf_create(thread, sobject: str, **fields: object) -> str:
    url = f"{thread.url}/services/data/v59.0/sobjects/{sobject}/"
    return requests.post(url, headers=TOKEN, json=fields, timeout=10).json()["id"]


def test_salesforce_merge_through_soap(salesforce, salesforce_sandbox, meter) -> None:
    keep, gone = (
        sf_create(salesforce_sandbox, "Account", Name="Keep"),
        sf_create(salesforce_sandbox, "Account", Name="Gone"),
    )
    child = sf_create(salesforce_sandbox, "Contact", LastName="Child", AccountId=gone)
    answer = salesforce_merge(salesforce, "Account", keep, [gone])
    assert (answer.survivor_id, answer.merged_ids, answer.related_ids) == (keep, [gone], [child])
    assert meter.calls[("salesforce", "Account.soap.merge")] == 1
    with pytest.raises(CrmError) as again:  # the loser is gone now
        salesforce_merge(salesforce, "Account", keep, [gone])
    assert (again.value.code, again.value.retryable) == ("ENTITY_IS_DELETED", False)
    assert meter.calls[("salesforce", "Account.soap.merge")] == 2  # no retry of a data error
    with pytest.raises(CrmError) as refused:
        salesforce_merge(salesforce, "Opportunity", keep, [gone])
    assert refused.value.code == "INVALID_TYPE"


def test_salesforce_merge_with_an_expired_session_keeps_the_code(
    salesforce, salesforce_sandbox, admin
) -> None:
    keep, gone = (
        sf_create(salesforce_sandbox, "Lead", LastName="A", Company="X"),
        sf_create(salesforce_sandbox, "Lead", LastName="B", Company="X"),
    )
    admin.post(salesforce_sandbox, "salesforce/sessions/expire", {"include_static": True})
    try:
        with pytest.raises(CrmError) as expired:
            salesforce_merge(salesforce, "Lead", keep, [gone])
    finally:
        admin.post(salesforce_sandbox, "salesforce/sessions/restore")
    assert (expired.value.code, expired.value.status) == ("INVALID_SESSION_ID", 401)


def test_hubspot_merge_through_the_client(hubspot, hubspot_sandbox, meter) -> None:
    url = f"{hubspot_sandbox.url}/crm/v3/objects/companies"
    keep, gone = (
        requests.post(url, headers=TOKEN, json={"properties": {"name": n}}, timeout=10).json()["id"]
        for n in ("Keep Co", "Gone Co")
    )
    answer = hubspot_merge(hubspot, "companies", keep, gone)
    assert answer.survivor_id == keep and meter.calls[("hubspot", "companies.merge")] == 1
    with pytest.raises(CrmError) as missing:
        hubspot_merge(hubspot, "companies", keep, "999999999")
    assert missing.value.status == 404
    with pytest.raises(CrmError) as unsupported:
        hubspot_merge(hubspot, "tasks", keep, gone)
    assert unsupported.value.code == "MERGE_NOT_SUPPORTED"
