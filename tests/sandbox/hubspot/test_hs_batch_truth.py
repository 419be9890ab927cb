"""Batch behaviour a real portal has and a kind emulator would hide (docs/sandbox.md, "Batch answers"):
a batch read with property history takes at most 50 inputs, and batch results come back in no
particular order. Whether a result echoes its input's objectWriteTraceId is unconfirmed: a setting,
tested both ways."""

from __future__ import annotations

from typing import Any

import pytest
from hs_sandbox import Sandbox

HISTORY_LIMIT = "The maximum number of inputs supported in a batch request for property histories is 50"


def create(sandbox: Sandbox, inputs: list[dict[str, Any]], object_type: str = "contacts") -> dict[str, Any]:
    response = sandbox.api("POST", f"/crm/v3/objects/{object_type}/batch/create", {"inputs": inputs})
    assert response.status_code == 201, response.text
    return response.json()


def people(count: int, prefix: str = "p") -> list[dict[str, Any]]:
    return [{"properties": {"email": f"{prefix}{n}@x.com", "firstname": f"F{n}"}} for n in range(count)]


def history_read(sandbox: Sandbox, ids: list[str], **body: Any) -> Any:
    return sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/read",
        {"inputs": [{"id": i} for i in ids], "properties": ["firstname"], **body},
    )


def test_a_history_read_of_more_than_50_inputs_is_refused_with_hubspots_message(sandbox: Sandbox) -> None:
    ids = [r["id"] for r in create(sandbox, people(60))["results"]]
    refused = history_read(sandbox, ids[:51], propertiesWithHistory=["firstname"])
    assert refused.status_code == 400
    body = refused.json()
    assert (body["category"], body["message"]) == ("VALIDATION_ERROR", HISTORY_LIMIT)
    assert body["status"] == "error" and body["correlationId"]

    fifty = history_read(sandbox, ids[:50], propertiesWithHistory=["firstname"])
    assert fifty.status_code == 200
    assert all(r["propertiesWithHistory"]["firstname"] for r in fifty.json()["results"])
    # the cap is the history's: the same 60 without history, or with an empty list, are one read
    assert history_read(sandbox, ids).status_code == 200
    assert history_read(sandbox, ids, propertiesWithHistory=[]).status_code == 200


def test_the_history_cap_is_a_setting(sandbox: Sandbox) -> None:
    ids = [r["id"] for r in create(sandbox, people(60))["results"]]
    sandbox.settings(history_read_max_inputs=0)
    assert history_read(sandbox, ids, propertiesWithHistory=["firstname"]).status_code == 200
    sandbox.settings(history_read_max_inputs=10)
    assert history_read(sandbox, ids[:11], propertiesWithHistory=["firstname"]).status_code == 400


def emails(answer: dict[str, Any]) -> list[str]:
    return [r["properties"]["email"] for r in answer["results"]]


def test_batch_create_results_come_back_out_of_input_order(sandbox: Sandbox) -> None:
    inputs = people(30)
    sent = [i["properties"]["email"] for i in inputs]
    answer = create(sandbox, inputs)
    assert sorted(emails(answer)) == sorted(sent)  # every record, each once
    assert emails(answer) != sent
    # two records are never answered in the order sent either
    assert emails(create(sandbox, people(2, "two"))) == ["two1@x.com", "two0@x.com"]


def test_batch_read_update_and_upsert_results_come_back_out_of_input_order(sandbox: Sandbox) -> None:
    by_email = {r["properties"]["email"]: r["id"] for r in create(sandbox, people(20))["results"]}
    keys = [f"p{n}@x.com" for n in range(20)]
    ids = [by_email[k] for k in keys]
    read = sandbox.api(
        "POST", "/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": i} for i in ids], "properties": []}
    ).json()
    assert [r["id"] for r in read["results"]] != ids and sorted(r["id"] for r in read["results"]) == sorted(
        ids
    )
    update = sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        {"inputs": [{"id": i, "properties": {"jobtitle": "T"}} for i in ids]},
    ).json()
    assert [r["id"] for r in update["results"]] != ids
    upsert = sandbox.api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        {"inputs": [{"id": k, "idProperty": "email", "properties": {"city": "X"}} for k in keys]},
    ).json()
    assert [r["id"] for r in upsert["results"]] != ids and sorted(
        r["id"] for r in upsert["results"]
    ) == sorted(ids)


def test_input_order_is_a_setting(sandbox: Sandbox) -> None:
    sandbox.settings(batch_results_order="input")
    inputs = people(30)
    assert emails(create(sandbox, inputs)) == [i["properties"]["email"] for i in inputs]


@pytest.mark.parametrize("echo", [False, True])
def test_object_write_trace_ids_are_echoed_only_when_the_setting_says_so(
    sandbox: Sandbox, echo: bool
) -> None:
    sandbox.settings(echo_object_write_trace_id=echo)
    inputs = [{**i, "objectWriteTraceId": f"t{n}"} for n, i in enumerate(people(10))]
    answer = create(sandbox, inputs)
    traces = {r["properties"]["email"]: r.get("objectWriteTraceId") for r in answer["results"]}
    expected = {f"p{n}@x.com": (f"t{n}" if echo else None) for n in range(10)}
    assert traces == expected


def test_a_failed_input_that_sent_a_trace_id_is_named_by_it(sandbox: Sandbox) -> None:
    sandbox.faults(record_failure_rate=1.0)
    inputs = [{**i, "objectWriteTraceId": f"t{n}"} for n, i in enumerate(people(3))]
    answer = sandbox.api("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
    assert answer.status_code == 207
    contexts = [e["context"] for e in answer.json()["errors"]]
    assert sorted(c["objectWriteTraceId"][0] for c in contexts) == ["t0", "t1", "t2"]
