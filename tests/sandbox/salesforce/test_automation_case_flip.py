"""The hostile preset on both CRMs: Salesforce upper-cases a contact's LastName, HubSpot's workflow lower-cases
lastname, so a sync that copies each side's latest change to the other flips the value on every round."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.org_data import API_USER_ID
from crmsync_pipeline.sandbox.server import EmulatorThread


@pytest.fixture
def hubspot_url() -> Iterator[str]:
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    yield thread.url
    thread.stop()


def preset(url: str, name: str) -> dict[str, Any]:
    answer = requests.post(f"{url}/_sandbox/automation/presets/{name}", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("name", ["case_flip", "case_flip_automated_process"])
def test_case_flip_turns_the_value_around_every_round(sf, sandbox, hubspot_url: str, name: str) -> None:
    assert [r["field"] for r in preset(sandbox.url, name)["rules"]] == ["LastName", "LastName"]
    assert [(r["action"], r["field"]) for r in preset(hubspot_url, name)["rules"]] == [
        ("lower_case", "lastname")
    ]
    hs = HubSpot(access_token="sandbox-token", host=hubspot_url).crm.contacts.basic_api
    hubspot_id = hs.create(
        SimplePublicObjectInputForCreate(properties={"email": "a@x.com", "lastname": "Smith"})
    ).id
    salesforce_id = sf.Contact.create({"LastName": "Smith"})["id"]
    seen = []
    for _ in range(3):
        # HubSpot's value after its workflow ran goes to Salesforce...
        got = hs.get_by_id(hubspot_id, properties=["lastname"], properties_with_history=["lastname"])
        assert got.properties_with_history["lastname"][0].source_type == "AUTOMATION_PLATFORM"
        sf.Contact.update(salesforce_id, {"LastName": got.properties["lastname"]})
        [row] = sf.query(f"SELECT LastName, LastModifiedById, SystemModstamp FROM Contact WHERE Id = '{salesforce_id}'")[
            "records"
        ]  # fmt: skip
        if name == "case_flip":  # a before-save rule: the sync's own save, its own stamp, another value
            assert row["LastModifiedById"] == API_USER_ID
        else:  # the Automated Process user saved after the sync: a change by someone else
            assert row["LastModifiedById"] != API_USER_ID
        # ...and Salesforce's value after its rule ran goes back to HubSpot
        hs.update(hubspot_id, SimplePublicObjectInput(properties={"lastname": row["LastName"]}))
        seen.append((got.properties["lastname"], row["LastName"]))
    assert seen == [("smith", "SMITH")] * 3
    history = hs.get_by_id(hubspot_id, properties_with_history=["lastname"]).properties_with_history[
        "lastname"
    ]
    assert [h.value for h in history[:4]] == ["smith", "SMITH", "smith", "SMITH"]
    assert [h.source_type for h in history[:2]] == ["AUTOMATION_PLATFORM", "INTEGRATION"]
