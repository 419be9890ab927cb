"""Search: every operator, group logic, sorting, paging limits, full-text query and the write lag."""

from __future__ import annotations

import time

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest

from crmsync_pipeline.sandbox.seed import HubSpotSide, SalesforceSide, SeedRecord, SeedWorld


def search(sandbox: Sandbox, object_type: str = "contacts", **body: object) -> dict:
    response = sandbox.api("POST", f"/crm/v3/objects/{object_type}/search", body)
    assert response.status_code == 200, response.text
    return response.json()


def one(name: str, op: str, value: object = None, **extra: object) -> dict:
    flt: dict = {"propertyName": name, "operator": op, **extra}
    if value is not None:
        flt["value"] = value
    return {"filterGroups": [{"filters": [flt]}], "limit": 100}


@pytest.fixture(autouse=True)
def no_search_rate_limit(sandbox: Sandbox) -> None:
    """These tests search more than 5 times a second; the limit itself is tested in test_hs_limits."""
    sandbox.settings(search_limit_per_second=0)


@pytest.fixture
def people(sandbox: Sandbox) -> dict[str, str]:
    return {
        "ann": sandbox.contact(email="ann@hubspot.com", firstname="Ann", lifecyclestage="lead", city="Oslo"),
        "bob": sandbox.contact(email="bob@example.com", firstname="Bob", lifecyclestage="customer"),
        "cy": sandbox.contact(
            email="cy@example.com", firstname="Cy Young", lifecyclestage="lead", city="Bergen"
        ),
    }


def names(answer: dict) -> list[str]:
    return sorted(r["properties"]["firstname"] for r in answer["results"])


@pytest.mark.parametrize(
    ("filter_body", "expected"),
    [
        (one("firstname", "EQ", "ann"), ["Ann"]),
        (one("firstname", "NEQ", "Ann"), ["Bob", "Cy Young"]),
        (one("lifecyclestage", "EQ", "LEAD"), []),
        (one("lifecyclestage", "EQ", "lead"), ["Ann", "Cy Young"]),
        (one("firstname", "IN", None, values=["ann", "bob"]), ["Ann", "Bob"]),
        (one("firstname", "IN", None, values=["Ann"]), []),
        (one("lifecyclestage", "NOT_IN", None, values=["lead"]), ["Bob"]),
        (one("city", "HAS_PROPERTY"), ["Ann", "Cy Young"]),
        (one("city", "NOT_HAS_PROPERTY"), ["Bob"]),
        (one("email", "CONTAINS_TOKEN", "*@example.com"), ["Bob", "Cy Young"]),
        (one("firstname", "CONTAINS_TOKEN", "young"), ["Cy Young"]),
        (one("email", "NOT_CONTAINS_TOKEN", "hubspot"), ["Bob", "Cy Young"]),
    ],
)
def test_operators(sandbox: Sandbox, people: dict, filter_body: dict, expected: list[str]) -> None:
    assert names(search(sandbox, **filter_body)) == expected


def test_numeric_and_date_comparisons(sandbox: Sandbox) -> None:
    for n, amount in enumerate((5, 50, 500)):
        sandbox.create("deals", dealname=f"d{n}", amount=amount, closedate=f"2024-0{n + 1}-15T00:00:00Z")

    def deals(body: dict) -> list[str]:
        return sorted(r["properties"]["dealname"] for r in search(sandbox, "deals", **body)["results"])

    assert deals(one("amount", "GT", "40")) == ["d1", "d2"]
    assert deals(one("amount", "LTE", "50")) == ["d0", "d1"]
    assert deals(one("amount", "LT", "6")) == ["d0"]
    assert deals(one("amount", "GTE", "500")) == ["d2"]
    assert deals(one("amount", "BETWEEN", "10", highValue="100")) == ["d1"]
    assert deals(one("closedate", "GTE", "1707955200000")) == ["d1", "d2"]  # 2024-02-15 in epoch ms
    assert deals(one("closedate", "LT", "2024-02-01T00:00:00Z")) == ["d0"]


def test_groups_and_or(sandbox: Sandbox, people: dict) -> None:
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
                    {"propertyName": "city", "operator": "EQ", "value": "oslo"},
                ]
            },
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "bob"}]},
        ]
    }
    assert names(search(sandbox, **body)) == ["Ann", "Bob"]


def test_sort_paging_total_and_default_order(sandbox: Sandbox, people: dict) -> None:
    default = search(sandbox, limit=2)
    assert default["total"] == 3 and [r["id"] for r in default["results"]] == [people["ann"], people["bob"]]
    assert default["paging"]["next"]["after"] == "2"
    rest = search(sandbox, limit=2, after="2")
    assert [r["id"] for r in rest["results"]] == [people["cy"]] and "paging" not in rest
    desc = search(
        sandbox, sorts=[{"propertyName": "firstname", "direction": "DESCENDING"}], properties=["firstname"]
    )
    assert [r["properties"]["firstname"] for r in desc["results"]] == ["Cy Young", "Bob", "Ann"]


def test_string_sorts_switch(sandbox: Sandbox, people: dict) -> None:
    assert search(sandbox, sorts=["-createdate"])["results"][0]["id"] == people["cy"]
    sandbox.settings(search_accepts_string_sorts=False)
    assert (
        sandbox.api("POST", "/crm/v3/objects/contacts/search", {"sorts": ["createdate"]}).status_code == 400
    )


def test_full_text_query(sandbox: Sandbox, people: dict) -> None:
    assert names(search(sandbox, query="example.com")) == ["Bob", "Cy Young"]


def test_association_pseudo_property(sandbox: Sandbox, people: dict) -> None:
    company = sandbox.create("companies", name="Acme")
    sandbox.api("PUT", f"/crm/v4/objects/companies/{company}/associations/default/contacts/{people['bob']}")
    assert names(search(sandbox, **one("associations.company", "EQ", company))) == ["Bob"]


def test_search_limits(sandbox: Sandbox, people: dict) -> None:
    flt = {"propertyName": "firstname", "operator": "HAS_PROPERTY"}
    too_many_groups = {"filterGroups": [{"filters": [flt]}] * 6}
    too_many_in_group = {"filterGroups": [{"filters": [flt] * 7}]}
    too_many_total = {"filterGroups": [{"filters": [flt] * 6}] * 4}
    for body in (too_many_groups, too_many_in_group, too_many_total, {"limit": 201}, {"query": "x" * 3001}):
        response = sandbox.api("POST", "/crm/v3/objects/contacts/search", body)
        assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"
    assert (
        sandbox.api(
            "POST", "/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [flt] * 6}] * 3}
        ).status_code
        == 200
    )
    assert sandbox.api("POST", "/crm/v3/objects/contacts/search", one("nosuch", "EQ", "x")).status_code == 400


def test_paging_past_10000_is_400(sandbox: Sandbox) -> None:
    side = HubSpotSide(
        objects={"contacts": [SeedRecord(f"k{i}", {"firstname": "Same"}) for i in range(10_050)]}
    )
    sandbox.thread.call(lambda: sandbox.emulator.load_seed(SeedWorld(side, SalesforceSide())))
    body = {
        "filterGroups": [{"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "same"}]}],
        "limit": 200,
    }
    last = sandbox.api("POST", "/crm/v3/objects/contacts/search", {**body, "after": "9800"}).json()
    assert (
        last["total"] == 10_050 and len(last["results"]) == 200 and last["paging"]["next"]["after"] == "10000"
    )
    beyond = sandbox.api("POST", "/crm/v3/objects/contacts/search", {**body, "after": "10000"})
    assert beyond.status_code == 400 and beyond.json()["category"] == "VALIDATION_ERROR"


def test_search_lag_hides_new_updated_and_archived_state(sandbox: Sandbox) -> None:
    kept = sandbox.contact(email="old@x.com", firstname="Old")
    gone = sandbox.contact(email="gone@x.com", firstname="Gone")
    sandbox.settings(search_lag_seconds=0.6)
    fresh = sandbox.contact(email="new@x.com", firstname="New")
    sandbox.api("PATCH", f"/crm/v3/objects/contacts/{kept}", {"properties": {"firstname": "Changed"}})
    sandbox.api("DELETE", f"/crm/v3/objects/contacts/{gone}")
    client_search = sandbox.client.crm.contacts.search_api.do_search
    lagging = client_search(PublicObjectSearchRequest(properties=["firstname"]))
    assert (
        sorted(r.properties["firstname"] for r in lagging.results) == ["Gone", "Old"] and lagging.total == 2
    )
    time.sleep(0.7)
    caught_up = client_search(PublicObjectSearchRequest(properties=["firstname"]))
    assert sorted(r.properties["firstname"] for r in caught_up.results) == ["Changed", "New"]
    assert fresh in {r.id for r in caught_up.results}


def test_search_with_lag_off_sees_writes_at_once(sandbox: Sandbox) -> None:
    sandbox.contact(email="now@x.com", firstname="Now")
    assert search(sandbox)["total"] == 1


def test_client_search_error_is_api_exception(sandbox: Sandbox) -> None:
    with pytest.raises(ApiException) as info:
        sandbox.client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=500))
    assert info.value.status == 400
