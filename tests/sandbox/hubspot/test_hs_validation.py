"""Write validation with HubSpot's error bodies, the unique-value rules and the lifecycle-stage rule."""

from __future__ import annotations

import json

import pytest
from hs_sandbox import Sandbox, error_items
from hubspot.crm.contacts import ApiException, SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate


def create_error(sandbox: Sandbox, **props: object) -> ApiException:
    with pytest.raises(ApiException) as info:
        sandbox.client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=props))
    return info.value


@pytest.mark.parametrize(
    ("props", "code"),
    [
        ({"nosuch": "x"}, "PROPERTY_DOESNT_EXIST"),
        ({"lifecyclestage": "Lead"}, "INVALID_OPTION"),
        ({"email": "not-an-email"}, "INVALID_EMAIL"),
        ({"hubspot_owner_id": "abc"}, "INVALID_INTEGER"),
        ({"hubspot_owner_id": "123"}, "INVALID_OPTION"),
        ({"num_associated_deals": "3"}, "READ_ONLY_VALUE"),
        ({"createdate": "2024-01-01T00:00:00Z"}, "READ_ONLY_VALUE"),
        ({"hs_object_id": "5"}, "READ_ONLY_VALUE"),
        ({"lastmodifieddate": "2024-01-01T00:00:00Z"}, "READ_ONLY_VALUE"),
        ({"hs_analytics_source": "OFFLINE"}, "READ_ONLY_VALUE"),
        ({"date_of_birth": "yesterday"}, "INVALID_DATE"),
        ({"date_of_birth": "2024-01-01T10:00:00Z"}, "INVALID_DATE"),
    ],
)
def test_invalid_property_values(sandbox: Sandbox, props: dict, code: str) -> None:
    err = (
        create_error(sandbox, email="v@x.com", **props)
        if "email" not in props
        else create_error(sandbox, **props)
    )
    body = json.loads(err.body)
    assert err.status == 400 and body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    items = error_items(err)
    assert [i["error"] for i in items] == [code] and items[0]["name"] == next(iter(props))


def test_invalid_number_and_bad_datetime_on_companies_and_deals(sandbox: Sandbox) -> None:
    bad = sandbox.api("POST", "/crm/v3/objects/companies", {"properties": {"numberofemployees": "lots"}})
    assert bad.status_code == 400 and "INVALID_FLOAT" in bad.json()["message"]
    with pytest.raises(DealsApiException) as info:
        sandbox.client.crm.deals.basic_api.create(DealCreate(properties={"closedate": "31/12/2024"}))
    assert error_items(info.value)[0]["error"] == "INVALID_DATE"


def test_dates_accept_epoch_ms_and_iso(sandbox: Sandbox) -> None:
    deal = sandbox.create("deals", dealname="D", closedate="1704067200000")
    got = sandbox.api("GET", f"/crm/v3/objects/deals/{deal}", properties="closedate").json()
    assert got["properties"]["closedate"] == "2024-01-01T00:00:00.000Z"
    contact = sandbox.contact(email="dob@x.com", date_of_birth="1990-05-17")
    assert (
        sandbox.api("GET", f"/crm/v3/objects/contacts/{contact}", properties="date_of_birth").json()[
            "properties"
        ]["date_of_birth"]
        == "1990-05-17"
    )


def test_dealstage_must_belong_to_the_pipeline(sandbox: Sandbox) -> None:
    bad = sandbox.api("POST", "/crm/v3/objects/deals", {"properties": {"dealname": "x", "dealstage": "nope"}})
    assert bad.status_code == 400 and "dealstage" in bad.json()["message"]
    ok = sandbox.api(
        "POST", "/crm/v3/objects/deals", {"properties": {"dealname": "x", "dealstage": "closedwon"}}
    )
    assert ok.status_code == 201


def test_duplicate_email_is_409_case_insensitive(sandbox: Sandbox) -> None:
    first = sandbox.contact(email="dup@x.com")
    err = create_error(sandbox, email="  DUP@x.com ")
    body = json.loads(err.body)
    assert err.status == 409 and body["category"] == "CONFLICT"
    assert body["message"] == f"Contact already exists. Existing ID: {first}"


def test_duplicate_unique_property_is_400(sandbox: Sandbox) -> None:
    first = sandbox.create("companies", name="A", crmsync_salesforce_id="001X")
    response = sandbox.api(
        "POST", "/crm/v3/objects/companies", {"properties": {"name": "B", "crmsync_salesforce_id": "001X"}}
    )
    assert response.status_code == 400 and "INVALID_UNIQUE_VALUE" in response.json()["message"]
    assert first in response.json()["message"]


def test_lifecycle_backward_is_ignored_by_default(sandbox: Sandbox) -> None:
    contact = sandbox.contact(email="lc@x.com", lifecyclestage="customer")
    api = sandbox.client.crm.contacts.basic_api
    api.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    assert api.get_by_id(contact, properties=["lifecyclestage"]).properties["lifecyclestage"] == "customer"
    api.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": ""}))
    api.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    assert api.get_by_id(contact, properties=["lifecyclestage"]).properties["lifecyclestage"] == "lead"


def test_lifecycle_backward_rejected_when_switched(sandbox: Sandbox) -> None:
    sandbox.settings(lifecycle_backward="reject")
    contact = sandbox.contact(email="lc@x.com", lifecyclestage="opportunity")
    with pytest.raises(ApiException) as info:
        sandbox.client.crm.contacts.basic_api.update(
            contact, SimplePublicObjectInput(properties={"lifecyclestage": "lead"})
        )
    assert info.value.status == 400 and error_items(info.value)[0]["name"] == "lifecyclestage"
    forward = sandbox.api(
        "PATCH", f"/crm/v3/objects/contacts/{contact}", {"properties": {"lifecyclestage": "customer"}}
    )
    assert forward.status_code == 200


def test_ui_edit_may_move_lifecycle_backward(sandbox: Sandbox) -> None:
    sandbox.settings(lifecycle_backward="reject")
    contact = sandbox.contact(email="ui@x.com", lifecyclestage="customer")
    assert (
        sandbox.admin(
            "POST", f"/objects/contacts/{contact}/edit", {"properties": {"lifecyclestage": "lead"}}
        ).status_code
        == 200
    )
    got = sandbox.api("GET", f"/crm/v3/objects/contacts/{contact}", properties="lifecyclestage").json()
    assert got["properties"]["lifecyclestage"] == "lead"


def test_multi_checkbox_and_bool_values(sandbox: Sandbox) -> None:
    sandbox.api(
        "POST",
        "/crm/v3/properties/contacts",
        {
            "name": "interests",
            "label": "Interests",
            "type": "enumeration",
            "fieldType": "checkbox",
            "groupName": "contactinformation",
            "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}],
        },
    )
    ok = sandbox.api(
        "POST", "/crm/v3/objects/contacts", {"properties": {"email": "m@x.com", "interests": "a;b"}}
    )
    assert ok.status_code == 201
    bad = sandbox.api(
        "POST", "/crm/v3/objects/contacts", {"properties": {"email": "m2@x.com", "interests": "a;c"}}
    )
    assert bad.status_code == 400 and "INVALID_OPTION" in bad.json()["message"]
