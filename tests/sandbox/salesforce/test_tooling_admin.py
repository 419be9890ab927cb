"""Tooling custom fields, admin merges and lead conversion, UI edits."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def test_custom_field_then_query(sf, sandbox) -> None:
    body = {"FullName": "Contact.Tier__c", "Metadata": {"type": "Text", "length": 20, "label": "Tier"}}
    result = sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
    assert result["success"] is True and result["id"].startswith("00N")
    sandbox.settings(new_fields_need_permission=False)  # field-level security: tests/.../test_permissions.py
    cid = sf.Contact.create({"LastName": "x", "Tier__c": "Gold"})["id"]
    assert sf.query("SELECT Tier__c FROM Contact")["records"][0]["Tier__c"] == "Gold"
    assert any(f["name"] == "Tier__c" for f in sf.Contact.describe()["fields"])
    listed = sf.toolingexecute("query/?q=SELECT+Id,DeveloperName,TableEnumOrId+FROM+CustomField")
    assert [(r["DeveloperName"], r["TableEnumOrId"]) for r in listed["records"]] == [("Tier", "Contact")]
    ext = {
        "FullName": "Lead.Legacy_Key__c",
        "Metadata": {"type": "Text", "length": 30, "externalId": True, "unique": True},
    }
    sf.toolingexecute("sobjects/CustomField", method="POST", data=ext)
    assert sf.Lead.upsert("Legacy_Key__c/k1", {"LastName": "L", "Company": "C"}) == 201
    assert cid


def test_custom_object_and_customize_switch(sf, sandbox) -> None:
    sf.toolingexecute(
        "sobjects/CustomObject",
        method="POST",
        data={"FullName": "Invoice__c", "Metadata": {"label": "Invoice"}},
    )
    rid = sf.Invoice__c.create({"Name": "INV-1"})["id"]
    assert rid.startswith("a00")
    sandbox.settings(can_customize=False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.toolingexecute("sobjects/CustomField", method="POST",
                          data={"FullName": "Contact.X__c", "Metadata": {"type": "Checkbox"}})  # fmt: skip
    assert exc.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"


def test_merge_then_query_all(sf, sandbox) -> None:
    aid = sf.Account.create({"Name": "Acme"})["id"]
    master = sf.Contact.create({"LastName": "Keep"})["id"]
    loser = sf.Contact.create({"LastName": "Lose", "AccountId": aid})["id"]
    task = sf.Task.create({"Subject": "Call", "WhoId": loser})["id"]
    sandbox.admin("salesforce/merge", {"object": "Contact", "master_id": master, "loser_ids": [loser],
                                       "field_values": {"AccountId": aid}})  # fmt: skip
    assert sf.query("SELECT Id FROM Contact")["totalSize"] == 1
    merged = sf.query_all("SELECT Id, MasterRecordId FROM Contact WHERE IsDeleted = true AND MasterRecordId != null",
                          include_deleted=True)["records"]  # fmt: skip
    assert [(r["Id"], r["MasterRecordId"]) for r in merged] == [(loser, master)]
    assert sf.Task.get(task)["WhoId"] == master
    assert sf.Contact.get(master)["LastModifiedById"] == sandbox.emulator.ui_user_id


def test_convert_lead_and_converted_lead_lock(sf, sandbox) -> None:
    lid = sf.Lead.create({"LastName": "Hopper", "Company": "Navy", "Email": "grace@example.com"})["id"]
    out = sandbox.admin("salesforce/convert-lead", {"lead_id": lid, "create_opportunity": True})
    lead = sf.Lead.get(lid)
    assert lead["IsConverted"] and lead["Status"] == "Closed - Converted"
    assert (lead["ConvertedAccountId"], lead["ConvertedContactId"]) == (out["account_id"], out["contact_id"])
    assert sf.Contact.get(out["contact_id"])["Email"] == "grace@example.com"
    assert sf.Opportunity.get(out["opportunity_id"])["AccountId"] == out["account_id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.update(lid, {"Title": "Admiral"})
    assert exc.value.content[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    sandbox.settings(block_converted_lead_updates=False)
    assert sf.Lead.update(lid, {"Title": "Admiral"}) == 204


def test_ui_edit_changes_last_modified_by(sf, sandbox) -> None:
    cid = sf.Contact.create({"LastName": "x"})["id"]
    sandbox.admin("salesforce/edit", {"object": "Contact", "id": cid, "fields": {"Title": "VP"}})
    row = sf.Contact.get(cid)
    assert row["Title"] == "VP" and row["LastModifiedById"] == sandbox.emulator.ui_user_id


def test_field_definition_lists_fields_field_level_security_hides(sf, sandbox) -> None:
    """Tooling FieldDefinition is metadata: it lists a standard field a profile hides, which describe omits."""
    from urllib.parse import quote

    sandbox.settings(profile_hidden_fields={"Contact": ["Title"]})
    assert "Title" not in {f["name"] for f in sf.Contact.describe()["fields"]}
    soql = ("SELECT QualifiedApiName, EntityDefinitionId, DataType FROM FieldDefinition "
            "WHERE EntityDefinitionId = 'Contact' AND QualifiedApiName IN ('Title', 'Email', 'Nope')")  # fmt: skip
    rows = sf.toolingexecute(f"query/?q={quote(soql)}")["records"]
    assert sorted((r["QualifiedApiName"], r["EntityDefinitionId"]) for r in rows) == [
        ("Email", "Contact"), ("Title", "Contact")]  # fmt: skip
    sandbox.settings(can_view_setup=False)  # metadata needs "View Setup and Configuration"
    with pytest.raises(Exception, match="INSUFFICIENT_ACCESS_OR_READONLY"):
        sf.toolingexecute(f"query/?q={quote(soql)}")
