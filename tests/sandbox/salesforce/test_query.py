"""REST SOQL paging, queryAll, locators, and a hand-made seed world loaded through load_seed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crmsync_pipeline.sandbox.seed import SalesforceSide, SeedRecord, SeedWorld
from crmsync_pipeline.sandbox.seed.model import HubSpotSide


def seed(sandbox, contacts: int = 2500) -> dict:
    side = SalesforceSide(
        users=[SeedRecord("u1", {"FirstName": "Pat", "LastName": "Owner", "Email": "pat@example.com"})],
        objects={
            "Account": [SeedRecord("a1", {"Name": "Acme", "Industry": "Energy"}, refs={"OwnerId": ("User", "u1")},
                                   created_at=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC))],
            "Contact": [SeedRecord(f"c{i}", {"LastName": f"Person {i}", "Birthdate": date(1990, 1, 1)},
                                   refs={"AccountId": ("Account", "a1")}) for i in range(contacts)],
        },
    )  # fmt: skip
    world = SeedWorld(hubspot=HubSpotSide(), salesforce=side)
    return sandbox.thread.call(lambda: sandbox.emulator.load_seed(world) or {})


def test_seed_and_query_all_pages(sandbox, sf) -> None:
    seed(sandbox)
    first = sf.query("SELECT Id, LastName, Account.Name FROM Contact")
    assert first["totalSize"] == 2500 and len(first["records"]) == 2000 and first["done"] is False
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    everything = sf.query_all("SELECT Id, Account.Name, Account.Owner.Email FROM Contact")
    assert everything["totalSize"] == 2500 and len({r["Id"] for r in everything["records"]}) == 2500
    assert everything["records"][0]["Account"]["Owner"]["Email"] == "pat@example.com"
    account = sf.query("SELECT CreatedDate, Industry FROM Account")["records"][0]
    assert account["CreatedDate"] == "2023-01-02T03:04:05.000+0000"
    assert sum(1 for _ in sf.query_all_iter("SELECT Id FROM Contact WHERE Birthdate = 1990-01-01")) == 2500


def test_batch_size_header_and_bad_locator(sandbox, sf) -> None:
    seed(sandbox, 450)
    headers = {"Authorization": "Bearer sandbox-token", "Sforce-Query-Options": "batchSize=200"}
    page = requests.get(f"{sandbox.url}/services/data/v60.0/query/", params={"q": "SELECT Id FROM Contact"},
                        headers=headers, timeout=10).json()  # fmt: skip
    assert len(page["records"]) == 200 and page["records"][0]["attributes"]["url"].startswith(
        "/services/data/v60.0/"
    )
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01g8d0000000099AAA-2000")
    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_all_returns_deleted_rows(sf) -> None:
    cid = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(cid)
    assert sf.query("SELECT Id FROM Contact")["totalSize"] == 0
    rows = sf.query_all("SELECT Id, IsDeleted FROM Contact", include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(cid, True)]
    assert sf.query("SELECT COUNT() FROM Contact WHERE IsDeleted = false")["totalSize"] == 0


def test_soql_errors(sf) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FRM Contact")
    assert exc.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Nope FROM Contact")
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Nope")
    assert exc.value.content[0]["errorCode"] == "INVALID_TYPE"
