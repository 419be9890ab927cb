"""HubSpot workflows in the sandbox: enrolled by any write, run after it as a write of their own, stamped in
property history as the automation platform; set through the admin API and settings."""

from __future__ import annotations

import time
from typing import Any

import requests
from hs_sandbox import Sandbox
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicMergeInput,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

PHONE = {"name": "format_phone", "object": "contacts", "when_changed": "phone", "action": "format_phone",
         "field": "phone"}  # fmt: skip
STATE = {
    "name": "upper_state",
    "object": "contacts",
    "on": "update",
    "action": "upper_case",
    "field": "state",
}


def rules(sandbox: Sandbox, *items: dict[str, Any], method: str = "PUT") -> dict[str, Any]:
    response = requests.request(method, f"{sandbox.url}/_sandbox/automation", json=list(items), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def runs(sandbox: Sandbox) -> list[dict[str, Any]]:
    return requests.get(f"{sandbox.url}/_sandbox/automation/runs", timeout=10).json()["runs"]


def read(sandbox: Sandbox, contact_id: str, prop: str) -> Any:
    return sandbox.client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=[prop, "createdate", "lastmodifieddate"], properties_with_history=[prop]
    )


def assert_workflow_write(got: Any, prop: str, value: str, enrollment: dict[str, Any]) -> None:
    """The newest history entry is the workflow's, later than the save before it, and the record's stamp."""
    newest, *earlier = got.properties_with_history[prop]
    assert got.properties[prop] == value and newest.value == value
    assert newest.source_type == "AUTOMATION_PLATFORM"
    assert newest.source_id == f"enrollmentId:{enrollment['enrollment_id']};actionExecutionIndex:0"
    assert newest.timestamp > (earlier[0].timestamp if earlier else got.created_at)
    assert got.properties["lastmodifieddate"] == newest.timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert got.updated_at == newest.timestamp


def test_format_phone_runs_after_the_create(sandbox: Sandbox) -> None:
    rules(sandbox, PHONE)
    created = sandbox.client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "a@x.com", "phone": "555-123-4567"})
    )
    assert created.properties["phone"] == "555-123-4567"  # the answer predates the workflow
    got = read(sandbox, created.id, "phone")
    [run] = runs(sandbox)
    assert run["rule"] == "format_phone" and run["value"] == "(555) 123-4567"
    assert_workflow_write(got, "phone", "(555) 123-4567", run)
    assert got.properties_with_history["phone"][1].source_type == "INTEGRATION"
    assert got.created_at < got.updated_at


def test_upper_case_on_batch_update(sandbox: Sandbox) -> None:
    rules(sandbox, STATE)
    ids = [sandbox.contact(email=f"c{i}@x.com", state="ca") for i in range(2)]
    assert runs(sandbox) == []  # on: update
    sandbox.client.crm.contacts.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(inputs=[{"id": i, "properties": {"state": "or"}} for i in ids])
    )
    log = runs(sandbox)
    for contact_id, run in zip(ids, log, strict=True):
        assert_workflow_write(read(sandbox, contact_id, "state"), "state", "OR", run)


def test_copy_on_batch_upsert(sandbox: Sandbox) -> None:
    rules(sandbox, {"name": "title_to_city", "object": "contacts", "action": "copy", "from_field": "jobtitle",
                    "field": "city"})  # fmt: skip
    existing = sandbox.contact(email="old@x.com")
    answer = sandbox.client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
            {"id": "old@x.com", "idProperty": "email", "properties": {"jobtitle": "CTO"}},
            {"id": "new@x.com", "idProperty": "email", "properties": {"jobtitle": "CEO"}},
        ])
    )  # fmt: skip
    new = {r.id: r.new for r in answer.results}  # results come in no particular order
    assert new.pop(existing) is False and list(new.values()) == [True]
    ids = {"old@x.com": existing, "new@x.com": next(iter(new))}
    for email, title in (("old@x.com", "CTO"), ("new@x.com", "CEO")):
        run = next(r for r in runs(sandbox) if r["id"] == ids[email] and r.get("value"))
        assert_workflow_write(read(sandbox, ids[email], "city"), "city", title, run)


def test_set_when_a_property_changes(sandbox: Sandbox) -> None:
    rules(sandbox, {"name": "stage_note", "object": "contacts", "on": "update", "when_changed": "lifecyclestage",
                    "action": "set", "field": "hs_lead_status", "value": "IN_PROGRESS"})  # fmt: skip
    contact_id = sandbox.contact(email="a@x.com", lifecyclestage="lead")
    api = sandbox.client.crm.contacts.basic_api
    api.update(contact_id, SimplePublicObjectInput(properties={"firstname": "Ann"}))
    assert read(sandbox, contact_id, "hs_lead_status").properties["hs_lead_status"] is None
    api.update(contact_id, SimplePublicObjectInput(properties={"lifecyclestage": "opportunity"}))
    got = read(sandbox, contact_id, "hs_lead_status")
    [run] = runs(sandbox)
    [entry] = got.properties_with_history["hs_lead_status"]
    assert got.properties["hs_lead_status"] == entry.value == "IN_PROGRESS"
    assert (entry.source_type, entry.source_id) == (
        "AUTOMATION_PLATFORM", f"enrollmentId:{run['enrollment_id']};actionExecutionIndex:0")  # fmt: skip
    assert got.updated_at == entry.timestamp


def test_merge_and_ui_edits_enrol(sandbox: Sandbox) -> None:
    keep = sandbox.contact(email="keep@x.com")
    gone = sandbox.contact(email="gone@x.com", state="wa")
    rules(sandbox, {**STATE, "on": "save", "when_changed": "state"})
    sandbox.client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    got = read(sandbox, keep, "state")
    assert got.properties["state"] == "WA"
    assert got.properties_with_history["state"][1].source_type == "MERGE"
    edited = sandbox.admin("POST", f"/objects/contacts/{keep}/edit", {"properties": {"state": "id"}})
    assert edited.status_code == 200 and edited.json()["properties"]["state"] == "id"
    history = read(sandbox, keep, "state").properties_with_history["state"]
    assert [(h.value, h.source_type) for h in history[:2]] == [
        ("ID", "AUTOMATION_PLATFORM"),
        ("id", "CRM_UI"),
    ]


def test_source_id_can_name_the_workflow(sandbox: Sandbox) -> None:
    sandbox.settings(workflow_source_id="workflow")
    rules(sandbox, PHONE)
    contact_id = sandbox.contact(email="a@x.com", phone="5551234567")
    [run] = runs(sandbox)
    newest = read(sandbox, contact_id, "phone").properties_with_history["phone"][0]
    assert (
        newest.source_id == f"workflowId:{run['workflow_id']}" and newest.source_type == "AUTOMATION_PLATFORM"
    )


def test_workflow_delay(sandbox: Sandbox) -> None:
    sandbox.settings(workflow_delay_s=0.4)
    rules(sandbox, PHONE)
    contact_id = sandbox.contact(email="a@x.com", phone="5551234567")
    assert read(sandbox, contact_id, "phone").properties["phone"] == "5551234567"
    assert rules(sandbox, method="GET")["pending"] == 1
    time.sleep(0.8)
    assert read(sandbox, contact_id, "phone").properties["phone"] == "(555) 123-4567"


def test_workflow_writes_enrol_no_further_workflows(sandbox: Sandbox) -> None:
    rules(sandbox, {"name": "up", "object": "contacts", "when_changed": "city", "action": "upper_case", "field": "city"},
          {"name": "down", "object": "contacts", "when_changed": "city", "action": "lower_case", "field": "city"})  # fmt: skip
    contact_id = sandbox.contact(email="a@x.com", city="Bend")
    history = read(sandbox, contact_id, "city").properties_with_history["city"]
    assert [h.value for h in history] == ["bend", "BEND", "Bend"]
    assert len(runs(sandbox)) == 2


def test_admin_api_and_settings(sandbox: Sandbox) -> None:
    assert [r["name"] for r in rules(sandbox, PHONE)["rules"]] == ["format_phone"]
    assert [r["name"] for r in rules(sandbox, STATE, method="POST")["rules"]] == [
        "format_phone",
        "upper_state",
    ]
    assert rules(sandbox, method="DELETE")["rules"] == []
    for bad in (
        {**PHONE, "field": "nope"},
        {**PHONE, "run_as": "automated_process"},
        {**PHONE, "object": "x"},
    ):
        answer = requests.put(f"{sandbox.url}/_sandbox/automation", json=[bad], timeout=10)
        assert answer.status_code == 400, bad
    assert sandbox.settings(automation_rules=[STATE])["automation_rules"][0]["name"] == "upper_state"
    answer = requests.post(f"{sandbox.url}/_sandbox/automation/presets/case_flip", timeout=10).json()
    assert [r["name"] for r in answer["rules"]] == ["case_flip_contact_lastname", "upper_state"]
    contact_id = sandbox.contact(email="a@x.com", lastname="Smith")
    assert read(sandbox, contact_id, "lastname").properties["lastname"] == "smith"
