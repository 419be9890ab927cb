"""The Salesforce API behaviours a real org shows and a kind sandbox would hide (issue 17): composite
batch billed per subrequest, the concurrency limit's 403, second-precision stamps, Bulk 2.0 jobs seen
InProgress with results in no promised order, hard delete behind its permission, and the code for a
missing id in collections and Bulk (unconfirmed: a setting, both ways)."""

from __future__ import annotations

import csv
import io
import time

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest

from crmsync_pipeline.sandbox.salesforce.bulk2 import HARD_DELETE_REFUSED
from crmsync_pipeline.sandbox.salesforce.emulator import CONCURRENCY_MESSAGE


def _used(sf) -> int:
    limits = sf.limits()["DailyApiRequests"]
    return limits["Max"] - limits["Remaining"]


def _stats(sandbox) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10).json()


def _queries(n: int, version: str = "v59.0") -> list[dict]:
    return [{"method": "GET", "url": f"{version}/query?q=SELECT+Id+FROM+Contact+LIMIT+1"} for _ in range(n)]


def test_composite_batch_bills_each_subrequest_and_composite_one_call(sandbox, sf) -> None:
    before, stats_before = _used(sf), _stats(sandbox)["billed_calls"]
    sf.restful("composite/batch", method="POST", json={"batchRequests": _queries(4)})
    after_batch = _used(sf)
    # the batch of 4 is four calls (the request pays for its first), the /limits read one more
    assert after_batch - before == 4 + 1
    assert _stats(sandbox)["billed_calls"] - stats_before == 4 + 1
    composite = [
        {"method": "GET", "url": "/services/data/v59.0/query?q=SELECT+Id+FROM+Contact+LIMIT+1",
         "referenceId": f"q{i}"}
        for i in range(4)
    ]  # fmt: skip
    sf.restful("composite", method="POST", json={"compositeRequest": composite})
    assert _used(sf) - after_batch == 1 + 1


def test_composite_allows_five_queries_at_most(sandbox, sf) -> None:
    composite = [
        {
            "method": "GET",
            "url": "/services/data/v59.0/query?q=SELECT+Id+FROM+Contact",
            "referenceId": f"q{i}",
        }
        for i in range(6)
    ]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful("composite", method="POST", json={"compositeRequest": composite})
    assert raised.value.content[0]["errorCode"] == "LIMIT_EXCEEDED"


def test_batch_subrequests_past_the_daily_limit_answer_403(sandbox, sf) -> None:
    used = _used(sf)
    sandbox.settings(daily_api_limit=used + 2)  # the batch request (its first subrequest) and one more
    answer = sf.restful("composite/batch", method="POST", json={"batchRequests": _queries(3)})
    codes = [r["statusCode"] for r in answer["results"]]
    assert codes == [200, 200, 403] and answer["hasErrors"] is True
    assert answer["results"][2]["result"][0]["message"] == "TotalRequests Limit exceeded."


def test_concurrency_limit_is_a_403_distinct_from_the_daily_limit(sandbox, sf) -> None:
    sandbox.admin("faults", {"burst_concurrency": 1})
    with pytest.raises(SalesforceRefusedRequest) as raised:
        sf.query("SELECT Id FROM Contact")
    assert raised.value.status == 403
    assert raised.value.content[0] == {"message": CONCURRENCY_MESSAGE, "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    assert sf.query("SELECT Id FROM Contact")["done"]  # the next request is served
    sandbox.settings(daily_api_limit=1)
    with pytest.raises(SalesforceRefusedRequest) as daily:
        sf.query("SELECT Id FROM Contact")
    assert daily.value.content[0]["message"] == "TotalRequests Limit exceeded."


@pytest.mark.parametrize("precision", ["second", "millisecond"])
def test_stamp_precision(sandbox, sf, precision: str) -> None:
    if precision == "millisecond":
        sandbox.settings(stamp_precision="millisecond")
    ids = [sf.Contact.create({"LastName": f"Same{i}"})["id"] for i in range(5)]
    rows = sf.query(
        f"SELECT Id, SystemModstamp, LastModifiedDate FROM Contact WHERE Id IN ('{ids[0]}','{ids[-1]}')"
    )
    stamps = [r["SystemModstamp"] for r in rows["records"]]
    if precision == "second":
        assert all(s.endswith(".000+0000") for s in stamps)
        assert all(r["LastModifiedDate"] == r["SystemModstamp"] for r in rows["records"])
    else:
        assert len(set(stamps)) == 2  # the clock never repeats a millisecond


def test_second_precision_stamps_tie_within_a_second(sandbox, sf) -> None:
    """Five saves within one wall-clock second share a SystemModstamp: `> last seen` would miss them."""
    for _ in range(20):
        start = time.time()
        if start % 1 > 0.5:  # too close to the next second for five saves; wait for a fresh one
            time.sleep(1 - start % 1 + 0.01)
        ids = [sf.Contact.create({"LastName": f"Tie{i}"})["id"] for i in range(2)]
        stamps = {
            r["SystemModstamp"]
            for r in sf.query(f"SELECT SystemModstamp FROM Contact WHERE Id IN ('{ids[0]}','{ids[1]}')")[
                "records"
            ]
        }
        if len(stamps) == 1:
            return
    pytest.fail("two saves in the same second never shared a stamp")


def _bulk(sf):
    return sf.bulk2.Contact._client


def test_bulk_job_is_seen_in_progress_and_results_come_shuffled(sandbox, sf) -> None:
    names = [f"Row{i:02d}" for i in range(30)]
    client = _bulk(sf)
    job = client.create_job("insert")
    client.upload_job_data(job["id"], "LastName\n" + "\n".join(names) + "\n")
    client.close_job(job["id"])
    states = []
    while not states or states[-1] not in ("JobComplete", "Failed", "Aborted"):
        states.append(client.get_job(job["id"], False)["state"])
        time.sleep(0.02)
    assert "InProgress" in states and states[-1] == "JobComplete"
    ok = list(csv.DictReader(io.StringIO(client.get_ingest_results(job["id"], "successfulResults"))))
    assert sorted(r["LastName"] for r in ok) == names
    assert [r["LastName"] for r in ok] != names  # not the input order


def test_bulk_results_in_input_order_when_set(sandbox, sf) -> None:
    sandbox.settings(bulk_results_order="input")
    names = [f"Row{i:02d}" for i in range(30)]
    result = sf.bulk2.Contact.insert(records=[{"LastName": n} for n in names], wait=0.05)
    ok = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(result[0]["job_id"]))))
    assert [r["LastName"] for r in ok] == names


def test_hard_delete_needs_its_permission(sandbox, sf) -> None:
    cid = sf.Contact.create({"LastName": "Gone"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        _bulk(sf).create_job("hardDelete")
    assert raised.value.content[0] == {"message": HARD_DELETE_REFUSED, "errorCode": "FEATURENOTENABLED"}
    sandbox.settings(bulk_api_hard_delete=True)
    sf.bulk2.Contact.hard_delete(records=[{"Id": cid}], wait=0.05)
    assert sf.query_all(f"SELECT Id FROM Contact WHERE Id = '{cid}'")["totalSize"] == 0  # no Recycle Bin


@pytest.mark.parametrize("code", ["INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"])
def test_missing_id_code_in_collections_and_bulk(sandbox, sf, code: str) -> None:
    sandbox.settings(missing_id_error=code)
    cid = sf.Contact.create({"LastName": "Short-lived"})["id"]
    sandbox.settings(bulk_api_hard_delete=True)
    sf.bulk2.Contact.hard_delete(records=[{"Id": cid}], wait=0.05)
    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": cid})
    assert deleted[0]["errors"][0]["statusCode"] == code
    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Contact"}, "id": cid, "LastName": "x"}]},
    )
    assert updated[0]["errors"][0]["statusCode"] == code
    job = sf.bulk2.Contact.update(records=[{"Id": cid, "LastName": "x"}], wait=0.05)
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_failed_records(job[0]["job_id"]))))
    assert failed[0]["sf__Error"].startswith(f"{code}:")
    # a single-record REST call says NOT_FOUND (404) either way: documented
    with pytest.raises(Exception) as raised:
        sf.Contact.get(cid)
    assert raised.value.content[0]["errorCode"] == "NOT_FOUND"


def test_the_concurrency_limit_applies_to_api_requests_not_to_oauth_logins(sandbox) -> None:
    """The concurrent long-request limit counts API requests; the OAuth token endpoint is not one, so a
    login is never refused with it (a 403 there reads as refused credentials and would stop a run)."""
    sandbox.admin("faults", {"concurrency_rate": 1.0})
    try:
        sf = sandbox.oauth_client()  # the login is served
        with pytest.raises(SalesforceRefusedRequest) as raised:
            sf.query("SELECT Id FROM Contact")
        assert raised.value.content[0]["message"] == CONCURRENCY_MESSAGE
    finally:
        sandbox.admin("faults", {"concurrency_rate": 0.0})
