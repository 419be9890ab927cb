"""Associations v4: single and batch calls, labels, both directions, archive effects."""

from __future__ import annotations

from hs_sandbox import Sandbox
from hubspot.crm.associations.v4 import AssociationSpec, BatchInputPublicFetchAssociationsBatchRequest


def test_put_labelled_primary_and_read_both_directions(sandbox: Sandbox) -> None:
    company, contact = sandbox.create("companies", name="Acme"), sandbox.contact(email="a@x.com")
    v4 = sandbox.client.crm.associations.v4.basic_api
    pair = v4.create(
        "contacts",
        contact,
        "companies",
        company,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
    )
    assert (
        pair.from_object_type_id == "0-1" and pair.to_object_type_id == "0-2" and pair.labels == ["Primary"]
    )
    forward = v4.get_page("contacts", contact, "companies")
    assert forward.results[0].to_object_id == company
    assert sorted(t.type_id for t in forward.results[0].association_types) == [1, 279]
    backward = sandbox.api("GET", f"/crm/v4/objects/companies/{company}/associations/contacts").json()
    assert backward["results"][0]["toObjectId"] == int(contact)
    assert sorted(t["typeId"] for t in backward["results"][0]["associationTypes"]) == [2, 280]


def test_default_association_and_delete(sandbox: Sandbox) -> None:
    deal, contact = sandbox.create("deals", dealname="D"), sandbox.contact(email="b@x.com")
    answer = sandbox.client.crm.associations.v4.basic_api.create_default("deals", deal, "contacts", contact)
    assert answer.results[0].association_spec.association_type_id == 3
    reverse = sandbox.api("GET", f"/crm/v4/objects/contacts/{contact}/associations/deals").json()["results"]
    assert reverse[0]["associationTypes"][0]["typeId"] == 4
    sandbox.client.crm.associations.v4.basic_api.archive("contacts", contact, "deals", deal)
    assert sandbox.api("GET", f"/crm/v4/objects/deals/{deal}/associations/contacts").json()["results"] == []


def test_primary_company_moves(sandbox: Sandbox) -> None:
    deal = sandbox.create("deals", dealname="D")
    first, second = sandbox.create("companies", name="A"), sandbox.create("companies", name="B")
    primary = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]
    sandbox.api("PUT", f"/crm/v4/objects/deals/{deal}/associations/companies/{first}", primary)
    sandbox.api("PUT", f"/crm/v4/objects/deals/{deal}/associations/companies/{second}", primary)
    types = {
        r["toObjectId"]: sorted(t["typeId"] for t in r["associationTypes"])
        for r in sandbox.api("GET", f"/crm/v4/objects/deals/{deal}/associations/companies").json()["results"]
    }
    assert types == {int(first): [341], int(second): [5, 341]}


def test_batch_create_read_archive(sandbox: Sandbox) -> None:
    company = sandbox.create("companies", name="Acme")
    contacts = [sandbox.contact(email=f"c{i}@x.com") for i in range(3)]
    created = sandbox.api(
        "POST",
        "/crm/v4/associations/contacts/companies/batch/create",
        {
            "inputs": [
                {
                    "from": {"id": c},
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
                for c in contacts
            ]
        },
    )
    assert created.status_code == 201 and len(created.json()["results"]) == 3
    partial = sandbox.api(
        "POST",
        "/crm/v4/associations/contacts/companies/batch/create",
        {
            "inputs": [
                {
                    "from": {"id": "999"},
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ]
        },
    )
    assert partial.status_code == 207
    read = sandbox.client.crm.associations.v4.batch_api.get_page(
        "companies",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": company}, {"id": "12345"}]),
    )
    assert sorted(t.to_object_id for t in read.results[0].to) == sorted(contacts)
    assert read.num_errors == 1
    sandbox.api(
        "POST",
        "/crm/v4/associations/companies/contacts/batch/archive",
        {"inputs": [{"from": {"id": company}, "to": [{"id": contacts[0]}]}]},
    )
    left = sandbox.api("GET", f"/crm/v4/objects/companies/{company}/associations/contacts").json()["results"]
    assert sorted(str(r["toObjectId"]) for r in left) == sorted(contacts[1:])
    too_many = sandbox.api(
        "POST",
        "/crm/v4/associations/companies/contacts/batch/read",
        {"inputs": [{"id": str(i)} for i in range(1001)]},
    )
    assert too_many.status_code == 400


def test_batch_default_and_labels(sandbox: Sandbox) -> None:
    task, contact = sandbox.create("tasks", hs_task_subject="Call"), sandbox.contact(email="t@x.com")
    answer = sandbox.api(
        "POST",
        "/crm/v4/associations/tasks/contacts/batch/associate/default",
        {"inputs": [{"from": {"id": task}, "to": {"id": contact}}]},
    )
    assert (
        answer.status_code == 200
        and answer.json()["results"][0]["associationSpec"]["associationTypeId"] == 204
    )
    labels = sandbox.api("GET", "/crm/v4/associations/deals/companies/labels").json()["results"]
    assert {(r["typeId"], r["label"]) for r in labels} == {(341, None), (5, "Primary")}


def test_archiving_a_record_drops_its_associations(sandbox: Sandbox) -> None:
    company, contact = sandbox.create("companies", name="A"), sandbox.contact(email="x@x.com")
    sandbox.api("PUT", f"/crm/v4/objects/contacts/{contact}/associations/default/companies/{company}")
    sandbox.api("DELETE", f"/crm/v3/objects/contacts/{contact}")
    assert (
        sandbox.api("GET", f"/crm/v4/objects/companies/{company}/associations/contacts").json()["results"]
        == []
    )


def test_paging_associations(sandbox: Sandbox) -> None:
    company = sandbox.create("companies", name="Big")
    inputs = [{"properties": {"email": f"p{i}@x.com"}} for i in range(5)]
    ids = [
        r["id"]
        for r in sandbox.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs}).json()[
            "results"
        ]
    ]
    sandbox.api(
        "POST",
        "/crm/v4/associations/companies/contacts/batch/associate/default",
        {"inputs": [{"from": {"id": company}, "to": {"id": i}} for i in ids]},
    )
    first = sandbox.api("GET", f"/crm/v4/objects/companies/{company}/associations/contacts", limit=3).json()
    second = sandbox.api(
        "GET",
        f"/crm/v4/objects/companies/{company}/associations/contacts",
        limit=3,
        after=first["paging"]["next"]["after"],
    ).json()
    assert len(first["results"]) == 3 and len(second["results"]) == 2 and "paging" not in second
