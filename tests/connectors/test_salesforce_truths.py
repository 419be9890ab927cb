"""crmsync against what a real Salesforce org does (issue 17), through the sandbox over HTTP: the
concurrency 403 is waited out, the daily-limit 403 is a budget stop, Bulk results come back shuffled
after an InProgress phase, and a missing id is a missing id whichever code the API uses."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from crmsync_pipeline.connectors import change_probe, salesforce_deletes
from crmsync_pipeline.connectors.budget import BudgetExhausted, DailyBudget
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.sandbox.salesforce.settings import SalesforceSettings


@pytest.fixture(autouse=True)
def _defaults(salesforce_sandbox, admin):
    defaults = SalesforceSettings(bulk_processing_delay_s=0.05).model_dump(mode="json")
    admin.post(salesforce_sandbox, "settings", defaults)
    yield
    admin.post(salesforce_sandbox, "settings", defaults)
    admin.set_faults(salesforce_sandbox, burst_concurrency=0, concurrency_rate=0.0)


def test_concurrency_403_is_retried_after_a_wait(salesforce, salesforce_sandbox, admin, meter):
    admin.set_faults(salesforce_sandbox, burst_concurrency=3)
    rows = [r for page in salesforce.query_pages("SELECT Id FROM Contact LIMIT 5") for r in page]
    assert len(rows) == 5
    stats = requests.get(f"{salesforce_sandbox.url}/_sandbox/stats", timeout=10).json()
    assert (
        stats["by_status"].get("403", 0) >= 3
    )  # the org refused three times; crmsync waited and asked again


def test_daily_limit_403_stops_cleanly_as_a_budget_stop(salesforce_sandbox, admin):
    settings = admin.settings("http://127.0.0.1:1", salesforce_sandbox.url)
    stops: list[BudgetExhausted] = []
    meter = CallMeter(DailyBudget(on_exhausted=stops.append))
    connector = SalesforceConnector(settings.salesforce, meter, base_delay_s=0.01)
    connector.query_pages("SELECT Id FROM Contact LIMIT 1").__next__()
    admin.post(salesforce_sandbox, "settings", {"daily_api_limit": 1})
    with pytest.raises(BudgetExhausted, match="TotalRequests Limit exceeded") as raised:
        connector.query_pages("SELECT Id FROM Contact LIMIT 1").__next__()
    assert stops == [raised.value]
    assert meter.calls[("salesforce", "query")] in (2, 3)  # not retried: one refused attempt
    assert "allocation renews" in str(raised.value)


def test_bulk_results_matched_by_content_despite_in_progress_and_shuffle(salesforce, salesforce_sandbox):
    settings = requests.get(f"{salesforce_sandbox.url}/_sandbox/settings", timeout=10).json()
    assert settings["bulk_results_order"] == "shuffled" and settings["bulk_in_progress_polls"] >= 1
    rows = [{"LastName": f"Order{i:02d}", "CrmSync_HubSpot_Id__c": f"hs-order-{i}"} for i in range(40)]
    rows[7] = {"FirstName": "no last name", "CrmSync_HubSpot_Id__c": "hs-order-7"}
    results = salesforce.bulk_ingest("insert", "Contact", rows)
    assert [r.succeeded for r in results] == [i != 7 for i in range(40)]
    ids = [r.record_id for r in results if r.succeeded]
    found = {
        r["Id"]: r["CrmSync_HubSpot_Id__c"]
        for page in salesforce.query_pages(
            "SELECT Id, CrmSync_HubSpot_Id__c FROM Contact WHERE CrmSync_HubSpot_Id__c LIKE 'hs-order-%'"
        )
        for r in page
    }
    # every result's id is the record made from that input row
    assert [found[i] for i in ids] == [f"hs-order-{n}" for n in range(40) if n != 7]


@pytest.mark.parametrize("code", ["INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"])
def test_deleting_a_record_already_gone_counts_as_done(salesforce, salesforce_sandbox, admin, code):
    admin.post(salesforce_sandbox, "settings", {"missing_id_error": code, "bulk_api_hard_delete": True})
    created = salesforce.bulk_ingest("insert", "Contact", [{"LastName": "Purged"}])[0]
    assert salesforce_deletes.hard_delete(salesforce, "Contact", [created.record_id])[0].succeeded
    again = salesforce_deletes.delete(salesforce, [created.record_id])[0]
    assert again.succeeded and again.error_code == code  # Salesforce's code kept, the delete is done
    hard_again = salesforce_deletes.hard_delete(salesforce, "Contact", [created.record_id])[0]
    assert hard_again.succeeded and hard_again.error_code == code


def test_hard_delete_without_the_permission_says_what_to_grant(salesforce):
    created = salesforce.bulk_ingest("insert", "Contact", [{"LastName": "Kept"}])[0]
    refused = salesforce_deletes.hard_delete(salesforce, "Contact", [created.record_id])[0]
    assert not refused.succeeded and refused.error_code == "FEATURENOTENABLED"
    assert "Bulk API Hard Delete" in (refused.error_message or "")


def _start_of_a_second() -> datetime:
    """0.25 s into a fresh second (no earlier edit shares it): room for edits in the same second."""
    time.sleep(int(time.time()) + 1.25 - time.time())
    return datetime.now(UTC)


@pytest.mark.parametrize("precision", ["second", "millisecond"])
def test_change_probe_finds_an_edit_later_in_the_same_second(
    salesforce, salesforce_sandbox, admin, precision
):
    admin.post(salesforce_sandbox, "settings", {"stamp_precision": precision})
    user = change_probe.salesforce_integration_user(salesforce)
    ids = [
        r["Id"] for page in salesforce.query_pages("SELECT Id FROM Contact ORDER BY Id LIMIT 2") for r in page
    ]
    since = _start_of_a_second()  # the last tick asked at since.mmm

    def edit(rid: str) -> None:
        admin.post(
            salesforce_sandbox,
            "salesforce/edit",
            {"object": "Contact", "id": rid, "fields": {"Title": "Same second"}},
        )

    edit(ids[0])
    assert int(time.time()) == int(since.timestamp())  # the edit landed in since's second, after since
    hits = change_probe.salesforce_changed(salesforce, ["Contact"], since, user)
    assert [(h.sobject, h.record_id) for h in hits] == [
        ("Contact", ids[0])
    ]  # a `> since.mmm` probe misses .000
    reported_at = datetime.now(UTC)  # the tick that launched a sync for it: the next `since`
    assert change_probe.salesforce_changed(salesforce, ["Contact"], reported_at, user, seen=[ids[0]]) == []
    edit(ids[1])  # later (usually within the same second): found, the reported one is not
    again = change_probe.salesforce_changed(salesforce, ["Contact"], reported_at, user, seen=[ids[0]])
    assert [h.record_id for h in again] == [ids[1]]
    billed = salesforce.call.meter.calls[("salesforce", change_probe.SALESFORCE_PROBE_ROUTE)]
    assert billed == 3  # one /composite per probe: one billed call each
