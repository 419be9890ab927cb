"""HubSpotConnector against the HubSpot sandbox over HTTP, through hubspot-api-client."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def contact_count(thread) -> int:
    return thread.call(
        lambda: sum(1 for r in thread.emulator.records.table("0-1").values() if not r.get("a"))
    )


def test_list_pages_reads_every_contact_100_a_call(hubspot, hubspot_sandbox, meter):
    pages = list(hubspot.list_pages("contacts", ["email", "firstname"]))
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) == contact_count(hubspot_sandbox)
    assert max(len(p) for p in pages) == 100
    assert meter.calls[("hubspot", "contacts.list")] == len(pages) == -(-len(ids) // 100)
    first = pages[0][0]
    assert set(first["properties"]) >= {"email", "firstname", "lastmodifieddate"}
    assert first["updated_at"].tzinfo is not None


def test_search_finds_only_what_changed_since_oldest_first(hubspot):
    some = next(hubspot.list_pages("contacts", ["email"]))[:3]
    time.sleep(0.01)
    since = datetime.now(UTC) - timedelta(milliseconds=5)
    updates = [{"id": r["id"], "jobtitle": f"Edited {n}"} for n, r in enumerate(some)]
    assert all(r.succeeded for r in hubspot.batch_update("contacts", updates))
    found = [r for page in hubspot.search_modified_pages("contacts", since, ["jobtitle"]) for r in page]
    assert [r["id"] for r in found] == [r["id"] for r in some]
    assert [r["properties"]["jobtitle"] for r in found] == ["Edited 0", "Edited 1", "Edited 2"]
    times = [r["updated_at"] for r in found]
    assert times == sorted(times)


@pytest.fixture(scope="module")
def crowded_hubspot():
    """More contacts than one search may page through (10,000)."""
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    thread.call(lambda: thread.emulator.reset())

    def seed() -> None:
        em = thread.emulator
        contacts = em.registry.resolve("contacts")
        for n in range(10_450):
            em.records.create(contacts, {"email": f"p{n}@crowd.example", "firstname": f"P{n}"}, "IMPORT")
        em.store.commit()

    thread.call(seed)
    thread.call(
        lambda: thread.emulator.update_settings({"search_lag_seconds": 0, "rate_limits_enabled": False})
    )
    yield thread
    thread.stop()


def test_search_past_the_10k_cap_reanchors_without_losing_or_repeating(crowded_hubspot, admin):
    meter = CallMeter()
    connector = HubSpotConnector(admin.settings(crowded_hubspot.url, "http://127.0.0.1:1").hubspot, meter)
    ids = [r["id"] for page in connector.search_modified_pages("contacts", EPOCH, ["email"]) for r in page]
    assert len(ids) == len(set(ids)) == 10_450
    # 50 pages of 200 reach the cap, then the re-anchored window reads the rest (plus the overlap).
    assert 53 <= meter.calls[("hubspot", "contacts.search")] <= 54


def test_batch_upsert_creates_and_updates_keyed_on_email(hubspot):
    existing = next(hubspot.list_pages("contacts", ["email"]))[0]
    results = hubspot.batch_upsert(
        "contacts",
        [
            {"email": "fresh.upsert@example.com", "firstname": "Fresh"},
            {"email": existing["properties"]["email"].upper(), "firstname": "Again"},
        ],
        "email",
    )
    assert [(r.succeeded, r.created) for r in results] == [(True, True), (True, False)]
    assert results[1].record_id == existing["id"]
    again = hubspot.batch_upsert(
        "contacts", [{"email": "fresh.upsert@example.com", "lastname": "Once"}], "email"
    )
    assert again[0].record_id == results[0].record_id and not again[0].created


def test_a_rejected_value_fails_only_its_own_record_with_hubspots_code(hubspot, hubspot_sandbox):
    inputs = [{"email": f"iso{n}@example.com", "lifecyclestage": "lead"} for n in range(5)]
    inputs[3]["lifecyclestage"] = "not-a-stage"
    results = hubspot.batch_upsert("contacts", inputs, "email")
    assert [r.succeeded for r in results] == [True, True, True, False, True]
    assert results[3].error_code == "INVALID_OPTION"
    assert results[3].error_fields == ("lifecyclestage",)
    whole = hubspot.batch_upsert("contacts", inputs, "email", isolate_rejects=False)
    assert {r.error_code for r in whole} == {"INVALID_OPTION"}


def test_a_207_partial_batch_keeps_each_failed_records_error(hubspot, hubspot_sandbox, meter, admin):
    inputs = [{"email": f"partial{n}@example.com", "firstname": "P"} for n in range(40)]
    admin.set_faults(hubspot_sandbox, record_failure_rate=0.3, seed=5)
    try:
        results = hubspot.batch_upsert("contacts", inputs, "email")
    finally:
        admin.set_faults(hubspot_sandbox, record_failure_rate=0.0)
    failed = [r for r in results if not r.succeeded]
    assert 0 < len(failed) < len(inputs)
    assert meter.calls[("hubspot", "contacts.batch.upsert")] == 1  # a 207 is an answer, not a retry
    assert {r.error_code for r in failed} == {"INTERNAL_ERROR"}
    assert all(r.error_message for r in failed)
    assert all(r.record_id for r in results if r.succeeded)


def test_batch_read_with_history_and_missing_ids(hubspot):
    record = next(hubspot.list_pages("contacts", ["email"]))[0]
    hubspot.batch_update("contacts", [{"id": record["id"], "firstname": "Historic"}])
    found = hubspot.batch_read(
        "contacts", [record["id"], "999999999"], ["firstname"], with_history=["firstname"]
    )
    assert [r["id"] for r in found] == [record["id"]]
    history = found[0]["properties_with_history"]["firstname"]
    assert history[0]["value"] == "Historic" or history[-1]["value"] == "Historic"
    times = hubspot.property_times("contacts", [record["id"]], ["firstname"])
    assert times[(record["id"], "firstname")] == max(v["timestamp"] for v in history)


def test_property_times_ask_again_for_records_a_batch_read_failed(hubspot, hubspot_sandbox, meter, admin):
    ids = [r["id"] for r in next(hubspot.list_pages("contacts", ["email"])) if r["properties"].get("email")][
        :40
    ]
    admin.set_faults(hubspot_sandbox, record_failure_rate=0.15, seed=5)
    try:
        times = hubspot.property_times("contacts", ids, ["email"])
    finally:
        admin.set_faults(hubspot_sandbox, record_failure_rate=0.0)
    assert sorted(i for i, _ in times) == sorted(ids)  # every record's time, none judged by another field
    assert meter.calls[("hubspot", "contacts.batch.read.history")] > 1


def test_batch_create_then_archive_moves_records_to_the_recycle_bin(hubspot):
    created = hubspot.batch_create("companies", [{"name": "Archive Me Ltd"}, {"name": "Keep Me Ltd"}])
    assert all(r.succeeded for r in created)
    gone = created[0].record_id
    assert hubspot.batch_archive("companies", [gone])[0].succeeded
    live = {r["id"] for page in hubspot.list_pages("companies", ["name"]) for r in page}
    archived = {r["id"] for page in hubspot.list_pages("companies", ["name"], archived=True) for r in page}
    assert gone in archived and gone not in live
    assert created[1].record_id in live


def test_associations_round_trip_with_type_ids(hubspot):
    contact = hubspot.batch_create("contacts", [{"email": "assoc@example.com"}])[0].record_id
    company = hubspot.batch_create("companies", [{"name": "Assoc Inc"}])[0].record_id
    assert hubspot.create_associations("contacts", "companies", [(contact, company, 279)]) == 1
    found = hubspot.associations("contacts", "companies", [contact])
    assert [(f, t) for f, t, _ in found] == [(contact, company)]
    assert 279 in found[0][2]


def test_owners_properties_pipelines_and_a_new_property(hubspot):
    owners = hubspot.owners()
    assert owners and all(o["id"] and o["email"] for o in owners)
    names = {p["name"] for p in hubspot.properties("contacts")}
    assert {"email", "firstname", "lastmodifieddate"} <= names
    assert "closedwon" in hubspot.pipelines("deals")["default"]
    hubspot.create_property(
        "contacts",
        {
            "name": "crmsync_test_flag",
            "label": "Test flag",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    assert "crmsync_test_flag" in {p["name"] for p in hubspot.properties("contacts")}


def test_rate_limit_bursts_are_retried_and_counted(hubspot, hubspot_sandbox, meter, admin):
    before = admin.api_calls(hubspot_sandbox)
    admin.set_faults(hubspot_sandbox, burst_429=2)
    pages = list(hubspot.list_pages("deals", ["dealname"]))
    assert pages
    assert meter.total("hubspot") == admin.api_calls(hubspot_sandbox) - before == len(pages) + 2


def test_bad_token_is_a_crm_error_with_hubspots_category(hubspot_sandbox, admin):
    settings = admin.settings(hubspot_sandbox.url, "http://127.0.0.1:1").hubspot
    settings.access_token = type(settings.access_token)("wrong")
    with pytest.raises(CrmError) as refused:
        next(HubSpotConnector(settings, CallMeter()).list_pages("contacts", ["email"]))
    assert (refused.value.status, refused.value.code) == (401, "INVALID_AUTHENTICATION")


def test_a_batch_create_that_fails_entirely_reports_every_input(hubspot, hubspot_sandbox, admin):
    admin.set_faults(hubspot_sandbox, record_failure_rate=1.0)
    try:
        results = hubspot.batch_create("companies", [{"name": "Never One"}, {"name": "Never Two"}])
    finally:
        admin.set_faults(hubspot_sandbox, record_failure_rate=0.0)
    assert [(r.succeeded, r.error_code) for r in results] == [(False, "INTERNAL_ERROR")] * 2
