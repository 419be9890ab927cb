"""Single-record REST: create/get/update/delete, upsert by external id, validation error codes."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)


def code_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.content[0]["errorCode"]


def test_crud_and_soft_delete(sf) -> None:
    acct = sf.Account.create({"Name": "Acme"})
    assert acct["success"] and acct["id"].startswith("001") and len(acct["id"]) == 18
    cid = sf.Contact.create({"LastName": "Lovelace", "Email": "ada@example.com", "AccountId": acct["id"]})[
        "id"
    ]
    row = sf.Contact.get(cid)
    assert row["attributes"]["type"] == "Contact" and row["Name"] == "Lovelace"
    assert row["CreatedById"] == row["OwnerId"] == row["LastModifiedById"]
    assert row["CreatedDate"].endswith("+0000") and row["IsDeleted"] is False
    assert sf.Contact.update(cid[:15], {"firstname": "Ada"}) == 204  # 15-char id, field names any case
    after = sf.Contact.get(cid, params={"fields": "Id,Name,LastModifiedDate"})
    assert set(after) == {"attributes", "Id", "Name", "LastModifiedDate"} and after["Name"] == "Ada Lovelace"
    assert after["LastModifiedDate"] >= row["LastModifiedDate"]  # second precision: may share a second
    assert sf.Contact.delete(cid) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Contact.get(cid)
    assert code_of(exc) == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Contact.get("003" + "0" * 12 + "AAA")
    assert code_of(exc) == "NOT_FOUND"


def test_upsert_by_external_id_created_updated_ambiguous(sf, sandbox) -> None:
    assert sf.Contact.upsert("CrmSync_HubSpot_Id__c/hs-1", {"LastName": "One"}) == 201
    assert sf.Contact.upsert("CrmSync_HubSpot_Id__c/HS-1", {"LastName": "Uno"}) == 200  # case-insensitive
    got = sf.Contact.get_by_custom_id("CrmSync_HubSpot_Id__c", "hs-1")
    assert got["LastName"] == "Uno"
    response = sf.Contact.upsert("CrmSync_HubSpot_Id__c/hs-2", {"LastName": "Two"}, raw_response=True)
    assert response.status_code == 201 and response.json()["created"] is True
    sf.Lead.create({"LastName": "A", "Company": "X", "Email": "dup@example.com"})
    sandbox.settings(duplicate_rules=[])
    sf.Lead.create({"LastName": "B", "Company": "X", "Email": "dup@example.com"})
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        sf.Lead.upsert("Email/dup@example.com", {"LastName": "C"})
    assert all(u.startswith("/services/data/v59.0/sobjects/Lead/00Q") for u in exc.value.content)
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Contact.upsert("LastName/x", {"FirstName": "y"})
    assert code_of(exc) == "NOT_FOUND"


def test_upsert_update_status_switch(sf, sandbox) -> None:
    sf.Account.upsert("CrmSync_HubSpot_Id__c/a1", {"Name": "A"})
    sandbox.settings(upsert_update_returns_body=False)
    assert sf.Account.upsert("CrmSync_HubSpot_Id__c/a1", {"Name": "B"}) == 204


@pytest.mark.parametrize(
    ("obj", "body", "code", "fields"),
    [
        ("Contact", {"FirstName": "x"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ("Contact", {"LastName": "x", "Nope__c": 1}, "INVALID_FIELD", ["Nope__c"]),
        ("Lead", {"LastName": "x", "Company": "y", "IsConverted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsConverted"]),
        ("Contact", {"LastName": "x" * 81}, "STRING_TOO_LONG", ["LastName"]),
        ("Contact", {"LastName": "x", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ("Opportunity", {"Name": "o", "StageName": "Bogus", "CloseDate": "2024-01-01"},
         "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["StageName"]),
        ("Lead", {"LastName": "x", "Company": "y", "Phone": "123"}, "FIELD_CUSTOM_VALIDATION_EXCEPTION", ["Phone"]),
        ("Contact", {"LastName": "x", "AccountId": "001" + "0" * 12}, "INVALID_CROSS_REFERENCE_KEY", []),
        ("Contact", {"LastName": "x", "AccountId": "garbage"}, "MALFORMED_ID", ["AccountId"]),
        ("Contact", {"LastName": "x", "Birthdate": "31/12/2020"}, "JSON_PARSER_ERROR", None),
        ("Account", {"Name": "x", "AnnualRevenue": "lots"}, "JSON_PARSER_ERROR", None),
    ],
)  # fmt: skip
def test_validation_codes(sf, obj, body, code, fields) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        getattr(sf, obj).create(body)
    assert code_of(exc) == code
    assert exc.value.content[0].get("fields") == fields


def test_duplicate_value_and_duplicate_rule(sf, sandbox) -> None:
    sf.Contact.create({"LastName": "a", "CrmSync_HubSpot_Id__c": "X1"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.create({"LastName": "b", "CrmSync_HubSpot_Id__c": "x1"})
    assert code_of(exc) == "DUPLICATE_VALUE"
    sf.Lead.create({"LastName": "a", "Company": "c", "Email": "Same@Example.com"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "b", "Company": "c", "Email": "same@example.com"})
    assert code_of(exc) == "DUPLICATES_DETECTED"
    assert exc.value.content[0]["duplicateResult"]["matchResults"][0]["size"] == 1
    sandbox.settings(duplicate_rules=[{"object": "Lead", "fields": ["Email"], "active": False}])
    assert sf.Lead.create({"LastName": "b", "Company": "c", "Email": "same@example.com"})["success"]


def test_required_field_cannot_be_cleared_and_unrestricted_picklist(sf, sandbox) -> None:
    cid = sf.Contact.create({"LastName": "x", "LeadSource": "Carrier Pigeon"})[
        "id"
    ]  # unrestricted by default
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.update(cid, {"LastName": None})
    assert code_of(exc) == "REQUIRED_FIELD_MISSING"
    sandbox.settings(restricted_picklists={"Contact": ["LeadSource"]})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.create({"LastName": "x", "LeadSource": "Carrier Pigeon"})
    assert code_of(exc) == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    sandbox.settings(restricted_picklists={})
    assert sf.Opportunity.create({"Name": "o", "StageName": "Bogus", "CloseDate": "2024-01-01"})["success"]


def test_validation_rule_switch_and_field_case_switch(sf, sandbox) -> None:
    assert sf.Lead.create({"LastName": "x", "Company": "y", "Phone": "555-0100"})["success"]
    sandbox.settings(validation_rules=[])
    assert sf.Lead.create({"LastName": "x2", "Company": "y", "Phone": "1"})["success"]
    sandbox.settings(case_insensitive_field_names=False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.create({"lastname": "x"})
    assert code_of(exc) == "INVALID_FIELD"


def test_access_rules(sf, sandbox) -> None:
    cid = sf.Contact.create({"LastName": "x"})["id"]
    sandbox.settings(read_only_fields={"Contact": ["Title"]}, read_only_record_ids=[cid])
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.create({"LastName": "y", "Title": "CEO"})
    assert code_of(exc) == "INSUFFICIENT_ACCESS_OR_READONLY"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.update(cid, {"LastName": "z"})
    assert code_of(exc) == "INSUFFICIENT_ACCESS_OR_READONLY"
    sandbox.settings(insufficient_access_status=403)
    with pytest.raises(SalesforceRefusedRequest):
        sf.Contact.update(cid, {"LastName": "z"})


def test_opportunity_stage_derivations(sf) -> None:
    oid = sf.Opportunity.create(
        {"Name": "Deal", "StageName": "Discovery", "CloseDate": "2024-06-30", "Amount": 1200}
    )["id"]
    row = sf.Opportunity.get(oid)
    assert (row["IsClosed"], row["IsWon"], row["Amount"]) == (False, False, 1200.0)
    assert row["RecordTypeId"].startswith("012")
    sf.Opportunity.update(oid, {"StageName": "Closed Won"})
    row = sf.Opportunity.get(oid)
    assert (row["IsClosed"], row["IsWon"], row["Probability"]) == (True, True, 100.0)


def test_deleted_and_updated_endpoints(sf) -> None:
    from datetime import UTC, datetime, timedelta

    cid = sf.Contact.create({"LastName": "x"})["id"]
    sf.Contact.delete(cid)
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    assert [r["id"] for r in sf.Contact.deleted(start, end)["deletedRecords"]] == [cid]
    live = sf.Contact.create({"LastName": "y"})["id"]
    assert sf.Contact.updated(start, end)["ids"] == [live]
