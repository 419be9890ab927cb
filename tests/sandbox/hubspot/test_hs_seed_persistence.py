"""Loading a seeded world and keeping records across a restart on the same data directory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import requests
from hs_sandbox import TOKEN

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.seed import (
    HubSpotSide,
    SalesforceSide,
    SeedAssociation,
    SeedList,
    SeedRecord,
    SeedWorld,
)
from crmsync_pipeline.sandbox.server import EmulatorThread


def small_world() -> SeedWorld:
    created = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
    side = HubSpotSide(
        owners=[SeedRecord("o1", {"email": "rep@x.com", "firstName": "Rep", "lastName": "One"})],
        objects={
            "companies": [
                SeedRecord("co1", {"name": "Acme", "numberofemployees": 42, "industry": "COMPUTER_SOFTWARE"})
            ],
            "contacts": [
                SeedRecord(
                    "p1",
                    {"email": "p1@acme.com", "firstname": "Pat", "date_of_birth": date(1990, 1, 2)},
                    refs={"hubspot_owner_id": ("owners", "o1")},
                    created_at=created,
                    modified_at=datetime(2024, 1, 1, tzinfo=UTC),
                )
            ],
            "deals": [
                SeedRecord(
                    "d1",
                    {
                        "dealname": "Big",
                        "amount": 1000.0,
                        "closedate": datetime(2024, 6, 1, tzinfo=UTC),
                        "pipeline": "default",
                        "dealstage": "closedwon",
                    },
                )
            ],
        },
        associations=[
            SeedAssociation("contacts", "p1", "companies", "co1", [279, 1]),
            SeedAssociation("deals", "d1", "contacts", "p1", [3]),
        ],
        lists=[SeedList("Seeded", "0-1", "MANUAL", ["p1"])],
    )
    return SeedWorld(side, SalesforceSide())


def get(url: str, path: str, **params: str) -> dict:
    return requests.get(
        f"{url}{path}", params=params, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).json()


def test_load_seed_resolves_refs_and_keeps_timestamps() -> None:
    emulator = HubSpotEmulator(None)
    emulator.load_seed(small_world())
    thread = EmulatorThread(emulator).start()
    try:
        url = thread.url
        owner = get(url, "/crm/v3/owners/", email="rep@x.com")["results"][0]
        contact = get(
            url,
            "/crm/v3/objects/contacts/p1@acme.com",
            idProperty="email",
            properties="hubspot_owner_id,date_of_birth",
            propertiesWithHistory="firstname",
            associations="companies,deals",
        )
        assert contact["properties"]["hubspot_owner_id"] == owner["id"]
        assert contact["properties"]["date_of_birth"] == "1990-01-02"
        assert (
            contact["createdAt"] == "2023-03-01T12:00:00.000Z"
            and contact["updatedAt"] == "2024-01-01T00:00:00.000Z"
        )
        assert contact["propertiesWithHistory"]["firstname"][0]["sourceType"] == "IMPORT"
        assert {a["type"] for a in contact["associations"]["companies"]["results"]} == {
            "contact_to_company",
            "contact_to_company_unlabeled",
        }
        assert len(contact["associations"]["deals"]["results"]) == 1
        deal = get(url, "/crm/v3/objects/deals", properties="amount,closedate")["results"][0]
        assert (
            deal["properties"]["amount"] == "1000"
            and deal["properties"]["closedate"] == "2024-06-01T00:00:00.000Z"
        )
        lists = get(url, "/crm/v3/lists/object-type-id/0-1/name/Seeded")
        assert lists["list"]["size"] == 1
        assert get(url, "/crm/v3/objects/contacts/search")["status"] == "error"  # GET is not a search route
    finally:
        thread.stop()


def test_records_survive_restart(tmp_path: Path) -> None:
    first = EmulatorThread(HubSpotEmulator(tmp_path)).start()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    made = requests.post(
        f"{first.url}/crm/v3/objects/contacts",
        json={"properties": {"email": "keep@x.com"}},
        headers=headers,
        timeout=10,
    ).json()
    company = requests.post(
        f"{first.url}/crm/v3/objects/companies",
        json={"properties": {"name": "A"}},
        headers=headers,
        timeout=10,
    ).json()
    requests.put(
        f"{first.url}/crm/v4/objects/contacts/{made['id']}/associations/default/companies/{company['id']}",
        headers=headers,
        timeout=10,
    )
    requests.post(f"{first.url}/_sandbox/settings", json={"burst_limit_per_10s": 150}, timeout=10)
    first.stop()
    second = EmulatorThread(HubSpotEmulator(tmp_path)).start()
    try:
        again = get(second.url, "/crm/v3/objects/contacts/keep@x.com", idProperty="email")
        assert again["id"] == made["id"]
        links = get(second.url, f"/crm/v4/objects/companies/{company['id']}/associations/contacts")["results"]
        assert links[0]["toObjectId"] == int(made["id"])
        assert second.emulator.settings.burst_limit_per_10s == 150
        fresh = requests.post(
            f"{second.url}/crm/v3/objects/contacts",
            json={"properties": {"email": "n@x.com"}},
            headers=headers,
            timeout=10,
        ).json()
        assert int(fresh["id"]) > int(company["id"])
    finally:
        second.stop()
