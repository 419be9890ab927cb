"""HubSpotConnector against HubSpot's batch truths (docs/sandbox.md, "Batch answers"): results of a batch
create or upsert come back in no particular order, so each is matched to its input by a key, never by
position; a batch read with property history takes at most 50 records. The oracle is HubSpot itself:
every record id a write result names is read back and must hold its own input's values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crmsync_pipeline.connectors import hubspot_json
from crmsync_pipeline.connectors.hubspot_batches import write_result
from crmsync_pipeline.connectors.hubspot_results import MatchKey, SentInput, match_results

TOKEN = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture
def portal(hubspot_sandbox) -> Iterator[Any]:
    """Sets emulator settings for one test; the defaults come back after it."""
    changed: dict[str, Any] = {}
    url = f"{hubspot_sandbox.url}/_sandbox/settings"

    def settings(**changes: Any) -> None:
        before = requests.get(url, timeout=10).json()
        changed.update({k: before[k] for k in changes if k not in changed})
        requests.post(url, json=changes, timeout=10).raise_for_status()

    yield settings
    if changed:
        requests.post(url, json=changed, timeout=10).raise_for_status()


def stored(hubspot_sandbox, object_type: str, record_id: str, prop: str) -> str | None:
    """A property of a record as HubSpot holds it, through its public API."""
    url = f"{hubspot_sandbox.url}/crm/v3/objects/{object_type}/{record_id}?properties={prop}"
    return requests.get(url, headers=TOKEN, timeout=10).json()["properties"].get(prop)


@pytest.mark.parametrize("echo", [False, True])
def test_shuffled_create_results_each_name_the_record_made_from_their_own_input(
    hubspot, hubspot_sandbox, portal, echo
):
    portal(batch_results_order="shuffled", echo_object_write_trace_id=echo)
    names = [f"Shuffle {echo} {n} Ltd" for n in range(120)]  # two batches
    results = hubspot.batch_create("companies", [{"name": n} for n in names])
    assert all(r.succeeded for r in results)
    assert len({r.record_id for r in results}) == len(names)
    assert [stored(hubspot_sandbox, "companies", r.record_id, "name") for r in results] == names


def test_a_create_matched_by_its_key_property(hubspot, hubspot_sandbox, portal):
    portal(batch_results_order="shuffled")
    inputs = [{"email": f"Keyed{n}@Example.com", "firstname": "Same"} for n in range(30)]
    results = hubspot.batch_create("contacts", inputs, key="email")  # compared case-blind, as HubSpot does
    assert [stored(hubspot_sandbox, "contacts", r.record_id, "email").lower() for r in results] == [
        i["email"].lower() for i in inputs
    ]
    with pytest.raises(ValueError, match="share the email value"):
        hubspot.batch_create("contacts", [{"email": "twice@x.com"}, {"email": "TWICE@x.com"}], key="email")


@pytest.mark.parametrize("echo", [False, True])
def test_a_partly_failed_shuffled_create_blames_the_failed_inputs_only(
    hubspot, hubspot_sandbox, admin, portal, echo
):
    portal(batch_results_order="shuffled", echo_object_write_trace_id=echo)
    names = [f"Partial {echo} {n} Inc" for n in range(40)]
    admin.set_faults(hubspot_sandbox, record_failure_rate=0.3, seed=7)
    try:
        results = hubspot.batch_create("companies", [{"name": n} for n in names])
    finally:
        admin.set_faults(hubspot_sandbox, record_failure_rate=0.0)
    made = [(n, r.record_id) for n, r in zip(names, results, strict=True) if r.succeeded]
    failed = [r for r in results if not r.succeeded]
    assert 0 < len(failed) < len(names)
    assert {(r.error_code, r.record_id) for r in failed} == {("INTERNAL_ERROR", None)}  # HubSpot's category
    assert [stored(hubspot_sandbox, "companies", i, "name") for _, i in made] == [n for n, _ in made]
    created = {
        r["properties"]["name"]
        for page in hubspot.list_pages("companies", ["name"])
        for r in page
        if r["properties"].get("name", "").startswith(f"Partial {echo} ")
    }
    assert created == {n for n, _ in made}  # a failed input made no record; every made one is reported


@pytest.mark.parametrize("echo", [False, True])
def test_shuffled_upsert_results_and_errors_are_matched_by_the_key(
    hubspot, hubspot_sandbox, admin, portal, echo
):
    portal(batch_results_order="shuffled", echo_object_write_trace_id=echo)
    inputs = [{"email": f"upshuffle{echo}{n}@example.com", "firstname": f"U{n}"} for n in range(60)]
    admin.set_faults(hubspot_sandbox, record_failure_rate=0.2, seed=11)
    try:
        results = hubspot.batch_upsert("contacts", inputs, "email")
    finally:
        admin.set_faults(hubspot_sandbox, record_failure_rate=0.0)
    assert 0 < sum(not r.succeeded for r in results) < len(inputs)
    for record, result in zip(inputs, results, strict=True):
        if result.succeeded:
            assert result.created
            assert stored(hubspot_sandbox, "contacts", result.record_id, "firstname") == record["firstname"]
        else:
            assert result.error_code == "INTERNAL_ERROR"
            found = hubspot.batch_read("contacts", [record["email"]], ["email"], id_property="email")
            assert found == []  # the blamed input really made nothing


def test_property_times_of_more_than_50_records_read_history_50_at_a_time(hubspot, meter):
    ids = [r["id"] for page in hubspot.list_pages("contacts", ["email"]) for r in page][:120]
    assert len(ids) == 120
    times = hubspot.property_times("contacts", ids, ["email", "firstname"])
    assert {i for i, _ in times} == set(ids)
    assert meter.calls[("hubspot", "contacts.batch.read.history")] == 3


# ---- the matching rules on hand-made answers (what HubSpot might send that the sandbox does not) -------


def answer(results: list[dict[str, Any]], errors: list[dict[str, Any]] = ()) -> Any:
    return hubspot_json.batch_response({"results": results, "errors": list(errors)})


def made(record_id: str, **properties: str) -> dict[str, Any]:
    return {"id": record_id, "properties": properties}


def test_an_input_whose_values_another_includes_does_not_take_that_ones_record():
    sent = [SentInput("0", {"name": "Acme"}), SentInput("1", {"name": "Acme", "city": "Oslo"})]
    response = answer([made("11", name="Acme", city="Oslo"), made("10", name="Acme", city=None)])
    results = match_results(sent, response, None, lambda r: write_result(r, None))
    assert [r.record_id for r in results] == ["10", "11"]


def test_a_failed_input_named_by_its_trace_id_leaves_the_last_result_to_the_last_input():
    sent = [SentInput("0", {"name": "A"}), SentInput("1", {"name": "B"})]
    # HubSpot stored B's name otherwise, so values cannot tell: the failure names input 0, so 12 is B's
    response = answer(
        [made("12", name="b (normalised)")],
        [{"category": "VALIDATION_ERROR", "message": "bad", "context": {"objectWriteTraceId": ["0"]}}],
    )
    results = match_results(sent, response, None, lambda r: write_result(r, None))
    assert [(r.succeeded, r.record_id, r.error_code) for r in results] == [
        (False, None, "VALIDATION_ERROR"),
        (True, "12", None),
    ]


def test_records_that_cannot_be_placed_are_reported_not_guessed():
    sent = [SentInput("0", {"name": "A"}), SentInput("1", {"name": "B"})]
    response = answer([made("20", name="x"), made("21", name="y")])
    results = match_results(sent, response, None, lambda r: write_result(r, None))
    assert {r.error_code for r in results} == {"UNMATCHED_RESULT"}
    assert all("20, 21" in (r.error_message or "") for r in results)


def test_an_upsert_error_naming_the_key_blames_its_input():
    key = MatchKey("email", lambda v: str(v).strip().lower())
    sent = [SentInput("0", {"email": "A@x.com"}), SentInput("1", {"email": "b@x.com"})]
    response = answer(
        [made("30", email="b@x.com")],
        [{"category": "INVALID_EMAIL", "message": "no", "context": {"ids": ["a@X.com"]}}],
    )
    results = match_results(sent, response, key, lambda r: write_result(r, None, upsert=True))
    assert [(r.record_id, r.error_code) for r in results] == [(None, "INVALID_EMAIL"), ("30", None)]
