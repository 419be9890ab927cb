"""Properties, groups, pipelines, owners and custom-object schemas."""

from __future__ import annotations

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.properties import PropertyCreate, PropertyUpdate
from hubspot.crm.properties.exceptions import NotFoundException as PropertyNotFound
from hubspot.crm.schemas import ObjectSchemaEgg


def test_default_properties_and_xref(sandbox: Sandbox) -> None:
    props = {p.name: p for p in sandbox.client.crm.properties.core_api.get_all("contacts").results}
    assert {"email", "lifecyclestage", "hs_lead_status", "lead_source", "crmsync_salesforce_id"} <= set(props)
    assert [o.value for o in props["lifecyclestage"].options][:3] == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
    ]
    assert props["hs_analytics_source"].modification_metadata.read_only_value is True
    assert (
        props["crmsync_salesforce_id"].has_unique_value is True
        and props["crmsync_salesforce_id"].group_name == "crmsync"
    )
    industries = sandbox.client.crm.properties.core_api.get_by_name("companies", "industry").options
    assert len(industries) >= 30 and "COMPUTER_SOFTWARE" in {o.value for o in industries}
    for object_type in ("companies", "deals", "tasks"):
        names = {p.name for p in sandbox.client.crm.properties.core_api.get_all(object_type).results}
        assert "crmsync_salesforce_id" in names


def test_xref_properties_switch_off() -> None:
    from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator

    emulator = HubSpotEmulator(None)
    emulator.update_settings({"install_xref_properties": False})
    emulator.reset()
    assert "crmsync_salesforce_id" not in emulator.registry.properties("0-1")


def test_property_create_update_archive(sandbox: Sandbox) -> None:
    api = sandbox.client.crm.properties.core_api
    created = api.create(
        "deals",
        PropertyCreate(
            name="region",
            label="Region",
            type="enumeration",
            field_type="select",
            group_name="dealinformation",
            options=[{"label": "EMEA", "value": "emea", "hidden": False}],
        ),
    )
    assert created.name == "region" and created.options[0].value == "emea"
    assert (
        sandbox.api(
            "POST", "/crm/v3/objects/deals", {"properties": {"dealname": "d", "region": "apac"}}
        ).status_code
        == 400
    )
    api.update(
        "deals",
        "region",
        PropertyUpdate(
            options=[
                {"label": "EMEA", "value": "emea", "hidden": False},
                {"label": "APAC", "value": "apac", "hidden": False},
            ]
        ),
    )
    assert (
        sandbox.api(
            "POST", "/crm/v3/objects/deals", {"properties": {"dealname": "d", "region": "apac"}}
        ).status_code
        == 201
    )
    api.archive("deals", "region")
    with pytest.raises(PropertyNotFound):
        api.get_by_name("deals", "region")
    assert api.get_by_name("deals", "region", archived=True).archived is True
    assert sandbox.api("DELETE", "/crm/v3/properties/deals/dealname").status_code == 400
    duplicate = sandbox.api(
        "POST",
        "/crm/v3/properties/contacts",
        {
            "name": "email",
            "label": "E",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    assert duplicate.status_code == 409


def test_property_groups(sandbox: Sandbox) -> None:
    groups = sandbox.client.crm.properties.groups_api.get_all("contacts").results
    assert "contactinformation" in {g.name for g in groups}
    created = sandbox.api("POST", "/crm/v3/properties/contacts/groups", {"name": "sync", "label": "Sync"})
    assert created.status_code == 201
    assert sandbox.api("GET", "/crm/v3/properties/contacts/groups/sync").json()["label"] == "Sync"


def test_default_pipeline_exactly_as_reference(sandbox: Sandbox) -> None:
    pipeline = sandbox.client.crm.pipelines.pipelines_api.get_by_id("deals", "default")
    assert pipeline.label == "Sales Pipeline" and pipeline.display_order == 0
    stages = [(s.id, s.label, s.metadata["probability"], s.metadata["isClosed"]) for s in pipeline.stages]
    assert stages[0] == ("appointmentscheduled", "Appointment Scheduled", "0.2", "false")
    assert stages[5] == ("closedwon", "Closed Won", "1.0", "true")
    assert stages[6] == ("closedlost", "Closed Lost", "0.0", "true")
    assert len(stages) == 7


def test_create_pipeline_and_stage(sandbox: Sandbox) -> None:
    api = sandbox.client.crm.pipelines
    created = api.pipelines_api.create(
        "deals",
        PipelineInput(
            label="Renewals",
            display_order=1,
            stages=[PipelineStageInput(label="Open", display_order=0, metadata={"probability": "0.5"})],
        ),
    )
    assert created.id and created.stages[0].metadata == {"probability": "0.5"}
    stage = api.pipeline_stages_api.create(
        "deals",
        created.id,
        PipelineStageInput(label="Won", display_order=1, metadata={"probability": "1.0", "isClosed": "true"}),
    )
    assert len(api.pipeline_stages_api.get_all("deals", created.id).results) == 2
    ok = sandbox.api(
        "POST",
        "/crm/v3/objects/deals",
        {"properties": {"dealname": "r", "pipeline": created.id, "dealstage": stage.id}},
    )
    assert ok.status_code == 201
    wrong = sandbox.api(
        "POST",
        "/crm/v3/objects/deals",
        {"properties": {"dealname": "r", "pipeline": created.id, "dealstage": "closedwon"}},
    )
    assert wrong.status_code == 400


def test_owners_list_filter_and_get(sandbox: Sandbox) -> None:
    owners = sandbox.client.crm.owners.owners_api.get_page()
    assert len(owners.results) == 1
    owner = owners.results[0]
    assert sandbox.client.crm.owners.owners_api.get_page(email=owner.email).results[0].id == owner.id
    assert sandbox.client.crm.owners.owners_api.get_page(email="nobody@x.com").results == []
    assert sandbox.client.crm.owners.owners_api.get_by_id(int(owner.id)).email == owner.email
    assert sandbox.api("GET", f"/crm/v3/owners/{owner.user_id}", idProperty="userId").json()["id"] == owner.id
    assert sandbox.api("GET", "/crm/v3/owners").status_code == 200
    assert (
        sandbox.api(
            "POST",
            "/crm/v3/objects/contacts",
            {"properties": {"email": "o@x.com", "hubspot_owner_id": owner.id}},
        ).status_code
        == 201
    )


def test_custom_object_schema_and_records(sandbox: Sandbox) -> None:
    schema = sandbox.client.crm.schemas.core_api.create(
        ObjectSchemaEgg(
            name="cars",
            labels={"singular": "Car", "plural": "Cars"},
            primary_display_property="model",
            required_properties=["model"],
            searchable_properties=["model"],
            associated_objects=["CONTACT"],
            properties=[
                {"name": "model", "label": "Model", "type": "string", "fieldType": "text"},
                {
                    "name": "vin",
                    "label": "VIN",
                    "type": "string",
                    "fieldType": "text",
                    "hasUniqueValue": True,
                },
            ],
        )
    )
    assert schema.object_type_id.startswith("2-") and schema.fully_qualified_name.endswith("_cars")
    assert [s.name for s in sandbox.client.crm.schemas.core_api.get_all().results] == ["cars"]
    objects = sandbox.client.crm.objects
    from hubspot.crm.objects import SimplePublicObjectInputForCreate

    car = objects.basic_api.create(
        schema.object_type_id, SimplePublicObjectInputForCreate(properties={"model": "T", "vin": "V1"})
    )
    for path_name in (schema.object_type_id, schema.fully_qualified_name, "cars"):
        assert objects.basic_api.get_by_id(path_name, car.id, properties=["model"]).properties["model"] == "T"
    assert sandbox.api("GET", "/crm/v3/objects/cars/V1", idProperty="vin").json()["id"] == car.id
    contact = sandbox.contact(email="driver@x.com")
    put = sandbox.api("PUT", f"/crm/v4/objects/cars/{car.id}/associations/default/contacts/{contact}")
    assert put.status_code == 200
    back = sandbox.api(
        "GET", f"/crm/v4/objects/contacts/{contact}/associations/{schema.object_type_id}"
    ).json()
    assert back["results"][0]["toObjectId"] == int(car.id)
