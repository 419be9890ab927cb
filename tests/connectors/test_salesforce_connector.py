"""SalesforceConnector against the Salesforce sandbox over HTTP, through simple-salesforce."""

from __future__ import annotations

import pytest

from crmsync_pipeline.connectors.bulk_csv import bulk_job_slices
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.salesforce import SalesforceConnector, soql_in
from crmsync_pipeline.connectors.sessions import SessionPool
from crmsync_pipeline.connectors.settings import ConnectionSettings


def test_describe_and_global_describe(salesforce, meter):
    names = {o["name"] for o in salesforce.describe_global()["sobjects"]}
    assert {"Account", "Contact", "Lead", "Opportunity"} <= names
    fields = salesforce.field_types("Contact")
    assert fields["LastName"] == "string" and fields["AccountId"] == "reference"
    salesforce.describe("Contact")
    assert meter.calls[("salesforce", "Contact.describe")] == 1  # kept for the connector's life


def test_collection_upsert_keeps_statuscodes_and_fields_per_record(salesforce, meter):
    results = salesforce.upsert(
        "Contact",
        "CrmSync_HubSpot_Id__c",
        [
            {"CrmSync_HubSpot_Id__c": "hs-up-1", "LastName": "Upserted", "Email": "up1@example.com"},
            {"CrmSync_HubSpot_Id__c": "hs-up-2", "FirstName": "No last name"},
            {"CrmSync_HubSpot_Id__c": "hs-up-3", "LastName": "x" * 81},
        ],
    )
    assert [r.succeeded for r in results] == [True, False, False]
    assert results[0].created and results[0].record_id.startswith("003")
    assert (results[1].error_code, results[1].error_fields) == ("REQUIRED_FIELD_MISSING", ("LastName",))
    assert results[2].error_code == "STRING_TOO_LONG"
    assert meter.calls[("salesforce", "Contact.collection.upsert")] == 1
    again = salesforce.upsert(
        "Contact", "CrmSync_HubSpot_Id__c", [{"CrmSync_HubSpot_Id__c": "hs-up-1", "Title": "CTO"}]
    )
    assert again[0].record_id == results[0].record_id and not again[0].created


def test_update_create_and_delete_through_collections(salesforce):
    created = salesforce.create("Account", [{"Name": "Collections Co", "NumberOfEmployees": "12"}])
    account = created[0].record_id
    assert created[0].succeeded and account.startswith("001")
    updated = salesforce.update("Account", [{"Id": account, "NumberOfEmployees": "40", "Website": None}])
    assert updated[0].succeeded
    row = next(
        salesforce.query_pages(f"SELECT NumberOfEmployees FROM Account WHERE {soql_in('Id', [account])}")
    )
    assert row[0]["NumberOfEmployees"] == 40
    deleted = salesforce.delete([account, account[:-3] + "ZZZ"])
    assert deleted[0].succeeded and not deleted[1].succeeded and deleted[1].error_code
    after = salesforce.update("Account", [{"Id": account, "Name": "Too late"}])
    assert after[0].error_code == "ENTITY_IS_DELETED"


def test_values_reach_soql_quoted(salesforce):
    tricky = "o'brien\\' OR Name != null"
    salesforce.create("Lead", [{"LastName": tricky, "Company": "Quotes Ltd"}])
    found = [
        r
        for page in salesforce.query_pages(f"SELECT LastName FROM Lead WHERE {soql_in('LastName', [tricky])}")
        for r in page
    ]
    assert [r["LastName"] for r in found] == [tricky]


def test_bulk_ingest_reports_each_row_and_clears_with_na(salesforce, meter):
    jobs: list[str] = []
    rows = [
        {"LastName": "Bulky", "FirstName": "One", "Title": "Buyer", "CrmSync_HubSpot_Id__c": "hs-bulk-1"},
        {"FirstName": "Missing last name", "CrmSync_HubSpot_Id__c": "hs-bulk-2"},
        {"LastName": "Bulky", "FirstName": "Two", "Title": "Seller", "CrmSync_HubSpot_Id__c": "hs-bulk-3"},
    ]
    results = salesforce.bulk_ingest("insert", "Contact", rows, on_job_created=jobs.append)
    assert len(jobs) == 1 and jobs[0].startswith("750")
    assert [r.succeeded for r in results] == [True, False, True]
    assert results[1].error_code == "REQUIRED_FIELD_MISSING" and results[1].error_fields == ("LastName",)
    assert results[0].created and results[0].record_id.startswith("003")
    # An upsert by external id: None clears Title (#N/A), a missing key leaves FirstName alone.
    cleared = salesforce.bulk_ingest(
        "upsert",
        "Contact",
        [
            {"CrmSync_HubSpot_Id__c": "hs-bulk-1", "Title": None},
            {"CrmSync_HubSpot_Id__c": "hs-bulk-3", "Title": "Boss"},
        ],
        external_id_field="CrmSync_HubSpot_Id__c",
    )
    assert [(r.succeeded, r.created) for r in cleared] == [(True, False), (True, False)]
    ids = [results[0].record_id, results[2].record_id]
    found = {
        r["Id"]: r
        for page in salesforce.query_pages(
            f"SELECT Id, FirstName, Title FROM Contact WHERE {soql_in('Id', ids)}"
        )
        for r in page
    }
    assert (found[ids[0]]["Title"], found[ids[0]]["FirstName"]) == (None, "One")
    assert found[ids[1]]["Title"] == "Boss"
    assert meter.calls[("salesforce", "bulk2.ingest.create")] == 2


@pytest.fixture(scope="module")
def many_contacts(salesforce_sandbox, admin):
    connector = SalesforceConnector(
        admin.settings("http://127.0.0.1:1", salesforce_sandbox.url).salesforce, CallMeter(), bulk_poll_s=0.1
    )
    rows = [{"LastName": "Paged", "FirstName": f"N{n}"} for n in range(2_150)]
    assert all(r.succeeded for r in connector.bulk_ingest("insert", "Contact", rows))
    return 2_150


def test_query_pages_follow_next_records_url_past_2000(salesforce, meter, many_contacts):
    pages = list(salesforce.query_pages("SELECT Id, FirstName FROM Contact WHERE LastName = 'Paged'"))
    assert [len(p) for p in pages] == [2_000, many_contacts - 2_000]
    assert len({r["Id"] for p in pages for r in p}) == many_contacts
    assert (meter.calls[("salesforce", "query")], meter.calls[("salesforce", "queryMore")]) == (1, 1)


def test_bulk_query_returns_the_same_rows_as_text(salesforce, many_contacts):
    rows = [
        r
        for page in salesforce.bulk_query(
            "SELECT Id, FirstName, IsDeleted FROM Contact WHERE LastName = 'Paged'"
        )
        for r in page
    ]
    assert len(rows) == many_contacts
    assert {r["IsDeleted"] for r in rows} == {"false"}
    assert salesforce.count("Contact") >= many_contacts


def test_deleted_rows_only_through_query_all(salesforce):
    made = salesforce.create("Lead", [{"LastName": "Soon Gone", "Company": "Vanishing Inc"}])[0].record_id
    salesforce.delete([made])
    where = f"WHERE {soql_in('Id', [made])}"
    assert [r for p in salesforce.query_pages(f"SELECT Id FROM Lead {where}") for r in p] == []
    rows = [
        r
        for p in salesforce.query_pages(f"SELECT Id, IsDeleted FROM Lead {where}", include_deleted=True)
        for r in p
    ]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(made, True)]


def test_limits_usage_and_users(salesforce):
    assert salesforce.limits()["DailyApiRequests"]["Max"] > 0
    used, allocation = salesforce.api_usage()
    assert 0 < used <= allocation
    users = salesforce.users()
    assert users and all(u["Id"].startswith("005") for u in users)


def oauth_settings(url: str) -> ConnectionSettings:
    return ConnectionSettings.from_env(
        {
            "HUBSPOT_ACCESS_TOKEN": "unused",
            "SALESFORCE_CLIENT_ID": "sandbox-client-id",
            "SALESFORCE_CLIENT_SECRET": "sandbox-client-secret",
            "SALESFORCE_LOGIN_URL": url,
        }
    )


def test_expired_session_logs_in_again_with_client_credentials(salesforce_sandbox, admin):
    meter = CallMeter()
    settings = oauth_settings(salesforce_sandbox.url).salesforce
    connector = SalesforceConnector(settings, meter, sessions=SessionPool())  # no session from other tests
    assert connector.count("Account") > 0
    admin.post(salesforce_sandbox, "salesforce/sessions/expire", {})
    assert connector.count("Account") > 0
    assert meter.calls[("salesforce", "oauth.token")] == 2
    assert meter.calls[("salesforce", "query")] == 3  # the refused one, counted, then its retry


def test_connectors_sharing_a_pool_ask_for_one_session_and_renew_it_once(salesforce_sandbox, admin):
    settings, pool, meter = oauth_settings(salesforce_sandbox.url).salesforce, SessionPool(), CallMeter()
    first, second = (SalesforceConnector(settings, meter, sessions=pool) for _ in range(2))
    assert first.count("Account") == second.count("Account") > 0
    assert meter.calls[("salesforce", "oauth.token")] == 1
    admin.post(salesforce_sandbox, "salesforce/sessions/expire", {})
    assert first.count("Account") > 0  # renews the shared session ...
    third = SalesforceConnector(settings, meter, sessions=pool)  # ... which a new connector starts on
    assert second.count("Account") == third.count("Account") > 0
    assert meter.calls[("salesforce", "oauth.token")] == 2
    # first: 1 + a refused one and its retry; second: 2 (it switched before its next call); third: 1
    assert meter.calls[("salesforce", "query")] == 6


def test_expired_token_without_oauth_is_a_crm_error(salesforce_sandbox, admin):
    connector = SalesforceConnector(
        admin.settings("http://127.0.0.1:1", salesforce_sandbox.url).salesforce, CallMeter()
    )
    admin.post(salesforce_sandbox, "salesforce/sessions/expire", {"include_static": True})
    try:
        with pytest.raises(CrmError) as refused:
            connector.count("Account")
    finally:
        admin.post(salesforce_sandbox, "salesforce/sessions/restore", {})
    assert (refused.value.status, refused.value.code) == (401, "INVALID_SESSION_ID")


def test_wrong_client_secret_is_refused_with_the_oauth_error(salesforce_sandbox):
    settings = oauth_settings(salesforce_sandbox.url).salesforce
    settings.client_secret = type(settings.client_secret)("wrong")
    with pytest.raises(CrmError) as refused:
        SalesforceConnector(settings, CallMeter())
    assert refused.value.code == "invalid_client"


def test_large_writes_split_into_jobs_and_each_job_can_be_reconciled(salesforce, monkeypatch):
    monkeypatch.setattr("crmsync_pipeline.connectors.bulk_csv.MAX_UPLOAD_BYTES", 400)
    rows = [{"LastName": f"Sliced {n}", "Company": "Slices Ltd"} for n in range(30)]
    jobs: list[str] = []
    results = salesforce.bulk_ingest("insert", "Lead", rows, on_job_created=jobs.append)
    assert len(jobs) == len(bulk_job_slices(rows, "insert")) >= 2
    assert all(r.succeeded and r.created for r in results)
    names = {
        r["Id"]: r["LastName"]
        for page in salesforce.query_pages(
            f"SELECT Id, LastName FROM Lead WHERE {soql_in('Id', [r.record_id for r in results])}"
        )
        for r in page
    }
    assert [names[r.record_id] for r in results] == [r["LastName"] for r in rows]
    # After a crash, the stored id of the first job gives the same outcomes for its slice of the input.
    start, end = bulk_job_slices(rows, "insert")[0]
    again = salesforce.bulk_ingest_results("Lead", jobs[0], rows[start:end], "insert")
    assert [r.record_id for r in again] == [r.record_id for r in results[start:end]]
