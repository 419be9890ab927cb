"""Batch read/create/update/upsert/archive, 207 partial answers, the 100-input cap, injected failures."""

from __future__ import annotations

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)
from hubspot.crm.objects import BatchReadInputSimplePublicObjectId as ObjectsBatchRead


def create_contacts(sandbox: Sandbox, count: int, prefix: str = "c") -> list[str]:
    """The new contacts' ids in input order (results come in no particular order: matched by email)."""
    inputs = [{"properties": {"email": f"{prefix}{i}@x.com", "firstname": f"F{i}"}} for i in range(count)]
    answer = sandbox.client.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )
    by_email = {r.properties["email"]: r.id for r in answer.results}
    return [by_email[i["properties"]["email"]] for i in inputs]


def test_batch_create_returns_201_body(sandbox: Sandbox) -> None:
    response = sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {"inputs": [{"properties": {"email": "a@x.com"}}, {"properties": {"email": "b@x.com"}}]},
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["status"] == "COMPLETE"
        and len(body["results"]) == 2
        and body["startedAt"] <= body["completedAt"]
    )


def test_batch_read_by_id_and_by_email_with_missing_is_207(sandbox: Sandbox) -> None:
    ids = create_contacts(sandbox, 3)
    batch = sandbox.client.crm.contacts.batch_api
    answer = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": i} for i in [*ids, "424242"]], properties=["email"], properties_with_history=[]
        )
    )
    assert answer.num_errors == 1 and answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context == {"ids": ["424242"]}
    assert sorted(r.id for r in answer.results) == sorted(ids)
    by_email = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "C1@x.com"}], id_property="email", properties=["email"], properties_with_history=[]
        )
    )
    assert [r.id for r in by_email.results] == [ids[1]] and not getattr(by_email, "errors", None)


def test_generic_objects_batch_read_archived(sandbox: Sandbox) -> None:
    ids = create_contacts(sandbox, 2)
    sandbox.api("DELETE", f"/crm/v3/objects/contacts/{ids[0]}")
    answer = sandbox.client.crm.objects.batch_api.read(
        "contacts",
        ObjectsBatchRead(inputs=[{"id": ids[0]}], properties=[], properties_with_history=[]),
        archived=True,
    )
    assert [r.id for r in answer.results] == [ids[0]] and answer.results[0].archived


def test_batch_update_and_missing_ids(sandbox: Sandbox) -> None:
    ids = create_contacts(sandbox, 2)
    batch = sandbox.client.crm.contacts.batch_api
    answer = batch.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": ids[0], "properties": {"lastname": "Zed"}},
                {"id": "999", "properties": {"lastname": "Nope"}},
            ]
        )
    )
    assert answer.num_errors == 1 and [r.id for r in answer.results] == [ids[0]]
    full = batch.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": "c1@x.com", "idProperty": "email", "properties": {"lastname": "Why"}}]
        )
    )
    assert full.results[0].properties["lastname"] == "Why"


def test_upsert_by_email_marks_new(sandbox: Sandbox) -> None:
    ids = create_contacts(sandbox, 1)
    answer = sandbox.client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {"id": "C0@X.com", "idProperty": "email", "properties": {"lastname": "Old"}},
                {"id": "new@x.com", "idProperty": "email", "properties": {"lastname": "New"}},
            ]
        )
    )
    by_new = {r.new: r for r in answer.results}
    assert by_new[False].id == ids[0]
    assert by_new[True].properties["email"] == "new@x.com"


def test_upsert_by_unique_property(sandbox: Sandbox) -> None:
    body = {
        "inputs": [{"id": "006A", "idProperty": "crmsync_salesforce_id", "properties": {"dealname": "A"}}]
    }
    first = sandbox.api("POST", "/crm/v3/objects/deals/batch/upsert", body).json()
    body["inputs"][0]["properties"]["dealname"] = "A2"
    second = sandbox.api("POST", "/crm/v3/objects/deals/batch/upsert", body).json()
    assert first["results"][0]["new"] is True and second["results"][0]["new"] is False
    assert first["results"][0]["id"] == second["results"][0]["id"]
    assert second["results"][0]["properties"]["dealname"] == "A2"
    bad = sandbox.api(
        "POST",
        "/crm/v3/objects/deals/batch/upsert",
        {"inputs": [{"id": "x", "idProperty": "dealname", "properties": {}}]},
    )
    assert bad.status_code == 400


def test_batch_archive_is_204_and_hides_records(sandbox: Sandbox) -> None:
    ids = create_contacts(sandbox, 2)
    sandbox.client.crm.contacts.batch_api.archive(
        BatchInputSimplePublicObjectId(inputs=[{"id": ids[0]}, {"id": "77"}])
    )
    assert sandbox.api("GET", f"/crm/v3/objects/contacts/{ids[0]}").status_code == 404
    assert sandbox.api("GET", f"/crm/v3/objects/contacts/{ids[1]}").status_code == 200


@pytest.mark.parametrize("endpoint", ["create", "read", "update", "upsert", "archive"])
def test_more_than_100_inputs_is_400(sandbox: Sandbox, endpoint: str) -> None:
    inputs = [
        {"id": str(i), "idProperty": "email", "properties": {"email": f"{i}@x.com"}} for i in range(101)
    ]
    response = sandbox.api("POST", f"/crm/v3/objects/contacts/batch/{endpoint}", {"inputs": inputs})
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_one_invalid_property_fails_the_whole_batch(sandbox: Sandbox) -> None:
    with pytest.raises(ApiException) as info:
        sandbox.client.crm.contacts.batch_api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[
                    {"properties": {"email": "ok@x.com"}},
                    {"properties": {"email": "bad", "nosuch": "1"}},
                ]
            )
        )
    assert info.value.status == 400
    assert sandbox.api("GET", "/crm/v3/objects/contacts").json()["results"] == []


def test_duplicate_email_inside_batch_create_is_refused(sandbox: Sandbox) -> None:
    response = sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {"inputs": [{"properties": {"email": "d@x.com"}}, {"properties": {"email": "D@x.com "}}]},
    )
    assert response.status_code == 400


def test_injected_per_record_failures_give_207(sandbox: Sandbox) -> None:
    sandbox.faults(record_failure_rate=0.5, seed=7)
    response = sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {"inputs": [{"properties": {"email": f"f{i}@x.com"}} for i in range(40)]},
    )
    body = response.json()
    assert response.status_code == 207
    assert 0 < body["numErrors"] < 40 and len(body["results"]) + body["numErrors"] == 40
    assert body["errors"][0]["status"] == "error" and body["errors"][0]["category"] == "INTERNAL_ERROR"
    sandbox.faults(record_failure_rate=0.0)
    listed = sandbox.client.crm.contacts.get_all()
    assert len(listed) == len(body["results"])
