"""Single-record CRUD, idProperty lookups, paging, archived visibility and property history."""

from __future__ import annotations

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import NotFoundException as ContactNotFound
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate


def test_create_get_update_archive_contact(sandbox: Sandbox) -> None:
    api = sandbox.client.crm.contacts.basic_api
    created = api.create(
        SimplePublicObjectInputForCreate(properties={"email": "ada@x.com", "firstname": "Ada"})
    )
    assert created.id.isdigit() and created.properties["firstname"] == "Ada"
    assert created.properties["createdate"] == created.properties["lastmodifieddate"]

    fetched = api.get_by_id(created.id)
    assert set(fetched.properties) == {
        "firstname",
        "lastname",
        "email",
        "lastmodifieddate",
        "hs_object_id",
        "createdate",
    }
    assert fetched.properties["lastname"] is None

    updated = api.update(
        created.id, SimplePublicObjectInput(properties={"lastname": "Lovelace", "firstname": ""})
    )
    assert updated.updated_at > created.updated_at
    again = api.get_by_id(created.id, properties=["firstname", "lastname"])
    assert again.properties["firstname"] is None and again.properties["lastname"] == "Lovelace"

    api.archive(created.id)
    with pytest.raises(ContactNotFound):
        api.get_by_id(created.id)
    archived = api.get_by_id(created.id, archived=True)
    assert archived.archived is True and archived.archived_at is not None


def test_get_and_update_by_email_id_property(sandbox: Sandbox) -> None:
    contact_id = sandbox.contact(email="Grace@Example.com", firstname="Grace")
    api = sandbox.client.crm.contacts.basic_api
    assert api.get_by_id("grace@example.com", id_property="email").id == contact_id
    api.update(
        "GRACE@example.com", SimplePublicObjectInput(properties={"jobtitle": "Admiral"}), id_property="email"
    )
    assert api.get_by_id(contact_id, properties=["jobtitle"]).properties["jobtitle"] == "Admiral"
    with pytest.raises(ContactsApiException) as info:
        api.get_by_id("Grace", id_property="firstname")
    assert info.value.status == 400


def test_get_by_custom_unique_property(sandbox: Sandbox) -> None:
    company = sandbox.client.crm.companies.basic_api.create(
        CompanyCreate(properties={"name": "Acme", "crmsync_salesforce_id": "001ABC"})
    )
    found = sandbox.client.crm.companies.basic_api.get_by_id("001ABC", id_property="crmsync_salesforce_id")
    assert found.id == company.id


def test_paths_accept_type_ids_and_singular_names(sandbox: Sandbox) -> None:
    contact_id = sandbox.contact(email="p@x.com")
    for name in ("contacts", "contact", "0-1", "CONTACTS"):
        assert sandbox.api("GET", f"/crm/v3/objects/{name}/{contact_id}").status_code == 200
    response = sandbox.api("GET", "/crm/v3/objects/widgets/1")
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_get_all_pages_through_250_records(sandbox: Sandbox) -> None:
    batch = sandbox.client.crm.contacts.batch_api
    for start in range(0, 250, 100):
        inputs = [{"properties": {"email": f"p{i}@x.com"}} for i in range(start, min(start + 100, 250))]
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    everyone = sandbox.client.crm.contacts.get_all(properties=["email"])
    assert len(everyone) == 250
    assert len({c.id for c in everyone}) == 250
    page = sandbox.client.crm.contacts.basic_api.get_page(limit=100)
    assert len(page.results) == 100 and page.paging.next.after and page.paging.next.link.startswith("http")


def test_array_params_repeated_or_comma_separated_and_bool_case(sandbox: Sandbox) -> None:
    contact_id = sandbox.contact(email="q@x.com", firstname="Q", city="Oslo")
    comma = sandbox.api("GET", f"/crm/v3/objects/contacts/{contact_id}", properties="firstname,city").json()
    assert comma["properties"]["city"] == "Oslo" and "email" not in comma["properties"]
    sandbox.api("DELETE", f"/crm/v3/objects/contacts/{contact_id}")
    listing = sandbox.api("GET", "/crm/v3/objects/contacts", archived="True").json()
    assert [r["id"] for r in listing["results"]] == [contact_id]
    assert sandbox.api("GET", "/crm/v3/objects/contacts", archived="false").json()["results"] == []


def test_archive_missing_record_is_404(sandbox: Sandbox) -> None:
    assert sandbox.api("DELETE", "/crm/v3/objects/contacts/999999").status_code == 404


def test_values_are_strings_and_json_numbers_accepted(sandbox: Sandbox) -> None:
    created = sandbox.client.crm.deals.basic_api.create(
        DealCreate(
            properties={
                "dealname": "Big",
                "amount": 1500,
                "pipeline": "default",
                "dealstage": "qualifiedtobuy",
            }
        )
    )
    raw = sandbox.api("GET", f"/crm/v3/objects/deals/{created.id}").json()
    assert raw["properties"]["amount"] == "1500"
    assert raw["properties"]["pipeline"] == "default"


def test_history_newest_first_with_source_types(sandbox: Sandbox) -> None:
    contact_id = sandbox.contact(email="h@x.com", firstname="One")
    api = sandbox.client.crm.contacts.basic_api
    api.update(contact_id, SimplePublicObjectInput(properties={"firstname": "Two"}))
    response = sandbox.admin(
        "POST", f"/objects/contacts/{contact_id}/edit", {"properties": {"firstname": "Three"}}
    )
    assert response.status_code == 200
    history = api.get_by_id(contact_id, properties_with_history=["firstname"]).properties_with_history[
        "firstname"
    ]
    assert [h.value for h in history] == ["Three", "Two", "One"]
    assert [h.source_type for h in history] == ["CRM_UI", "INTEGRATION", "INTEGRATION"]
    assert history[0].source_id


def test_unchanged_update_keeps_last_modified(sandbox: Sandbox) -> None:
    contact_id = sandbox.contact(email="same@x.com", firstname="Same")
    api = sandbox.client.crm.contacts.basic_api
    before = api.get_by_id(contact_id).updated_at
    api.update(contact_id, SimplePublicObjectInput(properties={"firstname": "Same"}))
    assert api.get_by_id(contact_id).updated_at == before


def test_create_with_associations_and_v3_embedding(sandbox: Sandbox) -> None:
    company_id = sandbox.create("companies", name="Acme")
    body = {
        "properties": {"email": "e@acme.com"},
        "associations": [
            {
                "to": {"id": company_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
    }
    contact_id = sandbox.api("POST", "/crm/v3/objects/contacts", body).json()["id"]
    got = sandbox.client.crm.contacts.basic_api.get_by_id(contact_id, associations=["companies"])
    types = sorted(a.type for a in got.associations["companies"].results)
    assert types == ["contact_to_company", "contact_to_company_unlabeled"]
    page = sandbox.client.crm.companies.basic_api.get_page(associations=["contacts"])
    assert {a.id for a in page.results[0].associations["contacts"].results} == {contact_id}
