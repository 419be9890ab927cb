"""Field-level security on Tooling-created fields, permission sets granting it through the REST sObject API,
object read access enforced in SOQL, REST and Bulk, as a real org answers the integration user."""

from __future__ import annotations

import time

import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)


def code_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.content[0]["errorCode"]


def create_field(sf, full_name: str) -> None:
    body = {"FullName": full_name, "Metadata": {"type": "Text", "length": 40, "label": "Tier"}}
    assert sf.toolingexecute("sobjects/CustomField", method="POST", data=body)["success"]


def grant(sf, sandbox, fields: list[str], edit: bool = True) -> str:
    """A permission set with Read (and Edit) on `fields`, assigned to the integration user."""
    pset = sf.PermissionSet.create({"Name": "Grant_Test", "Label": "Grant Test"})["id"]
    for full in fields:
        sf.FieldPermissions.create({"ParentId": pset, "SobjectType": full.split(".")[0], "Field": full,
                                    "PermissionsRead": True, "PermissionsEdit": edit})  # fmt: skip
    sf.PermissionSetAssignment.create({"AssigneeId": sandbox.emulator.api_user_id, "PermissionSetId": pset})
    return pset


def test_a_tooling_created_field_is_invisible_until_field_permissions_grant_it(sf, sandbox) -> None:
    create_field(sf, "Contact.Tier__c")
    assert "Tier__c" not in {f["name"] for f in sf.Contact.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id, Tier__c FROM Contact")
    assert code_of(exc) == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.create({"LastName": "x", "Tier__c": "Gold"})
    assert code_of(exc) == "INVALID_FIELD"
    cid = sf.Contact.create({"LastName": "x"})["id"]
    assert "Tier__c" not in sf.Contact.get(cid)
    # the field exists: the Tooling API lists it
    listed = sf.toolingexecute("query/?q=SELECT+DeveloperName+FROM+CustomField")["records"]
    assert [r["DeveloperName"] for r in listed] == ["Tier"]

    grant(sf, sandbox, ["Contact.Tier__c"], edit=False)
    tier = next(f for f in sf.Contact.describe()["fields"] if f["name"] == "Tier__c")
    assert (tier["createable"], tier["updateable"]) == (False, False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Contact.update(cid, {"Tier__c": "Gold"})
    assert code_of(exc) == "INVALID_FIELD_FOR_INSERT_UPDATE"
    fp = sf.query("SELECT Id FROM FieldPermissions WHERE Field = 'Contact.Tier__c'")["records"][0]["Id"]
    sf.FieldPermissions.update(fp, {"PermissionsEdit": True})
    assert sf.Contact.update(cid, {"Tier__c": "Gold"}) == 204
    assert sf.query(f"SELECT Tier__c FROM Contact WHERE Id = '{cid}'")["records"][0]["Tier__c"] == "Gold"


def test_permission_rows_are_checked_like_salesforce(sf, sandbox) -> None:
    create_field(sf, "Lead.Tier__c")
    pset = sf.PermissionSet.create({"Name": "P1", "Label": "P1"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:  # Edit needs Read
        sf.FieldPermissions.create({"ParentId": pset, "SobjectType": "Lead", "Field": "Lead.Tier__c",
                                    "PermissionsRead": False, "PermissionsEdit": True})  # fmt: skip
    assert code_of(exc) == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceMalformedRequest) as exc:  # a required field is always visible
        sf.FieldPermissions.create({"ParentId": pset, "SobjectType": "Lead", "Field": "Lead.LastName",
                                    "PermissionsRead": True, "PermissionsEdit": True})  # fmt: skip
    assert code_of(exc) == "FIELD_INTEGRITY_EXCEPTION"
    row = {"ParentId": pset, "SobjectType": "Lead", "Field": "Lead.Tier__c", "PermissionsRead": True}
    sf.FieldPermissions.create(row)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.FieldPermissions.create(row)
    assert code_of(exc) == "DUPLICATE_VALUE"
    # a permission set not assigned to the user grants nothing
    assert "Tier__c" not in {f["name"] for f in sf.Lead.describe()["fields"]}


def test_a_user_without_manage_permissions_cannot_grant_itself(sf, sandbox) -> None:
    sandbox.settings(can_manage_permissions=False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.PermissionSet.create({"Name": "Mine", "Label": "Mine"})
    assert code_of(exc) == "INSUFFICIENT_ACCESS_OR_READONLY"


def test_setting_off_makes_new_fields_visible_at_once(sf, sandbox) -> None:
    sandbox.settings(new_fields_need_permission=False)
    create_field(sf, "Contact.Tier__c")
    assert sf.Contact.create({"LastName": "x", "Tier__c": "Gold"})["success"]


def test_an_object_the_user_cannot_read_is_refused_in_soql_rest_and_bulk(sf, sandbox) -> None:
    sf.Lead.create({"LastName": "x", "Company": "y"})
    sandbox.settings(profile_denied_object_permissions={"Lead": ["read"]})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Lead")
    assert code_of(exc) == "INVALID_TYPE"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.describe()
    assert "Lead" not in {o["name"] for o in sf.describe()["sobjects"]}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.create({"LastName": "x", "Company": "y"})
    job = sf.bulk2.Lead._client.create_job("query", query="SELECT Id FROM Lead")
    for _ in range(200):  # the query runs when the job is processed: poll its state
        info = sf.bulk2.Lead._client.get_job(job["id"], is_query=True)
        if info["state"] in ("Failed", "JobComplete"):
            break
        time.sleep(0.02)
    assert info["state"] == "Failed" and "sObject type 'Lead' is not supported" in info["errorMessage"]
    # an ObjectPermissions row of an assigned permission set grants Read back (permissions add up)
    sandbox.settings(profile_denied_object_permissions={})
    pset = sf.PermissionSet.create({"Name": "LeadRead", "Label": "Lead Read"})["id"]
    sandbox.settings(profile_denied_object_permissions={"Lead": ["read"]})
    sf.ObjectPermissions.create({"ParentId": pset, "SobjectType": "Lead", "PermissionsRead": True})
    sf.PermissionSetAssignment.create({"AssigneeId": sandbox.emulator.api_user_id, "PermissionSetId": pset})
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1


def test_validation_and_duplicate_rules_are_readable(sf, sandbox) -> None:
    rules = sf.toolingexecute(
        "query/?q=SELECT+ValidationName,EntityDefinitionId,ErrorMessage,Active+FROM+ValidationRule"
    )["records"]
    assert [(r["EntityDefinitionId"], r["Active"]) for r in rules] == [("Lead", True)]
    assert "7 characters" in rules[0]["ErrorMessage"]
    dup = sf.query("SELECT DeveloperName, SobjectType FROM DuplicateRule WHERE IsActive = true")["records"]
    assert [(r["DeveloperName"], r["SobjectType"]) for r in dup] == [("Standard_Lead_Duplicate_Rule", "Lead")]
    sandbox.settings(can_view_setup=False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.toolingexecute("query/?q=SELECT+ValidationName+FROM+ValidationRule")
    assert code_of(exc) == "INSUFFICIENT_ACCESS_OR_READONLY"
