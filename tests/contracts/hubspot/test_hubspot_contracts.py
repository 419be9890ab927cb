"""Contract tests: every HubSpot operation crmsync calls, made by crmsync's own connector code against the
sandbox, answered in the shape `hubspot-api-client`'s generated models document for it (hubspot_contract.py
says how strictly). The list of operations is read from crmsync's source, so a new call without a
contract here fails `test_every_hubspot_operation_crmsync_calls_is_covered`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hubspot_contract import ContractRecorder, check_body, strict_problems

import crmsync_pipeline
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.change_probe import hubspot_changed
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.hubspot_deletes import gdpr_delete, merged_away, not_found
from crmsync_pipeline.connectors.merges import HUBSPOT_MERGEABLE, hubspot_merge
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.write.associations import archive_associations

TOKEN = {"Authorization": "Bearer sandbox-token"}
PACKAGE = Path(crmsync_pipeline.__file__).parent
# Operations crmsync calls that the sandbox does not serve, so no contract can be checked here.
NOT_EMULATED = {
    "crm.tickets.basic_api.merge": "tickets are not emulated (docs/sandbox.md, HubSpot: known differences)",
}


def crmsync_operations() -> set[str]:
    """Every `hubspot-api-client` operation named in crmsync's code (the sandbox excluded): direct calls
    `client.crm.<package>.<api>.<method>`, an API object kept in a name and called later, and the
    merge's `getattr(client.crm, object_type).basic_api` over HUBSPOT_MERGEABLE."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "sandbox" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text()
        found |= {
            f"crm.{m[0]}.{m[1]}" for m in re.findall(r"client\.crm\.([a-z0-9_.]+?_api)\.([a-z_]+)\b", text)
        }
        for name, api in re.findall(r"(\w+) = [\w.]*client\.crm\.([a-z0-9_.]+?_api)\s*$", text, re.M):
            found |= {f"crm.{api}.{m}" for m in re.findall(rf"\b{name}\.([a-z_]+)\(", text)}
        for api in re.findall(r"getattr\([\w.]*client\.crm, object_type\)\.(\w+_api)", text):
            found |= {f"crm.{t}.{api}.merge" for t in HUBSPOT_MERGEABLE}
    # `X_with_http_info` is the same operation as `X` (same request, same response model; the client adds
    # the status and headers), so its contract is X's
    return {name.removesuffix("_with_http_info") for name in found}


@pytest.fixture(scope="module")
def portal() -> Iterator[EmulatorThread]:
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    thread.call(lambda: thread.emulator.reset(SeedOptions(records=60, seed=3)))
    thread.call(
        lambda: thread.emulator.update_settings({"search_lag_seconds": 0, "rate_limits_enabled": False})
    )
    yield thread
    thread.stop()


def recorded_connector(portal: EmulatorThread) -> tuple[HubSpotConnector, ContractRecorder]:
    settings = ConnectionSettings.from_env(
        {"CRMSYNC_SANDBOX_HUBSPOT_URL": portal.url, "CRMSYNC_SANDBOX_SALESFORCE_URL": "http://127.0.0.1:1"}
    )
    # one request at a time, so each answer is read from the API client that made it
    connector = HubSpotConnector(settings.hubspot, CallMeter(), parallel=1, base_delay_s=0.01)
    recorder = ContractRecorder()
    recorder.install(connector.client)
    return connector, recorder


def admin(portal: EmulatorThread, path: str, body: dict[str, Any]) -> Any:
    answer = requests.post(f"{portal.url}{path}", json=body, headers=TOKEN, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def run_every_operation(portal: EmulatorThread, hubspot: HubSpotConnector) -> None:
    """crmsync's own calls, each of its HubSpot operations at least once, success and partial answers."""
    faults = f"{portal.url}/_sandbox/faults"
    since = datetime.now(UTC) - timedelta(days=1)
    hubspot.owners()
    hubspot.properties("contacts")
    hubspot.create_property(
        "contacts",
        {"name": "contract_flag", "label": "Contract flag", "type": "string", "fieldType": "text",
         "groupName": "contactinformation"},
    )  # fmt: skip
    hubspot.pipelines("deals")
    contacts = [r for page in hubspot.list_pages("contacts", ["email", "firstname"]) for r in page]
    ids = [r["id"] for r in contacts]
    hubspot.first_record("companies")
    list(hubspot.search_modified_pages("contacts", since, ["email"]))
    hubspot_changed(hubspot, ["contacts", "deals"], since, [])
    hubspot.batch_read("contacts", ids[:30], ["email"])
    hubspot.batch_read("contacts", [contacts[0]["properties"]["email"]], ["email"], id_property="email")
    hubspot.property_times("contacts", ids[:60], ["email", "firstname"])
    not_found(hubspot, "contacts", [*ids[:3], "999999999"])  # 207 with OBJECT_NOT_FOUND

    made = hubspot.batch_upsert(
        "contacts", [{"email": f"contract{n}@contracts.dev", "firstname": "C"} for n in range(5)], "email"
    )
    hubspot.batch_update("contacts", [{"id": r.record_id, "jobtitle": "Contract"} for r in made])
    hubspot.batch_update("contacts", [{"id": made[0].record_id, "lifecyclestage": "not-a-stage"}])  # 400s
    hubspot.batch_update("contacts", [{"id": "999999999", "jobtitle": "Nobody"}])  # 207 OBJECT_NOT_FOUND
    companies = hubspot.batch_create("companies", [{"name": f"Contract Co {n}"} for n in range(4)])
    deals = hubspot.batch_create("deals", [{"dealname": f"Contract deal {n}"} for n in range(2)])
    requests.post(faults, json={"record_failure_rate": 0.5, "seed": 2}, timeout=10).raise_for_status()
    try:  # 207 partial answers
        hubspot.batch_create("companies", [{"name": f"Partial Co {n}"} for n in range(6)])
        hubspot.batch_upsert("contacts", [{"email": f"partial{n}@contracts.dev"} for n in range(6)], "email")
        hubspot.batch_update("contacts", [{"id": r.record_id, "city": "Partial"} for r in made])
    finally:
        requests.delete(faults, timeout=10).raise_for_status()

    pairs = [(made[n].record_id, companies[n].record_id, 279) for n in range(2)]
    hubspot.associate("contacts", "companies", pairs)
    hubspot.associate("contacts", "companies", [(made[2].record_id, "999999999", 279)])  # a 207 or refusal
    hubspot.associations("contacts", "companies", [r.record_id for r in made])
    archive_associations(hubspot, "contacts", "companies", [(made[0].record_id, companies[0].record_id)])

    hubspot.batch_archive("companies", [companies[3].record_id])
    list(hubspot.list_pages("companies", ["name"], archived=True))
    not_found(hubspot, "companies", [companies[3].record_id], archived=True)
    gdpr_delete(hubspot, made[4].record_id)
    hubspot_merge(hubspot, "contacts", made[0].record_id, made[1].record_id)
    hubspot_merge(hubspot, "companies", companies[0].record_id, companies[1].record_id)
    hubspot_merge(hubspot, "deals", deals[0].record_id, deals[1].record_id)
    merged_away(hubspot, "contacts", [made[1].record_id])

    created = admin(portal, "/crm/v3/lists/", {"name": "Contract list", "objectTypeId": "0-1",
                                               "processingType": "MANUAL"})  # fmt: skip
    list_id = created["list"]["listId"]
    requests.put(
        f"{portal.url}/crm/v3/lists/{list_id}/memberships/add", json=ids[:3], headers=TOKEN, timeout=10
    ).raise_for_status()
    hubspot.find_list("contacts", "Contract list")
    hubspot.find_list("contacts", str(list_id))  # by name first (404), then by id
    list(hubspot.list_member_pages(str(list_id)))


@pytest.fixture(scope="module")
def recorded(portal) -> ContractRecorder:
    hubspot, recorder = recorded_connector(portal)
    run_every_operation(portal, hubspot)
    return recorder


def test_every_hubspot_operation_crmsync_calls_is_covered(recorded):
    called = crmsync_operations()
    assert (
        "crm.objects.batch_api.read" in called and "crm.lists.lists_api.get_by_name" in called
    )  # the scan works
    exercised = {e.operation for e in recorded.exchanges}
    assert called - exercised - set(NOT_EMULATED) == set()


OPERATIONS = sorted(crmsync_operations() - set(NOT_EMULATED))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_sandbox_answers_each_operation_as_the_client_documents_it(recorded, operation):
    exchanges = [e for e in recorded.exchanges if e.operation == operation]
    assert exchanges, f"{operation} was not exercised"
    problems = [f"{e.method} {e.path} -> {e.status}: {p}" for e in exchanges for p in e.problems]
    assert problems == []


def test_partial_and_refused_answers_were_among_those_checked(recorded):
    statuses = {(e.operation, e.status) for e in recorded.exchanges}
    for wanted in [
        ("crm.objects.batch_api.read", 207),
        ("crm.objects.batch_api.create", 207),
        ("crm.objects.batch_api.upsert", 207),
        ("crm.objects.batch_api.update", 207),
        ("crm.objects.batch_api.update", 400),
        ("crm.lists.lists_api.get_by_name", 404),
        ("crm.objects.batch_api.archive", 204),
    ]:
        assert wanted in statuses


# ---- the contracts fail when a shape is broken ------------------------------------------------------


def test_a_broken_record_shape_from_the_sandbox_is_caught(portal, monkeypatch):
    """A sandbox whose records say `"archived": "false"` (a string) and drop `createdAt`: crmsync's own
    code reads them without complaint (the client is lenient), the contract does not."""
    records = portal.emulator.records
    original = records.to_api

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = original(*args, **kwargs)
        body["archived"] = str(body["archived"]).lower()
        body.pop("createdAt", None)
        return body

    monkeypatch.setattr(records, "to_api", broken)
    hubspot, recorder = recorded_connector(portal)
    ids = [r["id"] for r in hubspot.first_record("contacts")]
    assert hubspot.batch_read("contacts", ids, ["email"])  # crmsync itself notices nothing
    problems = recorder.problems()
    assert any("$.results[0].archived: expected bool, got str" in p for p in problems)
    assert any("$.results[0].createdAt: required by SimplePublicObject" in p for p in problems)
    assert any("the client refuses it" in p for p in problems)


def test_an_undocumented_status_is_caught(portal, monkeypatch):
    """A batch create answered 200 (HubSpot answers 201): the client would silently return None."""
    from crmsync_pipeline.sandbox.hubspot import batch

    original = batch.BatchRoutes._answer
    monkeypatch.setattr(
        batch.BatchRoutes, "_answer", lambda self, started, results, errs, success: original(
            self, started, results, errs, 200 if success == 201 else success
        ),
    )  # fmt: skip
    hubspot, recorder = recorded_connector(portal)
    hubspot.batch_create("companies", [{"name": "Status Co"}])
    assert any("status 200 is not among the documented [201, 207]" in p for p in recorder.problems())


def test_the_strict_walk_on_hand_made_answers():
    import hubspot.crm.objects.models as models

    good = {"id": "1", "properties": {"email": "a@x.com", "phone": None}, "createdAt": "2024-01-17T19:55:04.281Z",
            "updatedAt": "2024-01-17T19:55:04.281Z", "archived": False}  # fmt: skip
    assert strict_problems(models, "SimplePublicObject", good) == []
    bad = {**good, "id": 1, "archived": "false", "extra": True, "updatedAt": "yesterday"}
    bad.pop("createdAt")
    assert sorted(strict_problems(models, "SimplePublicObject", bad)) == [
        "$.archived: expected bool, got str 'false'",
        "$.createdAt: required by SimplePublicObject, missing",
        "$.extra: not a key of SimplePublicObject",
        "$.id: expected str, got int 1",
        "$.updatedAt: expected datetime, got str 'yesterday'",
    ]
    batch = {
        "status": "DONE",
        "results": [good],
        "startedAt": good["createdAt"],
        "completedAt": good["createdAt"],
    }
    import hubspot.crm.objects as package

    problems = check_body(package, "BatchResponseSimplePublicObject", __import__("json").dumps(batch),
                          package.Configuration())  # fmt: skip
    assert any("the client refuses it" in p and "status" in p for p in problems)  # not an enum value
