"""A HubSpot association HubSpot did not confirm (a 207 answer failing some pairs) fails its record: base
never points at an association HubSpot lacks, the old association is kept, and the next run tries again.
Found by the chaos soak, where a failed pair left a contact with no company, for good."""

from __future__ import annotations

import pytest
import requests

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.plan.lookups import ADD, REMOVE
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.write.associations import update_with_associations
from crmsync_pipeline.write.writers import HubSpotWriter


@pytest.fixture
def hubspot():
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    env = {"HUBSPOT_ACCESS_TOKEN": "sandbox-token", "HUBSPOT_BASE_URL": thread.url,
           "SALESFORCE_INSTANCE_URL": "http://127.0.0.1:1", "SALESFORCE_ACCESS_TOKEN": "x"}  # fmt: skip
    yield (
        thread.url,
        HubSpotConnector(ConnectionSettings.from_env(env).hubspot, CallMeter(), base_delay_s=0.01),
    )
    thread.stop()


def _companies_of(url: str, contact: str) -> list[str]:
    body = requests.get(
        f"{url}/crm/v4/objects/contacts/{contact}/associations/companies",
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).json()
    return [str(r["toObjectId"]) for r in body["results"]]


def test_a_move_whose_new_association_fails_keeps_the_old_one_and_fails_the_record(hubspot):
    url, connector = hubspot
    contact = connector.batch_create("contacts", [{"email": "mover@example.com"}])[0].record_id
    old, new = (
        connector.batch_create("companies", [{"name": n}])[0].record_id for n in ("Old Inc", "New Inc")
    )
    connector.create_associations("contacts", "companies", [(contact, old, 279)])
    # every association pair fails on its own inside a 207 answer
    faults = {"record_failure_rate": 1.0, "path_contains": "/associations/"}
    requests.post(f"{url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()

    move = {
        "id": contact,
        "jobtitle": "Mover",
        f"{ADD}companies:279": new,
        f"{REMOVE}companies:279:{old}": "",
    }
    [result] = update_with_associations(connector, "contacts", [move])

    assert not result.succeeded and result.error_code
    assert _companies_of(url, contact) == [old]  # never left with no company
    # the property went in by its own call: the failure names it, so the audit log calls it confirmed
    assert result.applied == {"jobtitle"}
    held = requests.get(
        f"{url}/crm/v3/objects/contacts/{contact}?properties=jobtitle",
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).json()
    assert held["properties"]["jobtitle"] == "Mover"
    requests.delete(f"{url}/_sandbox/faults", timeout=10)
    [again] = update_with_associations(connector, "contacts", [move])
    assert again.succeeded
    assert _companies_of(url, contact) == [new]


def test_a_move_whose_old_association_is_not_removed_names_the_new_one_as_taken(hubspot):
    """The new association went in and only the removal of the old one was refused: the record fails
    with the removal's code, but the failure names the property and the new association as taken, so
    the audit log calls the association HubSpot holds confirmed, not failed."""
    url, connector = hubspot
    contact = connector.batch_create("contacts", [{"email": "halfway@example.com"}])[0].record_id
    old, new = (
        connector.batch_create("companies", [{"name": n}])[0].record_id for n in ("Old Inc", "New Inc")
    )
    connector.create_associations("contacts", "companies", [(contact, old, 279)])
    faults = {"error_rates": {"400": 1.0}, "path_contains": "/batch/archive"}
    requests.post(f"{url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()

    add, remove = f"{ADD}companies:279", f"{REMOVE}companies:279:{old}"
    [result] = update_with_associations(
        connector, "contacts", [{"id": contact, "jobtitle": "Halfway", add: new, remove: ""}]
    )

    assert not result.succeeded and result.error_code
    assert sorted(_companies_of(url, contact)) == sorted([old, new])  # what HubSpot holds
    assert result.applied == {"jobtitle", add}
    assert remove not in result.applied


@pytest.mark.parametrize(
    "faults",
    [
        {"record_failure_rate": 1.0, "path_contains": "/associations/"},  # a 207 failing the pair
        {"error_rates": {"400": 1.0}, "path_contains": "/associations/"},  # the association call refused
    ],
    ids=["pair_failed_in_207", "call_refused_400"],
)
def test_a_create_whose_association_is_refused_names_what_hubspot_took(hubspot, faults):
    """Soak seed 11 (contact 100313): HubSpot took the created contact and its properties, then refused
    its association. The record fails with the association's code, but the failure carries its new id
    and names the properties as applied, so the audit log calls them confirmed and the record is linked;
    a refused call fails the records (it does not stop the run)."""
    url, connector = hubspot
    company = connector.batch_create("companies", [{"name": "Kept Inc"}])[0].record_id
    requests.post(f"{url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    writer = HubSpotWriter(connector)
    add = f"{ADD}companies:279"

    [result] = writer.create(
        "contacts", "email", [{"email": "new@example.com", "jobtitle": "Buyer", add: company}]
    )

    assert not result.succeeded and result.error_code and result.record_id
    requests.delete(f"{url}/_sandbox/faults", timeout=10).raise_for_status()  # the reads below unfaulted
    held = requests.get(
        f"{url}/crm/v3/objects/contacts/{result.record_id}?properties=jobtitle,email",
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    ).json()["properties"]
    assert held["jobtitle"] == "Buyer" and held["email"] == "new@example.com"  # what HubSpot holds
    assert _companies_of(url, result.record_id) == []
    assert result.applied == {"email", "jobtitle"}  # ... is what the failure names as taken
