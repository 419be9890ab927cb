"""Bulk API 2.0 ingest and query through `sf.bulk2`, plus a job surviving a restart."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce.exceptions import SalesforceOperationError


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_insert_with_failed_rows_and_results(sf, tmp_path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "LastName,Email,CrmSync_HubSpot_Id__c\nAlpha,a@example.com,h1\n,b@example.com,h2\nGamma,bad-email,h3\n"
    )
    job = {"id": sf.bulk2.Contact.insert(csv_file=str(path), wait=0.1)[0]["job_id"]}
    info = sf.bulk2.Contact._client.get_job(job["id"], False)
    assert (info["state"], info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (
        "JobComplete",
        3,
        2,
    )
    ok = rows(sf.bulk2.Contact.get_successful_records(job["id"]))
    assert (
        ok[0]["sf__Created"] == "true" and ok[0]["sf__Id"].startswith("003") and ok[0]["LastName"] == "Alpha"
    )
    failed = {
        r["CrmSync_HubSpot_Id__c"]: r["sf__Error"]
        for r in rows(sf.bulk2.Contact.get_failed_records(job["id"]))
    }
    assert failed["h2"].startswith("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName")
    assert failed["h3"].startswith("INVALID_EMAIL_ADDRESS:")


def test_records_insert_upsert_update_delete(sf) -> None:
    out = sf.bulk2.Account.insert(
        records=[{"Name": "A", "CrmSync_HubSpot_Id__c": "x1", "Phone": "555"}], wait=0.1
    )
    assert out[0]["numberRecordsProcessed"] == 1 and out[0]["numberRecordsFailed"] == 0
    sf.bulk2.Account.upsert(records=[{"CrmSync_HubSpot_Id__c": "x1", "Name": "A2", "Phone": "#N/A", "Website": ""},
                                     {"CrmSync_HubSpot_Id__c": "x2", "Name": "B", "Phone": "", "Website": "b.com"}],
                            external_id_field="CrmSync_HubSpot_Id__c", wait=0.1)  # fmt: skip
    got = {
        r["CrmSync_HubSpot_Id__c"]: r
        for r in sf.query("SELECT Id, Name, Phone, CrmSync_HubSpot_Id__c FROM Account")["records"]
    }
    assert got["x1"]["Name"] == "A2" and got["x1"]["Phone"] is None and got["x2"]["Name"] == "B"
    sf.bulk2.Account.update(records=[{"Id": got["x2"]["Id"], "Name": "B2"}], wait=0.1)
    assert sf.Account.get(got["x2"]["Id"])["Name"] == "B2"
    res = sf.bulk2.Account.delete(records=[{"Id": got["x2"]["Id"]}], wait=0.1)
    assert res[0]["numberRecordsFailed"] == 0
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1
    res = sf.bulk2.Contact.insert(
        records=[{"LastName": "C", "Account.CrmSync_HubSpot_Id__c": "x1"}], wait=0.1
    )
    assert res[0]["numberRecordsFailed"] == 0
    assert sf.query("SELECT Account.Name FROM Contact")["records"][0]["Account"]["Name"] == "A2"


def test_query_job_paging(sf, sandbox) -> None:
    sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Contact"}, "LastName": f"P{i:03d}", "Email": f"p{i}@example.com"} for i in range(150)]})  # fmt: skip
    pages = list(
        sf.bulk2.Contact.query("SELECT Id, LastName, Account.Name FROM Contact", max_records=100, wait=0.1)
    )
    assert len(pages) == 2
    first = rows(pages[0])
    assert list(first[0]) == ["Id", "LastName", "Account.Name"] and len(first) == 100
    assert len(rows(pages[1])) == 50


def test_query_results_before_complete_is_412(sandbox, sf) -> None:
    sandbox.settings(bulk_processing_delay_s=5)
    job = sf.bulk2.Contact._client.create_job("query", "SELECT Id FROM Contact")
    response = sandbox.client().session.get(f"https://127.0.0.1:{sandbox.port}/services/data/v59.0/jobs/query/{job['id']}/results",
                           headers={"Authorization": "Bearer sandbox-token"})  # fmt: skip
    assert response.status_code == 412 and response.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"


def test_job_persists_across_restart(tmp_path, start_sandbox) -> None:
    first = start_sandbox(tmp_path)
    first.settings(bulk_processing_delay_s=0.05)
    out = first.client().bulk2.Lead.insert(records=[{"LastName": "L", "Company": "C"}], wait=0.1)
    job_id = out[0]["job_id"]
    first.thread.stop()
    sf = start_sandbox(tmp_path).client()
    info = sf.bulk2.Lead._client.get_job(job_id, False)
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 1
    assert rows(sf.bulk2.Lead.get_successful_records(job_id))[0]["LastName"] == "L"
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1


def test_unknown_column_fails_job(sf) -> None:
    with pytest.raises(SalesforceOperationError):
        sf.bulk2.Contact.insert(records=[{"LastName": "x", "Nope__c": "y"}], wait=0.1)
