"""sObject Collections (partial success, allOrNone, injected failures) and /composite references."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_collection_create_partial_failure(sf) -> None:
    records = [{"attributes": {"type": "Contact"}, "LastName": "ok"},
               {"attributes": {"type": "Contact"}, "FirstName": "missing last"},
               {"attributes": {"type": "Account"}, "Name": "Acme"}]  # fmt: skip
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING" and "id" not in results[1]
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 1


def test_collection_all_or_none_rolls_back(sf) -> None:
    records = [{"attributes": {"type": "Contact"}, "LastName": "ok"},
               {"attributes": {"type": "Contact"}, "LastName": "bad", "Email": "nope"}]  # fmt: skip
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0


def test_collection_update_upsert_delete_retrieve(sf, sandbox) -> None:
    ids = [sf.Contact.create({"LastName": f"c{i}"})["id"] for i in range(3)]
    updates = [{"attributes": {"type": "Contact"}, "id": i, "Title": "T"} for i in ids]
    assert all(
        r["success"] for r in sf.restful("composite/sobjects", method="PATCH", json={"records": updates})
    )
    upserts = [{"attributes": {"type": "Contact"}, "CrmSync_HubSpot_Id__c": "h1", "LastName": "new"}]
    result = sf.restful(
        "composite/sobjects/Contact/CrmSync_HubSpot_Id__c", method="PATCH", json={"records": upserts}
    )
    assert result[0]["created"] is True
    result = sf.restful(
        "composite/sobjects/Contact/CrmSync_HubSpot_Id__c", method="PATCH", json={"records": upserts}
    )
    assert result[0]["created"] is False
    got = sf.restful("composite/sobjects/Contact", params={"ids": ",".join(ids), "fields": "Id,Title"})
    assert [r["Title"] for r in got] == ["T"] * 3
    deleted = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join(ids[:2]), "allOrNone": "false"}
    )
    assert [r["id"] for r in deleted] == ids[:2]
    too_many = [{"attributes": {"type": "Contact"}, "LastName": "x"}] * 201
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"records": too_many})
    assert exc.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_injected_record_failures(sf, sandbox) -> None:
    sandbox.admin("faults", {"record_failure_rate": 1.0})
    results = sf.restful("composite/sobjects", method="POST",
                         json={"records": [{"attributes": {"type": "Contact"}, "LastName": "x"}]})  # fmt: skip
    assert results[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"


def test_composite_references_and_all_or_none(sf) -> None:
    body = {"allOrNone": False, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Account", "referenceId": "acct", "body": {"Name": "A"}},
        {"method": "POST", "url": "/services/data/v59.0/sobjects/Contact", "referenceId": "con",
         "body": {"LastName": "L", "AccountId": "@{acct.id}"}},
        {"method": "GET", "url": "/services/data/v59.0/sobjects/Contact/@{con.id}?fields=AccountId", "referenceId": "get"},
    ]}  # fmt: skip
    out = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in out] == [201, 201, 200]
    assert out[2]["body"]["AccountId"] == out[0]["body"]["id"]
    body["allOrNone"] = True
    body["compositeRequest"][1]["body"]["Email"] = "bad"
    out = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["body"][0]["errorCode"] for r in out] == [
        "PROCESSING_HALTED",
        "INVALID_EMAIL_ADDRESS",
        "PROCESSING_HALTED",
    ]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1


def test_composite_batch(sf) -> None:
    aid = sf.Account.create({"Name": "A"})["id"]
    body = {"haltOnError": True, "batchRequests": [
        {"method": "PATCH", "url": f"v59.0/sobjects/Account/{aid}", "richInput": {"Name": "B"}},
        {"method": "GET", "url": "v59.0/sobjects/Account/001000000000000AAA"},
        {"method": "GET", "url": f"v59.0/sobjects/Account/{aid}"},
    ]}  # fmt: skip
    out = sf.restful("composite/batch", method="POST", json=body)
    assert out["hasErrors"] is True
    assert [r["statusCode"] for r in out["results"]] == [204, 404, 412]
