"""Lead assignment rules: an active rule reassigns OwnerId on REST creates and updates unless the request
sends `Sforce-Auto-Assign: FALSE` (REST API Developer Guide, "Assignment Rule Header"); the rules are read
as AssignmentRule rows."""

from __future__ import annotations

import time

import pytest

NO_RULES = {"Sforce-Auto-Assign": "FALSE"}


@pytest.fixture
def rule(sandbox) -> str:
    sandbox.settings(assignment_rules=[{"name": "Lead Routing", "assign_to": "srive",
                                        "condition": "Company != 'Keep Inc'"}])  # fmt: skip
    return next(r["Id"] for r in sandbox.emulator.store.table("User").values() if r["Alias"] == "srive")


def owner(sf, lead_id: str) -> str:
    return sf.Lead.get(lead_id)["OwnerId"]


def test_active_rule_reassigns_rest_creates_and_updates_without_the_header(sf, sandbox, rule) -> None:
    api_user = sandbox.emulator.api_user_id
    assigned = sf.Lead.create({"LastName": "A", "Company": "Acme"})["id"]
    assert owner(sf, assigned) == rule
    assert sf.Lead.get(assigned)["LastModifiedById"] == api_user  # still the integration user's save
    kept = sf.Lead.create({"LastName": "B", "Company": "Acme"}, headers=NO_RULES)["id"]
    assert owner(sf, kept) == api_user
    sf.Lead.update(kept, {"Title": "VP"}, headers=NO_RULES)
    assert owner(sf, kept) == api_user
    sf.Lead.update(kept, {"Title": "CEO"})  # an update without the header runs the rule too
    assert owner(sf, kept) == rule
    outside = sf.Lead.create({"LastName": "C", "Company": "Keep Inc"})["id"]  # the entry criteria
    assert owner(sf, outside) == api_user
    assert sf.Contact.get(sf.Contact.create({"LastName": "x"})["id"])["OwnerId"] == api_user


def test_collections_and_composite_honour_the_header(sf, sandbox, rule) -> None:
    api_user = sandbox.emulator.api_user_id
    body = {
        "allOrNone": False,
        "records": [{"attributes": {"type": "Lead"}, "LastName": "A", "Company": "Acme"}],
    }
    created = sf.restful("composite/sobjects", method="POST", json=body, headers=NO_RULES)
    assert owner(sf, created[0]["id"]) == api_user
    created = sf.restful("composite/sobjects", method="POST", json=body)
    assert owner(sf, created[0]["id"]) == rule
    sub = {"compositeRequest": [{"method": "POST", "url": "/services/data/v59.0/sobjects/Lead",
                                 "referenceId": "l1", "body": {"LastName": "D", "Company": "Acme"}}]}  # fmt: skip
    answer = sf.restful("composite", method="POST", json=sub, headers=NO_RULES)
    assert owner(sf, answer["compositeResponse"][0]["body"]["id"]) == api_user


def test_rules_read_as_assignment_rule_rows_and_a_rule_id_in_the_header(sf, sandbox, rule) -> None:
    rows = sf.query("SELECT Id, Name, SobjectType, Active FROM AssignmentRule WHERE Active = true")["records"]
    assert [(r["Name"], r["SobjectType"]) for r in rows] == [("Lead Routing", "Lead")]
    sandbox.settings(assignment_rules=[{"name": "Lead Routing", "assign_to": "srive", "active": False}])
    assert sf.query("SELECT COUNT() FROM AssignmentRule WHERE Active = true")["totalSize"] == 0
    plain = sf.Lead.create({"LastName": "A", "Company": "Acme"})["id"]
    assert owner(sf, plain) == sandbox.emulator.api_user_id  # no active rule
    named = sf.Lead.create(
        {"LastName": "B", "Company": "Acme"}, headers={"Sforce-Auto-Assign": rows[0]["Id"]}
    )
    assert owner(sf, named["id"]) == rule  # a rule named by id runs even when inactive


def test_bulk_ingest_runs_no_rule_and_ui_edits_none(sf, sandbox, rule) -> None:
    client = sf.bulk2.Lead._client
    job = client.create_job("insert")
    client.upload_job_data(job["id"], "LastName,Company\nBulk,Acme\n")
    client.close_job(job["id"])
    for _ in range(200):
        if client.get_job(job["id"], is_query=False)["state"] in ("JobComplete", "Failed"):
            break
        time.sleep(0.02)
    lead = sf.query("SELECT Id, OwnerId FROM Lead WHERE LastName = 'Bulk'")["records"][0]
    assert lead["OwnerId"] == sandbox.emulator.api_user_id
    sandbox.admin("salesforce/edit", {"object": "Lead", "id": lead["Id"], "fields": {"Title": "x"}})
    assert owner(sf, lead["Id"]) == sandbox.emulator.api_user_id


def bulk_insert(sf, body: dict, csv_text: str) -> dict:
    """A Bulk 2.0 insert job created with `body` (simple-salesforce's create_job cannot name a rule)."""
    job = sf.restful("jobs/ingest", method="POST", json={"object": "Lead", "operation": "insert",
                                                         "contentType": "CSV", "lineEnding": "LF", **body})  # fmt: skip
    client = sf.bulk2.Lead._client
    client.upload_job_data(job["id"], csv_text)
    client.close_job(job["id"])
    for _ in range(200):
        info = client.get_job(job["id"], is_query=False)
        if info["state"] in ("JobComplete", "Failed"):
            return info
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


def test_bulk_job_naming_a_rule_runs_it_on_each_row(sf, sandbox, rule) -> None:
    """Bulk API 2.0 "Create a Job": `assignmentRuleId` runs that rule (active or not) for the job's Leads."""
    rule_id = sf.query("SELECT Id FROM AssignmentRule WHERE SobjectType = 'Lead'")["records"][0]["Id"]
    info = bulk_insert(sf, {"assignmentRuleId": rule_id}, "LastName,Company\nRouted,Acme\nKept,Keep Inc\n")
    assert info["state"] == "JobComplete" and info["assignmentRuleId"] == rule_id
    owners = {r["LastName"]: r["OwnerId"] for r in sf.query("SELECT LastName, OwnerId FROM Lead WHERE "
                                                             "LastName IN ('Routed', 'Kept')")["records"]}  # fmt: skip
    assert owners == {"Routed": rule, "Kept": sandbox.emulator.api_user_id}  # the rule's entry criteria
    sandbox.settings(assignment_rules=[{"name": "Lead Routing", "assign_to": "srive", "active": False}])
    bulk_insert(sf, {"assignmentRuleId": rule_id}, "LastName,Company\nInactive,Acme\n")
    lead = sf.query("SELECT OwnerId FROM Lead WHERE LastName = 'Inactive'")["records"][0]
    assert lead["OwnerId"] == rule  # named by id, an inactive rule runs too (as the REST header)
    plain = bulk_insert(sf, {}, "LastName,Company\nPlain,Acme\n")
    assert "assignmentRuleId" not in plain  # shown only when the job names a rule
    with pytest.raises(Exception, match="INVALIDJOB"):
        bulk_insert(sf, {"assignmentRuleId": "not an id"}, "LastName,Company\nX,Acme\n")
