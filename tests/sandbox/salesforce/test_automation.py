"""Org automation on the Salesforce sandbox: before-save rules (same save, the saving user's stamp) and
Automated Process rules (a save of their own), on every write path, set through the admin API and settings."""

from __future__ import annotations

import time
from typing import Any

import requests

from crmsync_pipeline.sandbox.salesforce.org_data import API_USER_ID, UI_USER_ID

STAMPS = "Id, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp"


def rules(sandbox: Any, *items: dict[str, Any], method: str = "PUT") -> dict[str, Any]:
    response = requests.request(method, f"{sandbox.url}/_sandbox/automation", json=list(items), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def row(sf: Any, obj: str, rid: str, fields: str) -> dict[str, Any]:
    [found] = sf.query(f"SELECT {STAMPS}, {fields} FROM {obj} WHERE Id = '{rid}'")["records"]
    return found


def one_save(found: dict[str, Any], user: str = API_USER_ID) -> bool:
    """The record's last change was one save by `user`: LastModifiedDate and SystemModstamp agree."""
    return found["LastModifiedById"] == user and found["LastModifiedDate"] == found["SystemModstamp"]


def automated_process_id(sf: Any) -> str:
    [user] = sf.query("SELECT Id, Name, Alias FROM User WHERE UserType = 'AutomatedProcess'")["records"]
    assert (user["Name"], user["Alias"]) == ("Automated Process", "autoproc")
    return user["Id"]


PHONE = {"name": "format_phone", "object": "Contact", "when_changed": "Phone", "action": "format_phone",
         "field": "Phone"}  # fmt: skip
STATE = {"name": "upper_state", "object": "Contact", "on": "update", "action": "upper_case",
         "field": "MailingState"}  # fmt: skip


def test_format_phone_before_save_on_create(sf, sandbox) -> None:
    rules(sandbox, PHONE)
    answer = sf.Contact.create({"LastName": "Ng", "Phone": "555.123.4567"})
    assert set(answer) == {"id", "success", "errors"}  # the answer never shows the rewritten value
    found = row(sf, "Contact", answer["id"], "Phone")
    assert found["Phone"] == "(555) 123-4567"
    assert one_save(found) and found["CreatedDate"] == found["SystemModstamp"]
    other = sf.Contact.create({"LastName": "Int", "Phone": "+44 20 7946 0958"})["id"]
    assert row(sf, "Contact", other, "Phone")["Phone"] == "+44 20 7946 0958"  # not 10 digits: left alone
    eleven = sf.Contact.create({"LastName": "Us", "Phone": "1-555-987-6543"})["id"]
    assert row(sf, "Contact", eleven, "Phone")["Phone"] == "(555) 987-6543"


def test_upper_case_on_update_only(sf, sandbox) -> None:
    rules(sandbox, STATE)
    rid = sf.Contact.create({"LastName": "Ng", "MailingState": "ca"})["id"]
    assert row(sf, "Contact", rid, "MailingState")["MailingState"] == "ca"  # on: update
    assert sf.Contact.update(rid, {"MailingState": "ny"}) == 204
    found = row(sf, "Contact", rid, "MailingState")
    assert found["MailingState"] == "NY" and one_save(found)


def test_copy_through_collections_and_composite(sf, sandbox) -> None:
    rules(sandbox, {"name": "title_to_department", "object": "Contact", "action": "copy", "from_field": "Title",
                    "field": "Department"})  # fmt: skip
    records = [{"attributes": {"type": "Contact"}, "LastName": f"c{i}", "Title": f"T{i}"} for i in range(2)]
    results = sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert all(r["success"] for r in results)
    assert [row(sf, "Contact", r["id"], "Department")["Department"] for r in results] == ["T0", "T1"]
    body = {"compositeRequest": [{"method": "PATCH", "referenceId": "u",
                                  "url": f"/services/data/v59.0/sobjects/Contact/{results[0]['id']}",
                                  "body": {"Title": "CTO"}}]}  # fmt: skip
    answer = sf.restful("composite", method="POST", json=body)
    assert answer["compositeResponse"][0]["httpStatusCode"] == 204
    found = row(sf, "Contact", results[0]["id"], "Title, Department")
    assert (found["Title"], found["Department"]) == ("CTO", "CTO") and one_save(found)


def test_set_when_field_changes_through_bulk(sf, sandbox, tmp_path) -> None:
    rules(sandbox, {"name": "status_note", "object": "Lead", "on": "update", "when_changed": "Status",
                    "action": "set", "field": "Rating", "value": "Hot"})  # fmt: skip
    a = sf.Lead.create({"LastName": "A", "Company": "X", "Status": "Open - Not Contacted"})["id"]
    b = sf.Lead.create({"LastName": "B", "Company": "Y"})["id"]
    path = tmp_path / "leads.csv"
    path.write_text(f"Id,Status,Title\n{a},Working - Contacted,\n{b},,Buyer\n")
    sf.bulk2.Lead.update(csv_file=str(path), wait=0.1)
    found_a, found_b = row(sf, "Lead", a, "Rating, Status"), row(sf, "Lead", b, "Rating, Title")
    assert found_a["Rating"] == "Hot" and one_save(found_a)
    assert found_b["Rating"] is None and found_b["Title"] == "Buyer"  # Status did not change


def test_automated_process_is_a_save_of_its_own(sf, sandbox) -> None:
    rules(sandbox, {**PHONE, "run_as": "automated_process"})
    rid = sf.Contact.create({"LastName": "Ng", "Phone": "5551234567"})["id"]
    found = row(sf, "Contact", rid, "Phone")
    assert found["Phone"] == "(555) 123-4567"
    assert found["CreatedById"] == API_USER_ID and found["LastModifiedById"] == automated_process_id(sf)
    # second-precision stamps (settings.stamp_precision): the two saves may share a second
    assert found["CreatedDate"] <= found["LastModifiedDate"] == found["SystemModstamp"]
    runs = requests.get(f"{sandbox.url}/_sandbox/automation/runs", timeout=30).json()["runs"]
    assert runs[-1]["timing"] == "after_save" and runs[-1]["fields"] == {"Phone": "(555) 123-4567"}


def test_automated_process_waits_for_its_delay(sf, sandbox) -> None:
    sandbox.settings(automation_delay_s=0.4)
    rules(sandbox, {**STATE, "run_as": "automated_process"})
    rid = sf.Contact.create({"LastName": "Ng"})["id"]
    sf.Contact.update(rid, {"MailingState": "wa"})
    assert row(sf, "Contact", rid, "MailingState")["MailingState"] == "wa"
    assert requests.get(f"{sandbox.url}/_sandbox/automation", timeout=30).json()["pending"] == 1
    time.sleep(0.8)
    found = row(sf, "Contact", rid, "MailingState")
    assert found["MailingState"] == "WA" and found["LastModifiedById"] == automated_process_id(sf)


def test_rolled_back_save_enrols_nothing(sf, sandbox) -> None:
    rules(sandbox, {**PHONE, "run_as": "automated_process"}, {**STATE, "name": "before", "on": "save"})
    records = [{"attributes": {"type": "Contact"}, "LastName": "ok", "Phone": "5551234567", "MailingState": "ca"},
               {"attributes": {"type": "Contact"}, "LastName": "bad", "Email": "nope"}]  # fmt: skip
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert not any(r["success"] for r in results)
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 0
    assert sf.query("SELECT COUNT() FROM User WHERE UserType = 'AutomatedProcess'")["totalSize"] == 0


def test_before_save_runs_before_validation(sf, sandbox) -> None:
    """A rule's value meets the org's validation rules (the default: a Lead phone of at least 7 characters)."""
    rules(sandbox, {"name": "short", "object": "Lead", "action": "set", "field": "Phone", "value": "12"})
    result = sf.restful("composite/sobjects", method="POST",
                        json={"records": [{"attributes": {"type": "Lead"}, "LastName": "A", "Company": "X"}]})  # fmt: skip
    assert result[0]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"


def test_ui_edit_is_stamped_with_the_ui_user(sf, sandbox) -> None:
    rules(sandbox, STATE)
    rid = sf.Contact.create({"LastName": "Ng"})["id"]
    sandbox.admin("salesforce/edit", {"object": "Contact", "id": rid, "fields": {"MailingState": "tx"}})
    found = row(sf, "Contact", rid, "MailingState")
    assert found["MailingState"] == "TX" and one_save(found, UI_USER_ID)


SOAP = """<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com" xmlns:urn1="urn:sobject.partner.soap.sforce.com">
  <soapenv:Header><urn:SessionHeader><urn:sessionId>sandbox-token</urn:sessionId></urn:SessionHeader></soapenv:Header>
  <soapenv:Body><urn:merge><urn:request>
    <urn:masterRecord><urn1:type>Contact</urn1:type><urn1:Id>{master}</urn1:Id>{fields}</urn:masterRecord>
    <urn:recordToMergeIds>{loser}</urn:recordToMergeIds>
  </urn:request></urn:merge></soapenv:Body>
</soapenv:Envelope>"""


def test_soap_merge_and_lead_conversion_save_through_the_rules(sf, sandbox) -> None:
    rules(sandbox, {**STATE, "on": "save"}, PHONE)
    keep = sf.Contact.create({"LastName": "Keep"})["id"]
    gone = sf.Contact.create({"LastName": "Gone"})["id"]
    body = SOAP.format(master=keep, loser=gone, fields="<MailingState>or</MailingState>")
    answer = sf.session.post(f"https://{sf.sf_instance}/services/Soap/u/59.0", data=body.encode(),
                             headers={"Content-Type": "text/xml", "SOAPAction": '""'}, timeout=30)  # fmt: skip
    assert answer.status_code == 200 and "<success>true</success>" in answer.text, answer.text
    found = row(sf, "Contact", keep, "MailingState")
    assert found["MailingState"] == "OR" and one_save(found)
    lead = sf.Lead.create({"LastName": "Lee", "Company": "Acme", "Phone": "555 222 3333"})["id"]
    converted = sandbox.admin("salesforce/convert-lead", {"lead_id": lead})
    contact = row(sf, "Contact", converted["contact_id"], "Phone")
    assert contact["Phone"] == "(555) 222-3333" and one_save(contact, UI_USER_ID)


def test_admin_api_lists_replaces_and_clears(sf, sandbox) -> None:
    assert rules(sandbox, PHONE)["rules"][0]["run_as"] == "integration_user"
    listed = rules(sandbox, STATE, method="POST")
    assert [r["name"] for r in listed["rules"]] == ["format_phone", "upper_state"]
    assert [r["name"] for r in rules(sandbox, {**STATE, "field": "MailingCity"}, method="POST")["rules"]] == [
        "format_phone", "upper_state"]  # same name: replaced  # fmt: skip
    assert rules(sandbox, method="DELETE") == {"presets": [], "rules": [], "pending": 0}
    bad = requests.put(f"{sandbox.url}/_sandbox/automation", json=[{**PHONE, "field": "Nope__c"}], timeout=30)
    assert bad.status_code == 400 and "Nope__c" in bad.text
    bad = requests.post(f"{sandbox.url}/_sandbox/automation", json={**PHONE, "action": "explode"}, timeout=30)
    assert bad.status_code == 400
    rid = sf.Contact.create({"LastName": "Ng", "Phone": "5551234567"})["id"]
    assert row(sf, "Contact", rid, "Phone")["Phone"] == "5551234567"  # cleared: no rule ran


def test_rules_through_settings_and_presets(sf, sandbox) -> None:
    sandbox.settings(automation_rules=[STATE])
    assert [r["name"] for r in rules(sandbox, method="GET")["rules"]] == ["upper_state"]
    answer = requests.post(f"{sandbox.url}/_sandbox/automation/presets/case_flip", timeout=30).json()
    assert answer["presets"] == ["case_flip"]
    assert {r["object"] for r in answer["rules"] if r["name"].startswith("case_flip")} == {"Contact", "Lead"}
    rid = sf.Contact.create({"LastName": "smith"})["id"]
    assert row(sf, "Contact", rid, "LastName")["LastName"] == "SMITH"
    bad = requests.post(f"{sandbox.url}/_sandbox/settings", json={"automation_presets": ["nope"]}, timeout=30)
    assert bad.status_code == 400
