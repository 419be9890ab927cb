"""Contract tests: every Salesforce endpoint crmsync calls, called by crmsync's own code against the
sandbox over HTTP, answered in the shape Salesforce documents (salesforce_contract.py names the source of
each). Every HTTP answer crmsync's requests session receives is recorded and checked; an endpoint without a
contract fails, and so does a call site in crmsync's source (a CallMeter route) the run did not exercise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pydantic import SecretStr
from salesforce_contract import CONTRACTS, REST_ERRORS, Contract, body_problems, contract_for
from salesforce_shapes import check

import crmsync_pipeline
from crmsync_pipeline.connectors import change_probe, salesforce_auth, salesforce_deletes
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.merges import salesforce_merge
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings, SalesforceSettings
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions
from crmsync_pipeline.sandbox.server import EmulatorThread
from crmsync_pipeline.setup.field_access import FieldRef, grant_read_edit, hidden_fields
from crmsync_pipeline.setup.salesforce_org import OrgCalls

PACKAGE = Path(crmsync_pipeline.__file__).parent
XREF = "CrmSync_HubSpot_Id__c"
# HubSpot routes counted by the same `connector.call(...)` helper in shared modules (merges, associations)
HUBSPOT_ROUTE = re.compile(
    r"^(associations\.|\{object_type\}\.|contacts\.|lists\.|owners\.|oauth\.token_info)"
)


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    contract: Contract | None
    problems: list[str] = field(default_factory=list)


class ContractRecorder:
    """A `requests` response hook on crmsync's own session: it reads each answer, changes nothing."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def install(self, connector: SalesforceConnector) -> None:
        connector.sf.session.hooks["response"].append(self.hook)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        method, path = response.request.method or "", urlsplit(response.request.url).path
        contract = contract_for(method, path)
        exchange = Exchange(method, path, response.status_code, contract)
        if contract is None:
            exchange.problems.append("no contract for this endpoint")
        else:
            exchange.problems += body_problems(
                contract, response.status_code, dict(response.headers), response.text
            )
        self.exchanges.append(exchange)
        return response

    def problems(self) -> list[str]:
        return [f"{e.method} {e.path} -> {e.status}: {p}" for e in self.exchanges for p in e.problems]


# ---- the run ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def org() -> Iterator[EmulatorThread]:
    thread = EmulatorThread(SalesforceEmulator(None)).start()
    thread.call(lambda: thread.emulator.reset(SeedOptions(records=260, seed=5)))
    # 200-row query pages (Salesforce's minimum batch size) so queryMore is exercised on a small org
    sandbox_settings(thread, query_page_size=200, bulk_processing_delay_s=0.01)
    yield thread
    thread.stop()


def sandbox_settings(thread: EmulatorThread, **changes: Any) -> None:
    requests.post(f"{thread.url}/_sandbox/settings", json=changes, timeout=10).raise_for_status()


def recorded_connector(org: EmulatorThread) -> tuple[SalesforceConnector, ContractRecorder, CallMeter]:
    settings = ConnectionSettings.from_env(
        {"CRMSYNC_SANDBOX_HUBSPOT_URL": "http://127.0.0.1:1", "CRMSYNC_SANDBOX_SALESFORCE_URL": org.url}
    )
    meter = CallMeter()
    connector = SalesforceConnector(settings.salesforce, meter, base_delay_s=0.01, bulk_poll_s=0.02)
    recorder = ContractRecorder()
    recorder.install(connector)
    return connector, recorder, meter


def run_every_call(org: EmulatorThread, sf: SalesforceConnector, recorder: ContractRecorder) -> None:
    """crmsync's own calls, each Salesforce endpoint at least once, success, partial and refused answers."""
    since = datetime.now(UTC) - timedelta(days=1)
    sf.describe_global()
    sf.describe("Contact")
    pages = list(sf.query_pages(f"SELECT Id, LastName, Email, {XREF}, Account.Name FROM Contact"))
    assert len(pages) >= 2, "queryMore was not exercised"
    sf.count("Lead", include_deleted=True)
    sf.users()
    sf.limits()
    user = change_probe.salesforce_integration_user(sf)
    change_probe.salesforce_changed(sf, ["Contact", "Lead", "Account"], since, user)
    with pytest.raises(CrmError):  # a refused subrequest: its body is a REST error array
        change_probe.salesforce_changed(sf, ["Contact", "NoSuchObject"], since, user)
    with pytest.raises(CrmError):  # 400 MALFORMED_QUERY
        list(sf.query_pages("SELECT FROM Contact"))

    # sObject Collections: upsert, create, update, delete, each with a failing item (allOrNone false)
    made = sf.upsert("Contact", XREF, [{XREF: f"hs-contract-{n}", "LastName": f"Contract{n}"} for n in range(4)]
                     + [{XREF: "hs-contract-bad", "FirstName": "no last name"}])  # fmt: skip
    assert [r.succeeded for r in made] == [True, True, True, True, False]
    created = sf.create("Contact", [{"LastName": "Created"}, {"FirstName": "no last name"}])
    ids = [r.record_id for r in made[:4]]
    sf.update("Contact", [{"Id": ids[0], "Title": "Contracts"}, {"Id": ids[1], "Email": "not an email"}])
    salesforce_deletes.delete(sf, [str(created[0].record_id), ids[3], ids[3]])  # the 2nd: ENTITY_IS_DELETED

    # Bulk API 2.0: a query job, ingest jobs (insert with a failing row, upsert), a refused hardDelete
    rows = [r for page in sf.bulk_query("SELECT Id, LastName FROM Contact") for r in page]
    assert rows
    sf.bulk_ingest("insert", "Contact", [{"LastName": "Bulk1"}, {"FirstName": "no last name"}])
    bulk = sf.bulk_ingest("upsert", "Contact", [{XREF: "hs-bulk-1", "LastName": "Bulk2"}], XREF)
    refused = salesforce_deletes.hard_delete(sf, "Contact", [str(bulk[0].record_id)])
    assert refused[0].error_code == "FEATURENOTENABLED"
    sandbox_settings(org, bulk_api_hard_delete=True)
    try:
        salesforce_deletes.hard_delete(sf, "Contact", [str(bulk[0].record_id)])
    finally:
        sandbox_settings(org, bulk_api_hard_delete=False)
    job = sf.call("bulk2.ingest.create", lambda: sf._bulk("Contact").create_job("insert"))
    sf.call("bulk2.ingest.abort", lambda: sf._bulk("Contact").abort_job(job["id"], False))  # as write/bulk.py

    # setup: a custom field through the Tooling API, field-level security granted through permission rows
    sf.create_custom_field(
        "Contact.Contract_Flag__c", {"label": "Contract flag", "type": "Text", "length": 40}
    )
    calls = OrgCalls(sf)
    assert hidden_fields(calls, "Contact", ["Contract_Flag__c"]) == {"Contract_Flag__c"}
    outcome = grant_read_edit(calls, [FieldRef("Contact", "Contract_Flag__c")])
    assert outcome.refused is None and outcome.granted
    permission = calls.query("SELECT Id FROM FieldPermissions WHERE Field = 'Contact.Contract_Flag__c'")[0]
    calls.update("FieldPermissions", permission["Id"], {"PermissionsEdit": True})

    # merge (SOAP) of two contacts crmsync created
    salesforce_merge(sf, "Contact", ids[0], [ids[1]])

    # served by the sandbox, never called by crmsync: checked all the same
    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC)
    sf.sf.Contact.deleted(start, end)
    sf.sf.Contact.updated(start, end)
    sf.sf.restful("composite/batch", method="POST", json={"batchRequests": [
        {"method": "GET", "url": "v59.0/limits"}, {"method": "GET", "url": "v59.0/sobjects/Nope/describe"}]})  # fmt: skip


def token_calls(org: EmulatorThread, recorder: ContractRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """crmsync's OAuth client credentials login (salesforce_auth.py posts with plain `requests.post`)."""
    original = requests.post

    def recorded_post(*args: Any, **kwargs: Any) -> requests.Response:
        return original(*args, hooks={"response": recorder.hook}, **kwargs)

    monkeypatch.setattr(salesforce_auth.requests, "post", recorded_post)
    good = SalesforceSettings(instance_url=None, client_id="sandbox-client-id",
                              client_secret=SecretStr("sandbox-client-secret"), login_url=org.url)  # fmt: skip
    caller = CrmCaller("salesforce", CallMeter(), base_delay_s=0.01)
    salesforce_auth.client_credentials_login(good, caller)
    bad = good.model_copy(update={"client_secret": SecretStr("wrong")})
    with pytest.raises(CrmError):
        salesforce_auth.client_credentials_login(bad, caller)


@pytest.fixture(scope="module")
def recorded(org) -> tuple[ContractRecorder, CallMeter]:
    connector, recorder, meter = recorded_connector(org)
    run_every_call(org, connector, recorder)
    with pytest.MonkeyPatch.context() as monkeypatch:
        token_calls(org, recorder, monkeypatch)
    return recorder, meter


# ---- the checks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_the_sandbox_answers_each_endpoint_as_salesforce_documents_it(recorded, contract):
    recorder, _ = recorded
    exchanges = [e for e in recorder.exchanges if e.contract is contract]
    assert exchanges, f"{contract.name} was not exercised"
    assert [f"{e.method} {e.path} -> {e.status}: {p}" for e in exchanges for p in e.problems] == []


def test_every_answer_crmsync_received_has_a_contract(recorded):
    recorder, _ = recorded
    assert [f"{e.method} {e.path}" for e in recorder.exchanges if e.contract is None] == []


def test_partial_and_refused_answers_were_among_those_checked(recorded):
    recorder, _ = recorded
    statuses = {(e.contract.name, e.status) for e in recorder.exchanges if e.contract}
    for wanted in [("query", 400), ("bulk2.ingest.create", 400), ("oauth.token", 400),
                   ("collections.upsert", 200), ("bulk2.ingest.failedResults", 200)]:  # fmt: skip
        assert wanted in statuses, wanted


def crmsync_routes() -> set[str]:
    """The Salesforce route names of every `.call(...)` site in crmsync's code (the sandbox and HubSpot's
    own modules aside), as patterns: `{sobject}.describe` -> `[^.]+\\.describe`."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if "sandbox" in parts or path.name.startswith("hubspot"):
            continue
        text = path.read_text()
        for receiver, arg in re.findall(r"([\w.]+)\.call\(\s*(f?\"[^\"]+\"|[A-Z_]+ROUTE\b)", text):
            if "hubspot" in receiver:
                continue
            found.add(arg)
        for receiver, first, second in re.findall(
            r"([\w.]+)\.call\(\s*(\"\w+\") if [\w.]+ else (\"\w+\")", text
        ):  # `"queryAll" if include_deleted else "query"`
            found |= set() if "hubspot" in receiver else {first, second}
        found |= set(re.findall(r"\bcall\((TOKEN_ROUTE)\b", text))
        found |= set(re.findall(r"(f\"\{sobject\}\.collection\.\w+\")", text))
    constants = {"SALESFORCE_PROBE_ROUTE": change_probe.SALESFORCE_PROBE_ROUTE,
                 "TOKEN_ROUTE": salesforce_auth.TOKEN_ROUTE}  # fmt: skip
    routes = {constants.get(a) or a.removeprefix("f").strip('"') for a in found}
    return {r for r in routes if not HUBSPOT_ROUTE.match(r)}


def test_every_salesforce_call_site_in_crmsync_was_exercised(recorded):
    _, meter = recorded
    called = {route for (crm, route) in meter.calls if crm == "salesforce"} | {"oauth.token"}
    templates = crmsync_routes()
    assert {
        "query",
        "queryMore",
        "{sobject}.describe",
        "composite.change_probe",
        "bulk2.{kind}.status",
    } <= templates
    missing = [
        t for t in sorted(templates)
        if not any(re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^.]+", re.escape(t)), r) for r in called)
    ]  # fmt: skip
    assert missing == []


# ---- the contracts fail when a shape is broken ------------------------------------------------------


def test_a_broken_collection_answer_from_the_sandbox_is_caught(org, monkeypatch):
    """A sandbox whose collection error items say `errorCode` (the REST array's key) instead of
    `statusCode` and drop `fields`: the contract refuses the answer."""
    from crmsync_pipeline.sandbox.salesforce import errors

    def broken(self: Any) -> dict[str, Any]:
        return {"errorCode": self.code, "message": self.message}

    monkeypatch.setattr(errors.SfError, "collection_item", broken)
    connector, recorder, _ = recorded_connector(org)
    connector.create("Contact", [{"FirstName": "no last name"}])
    problems = recorder.problems()
    assert any("$[0].errors[0].statusCode: required, missing" in p for p in problems), problems
    assert any("$[0].errors[0].fields: required, missing" in p for p in problems)
    assert any("$[0].errors[0].errorCode: not a documented key" in p for p in problems)


def test_a_broken_job_info_and_result_file_are_caught(org, monkeypatch):
    """Bulk job info with `numberRecordsProcessed` as a string and a successful-results file without
    `sf__Created`: both caught, though crmsync's own code may read past them."""
    from crmsync_pipeline.sandbox.salesforce import bulk2, bulk_ingest

    public = bulk2.public
    monkeypatch.setattr(bulk2, "public", lambda job: {**public(job), "numberRecordsProcessed": "1"})
    write_rows = bulk_ingest.write_rows

    def without_created(header: list[str], rows: list[list[Any]], *rest: Any) -> str:
        if header[:2] == ["sf__Id", "sf__Created"]:
            header, rows = [header[0], *header[2:]], [[r[0], *r[2:]] for r in rows]
        return write_rows(header, rows, *rest)

    monkeypatch.setattr(bulk_ingest, "write_rows", without_created)
    connector, recorder, _ = recorded_connector(org)
    connector.bulk_ingest("insert", "Contact", [{"LastName": "Broken"}])
    problems = recorder.problems()
    assert any("$.numberRecordsProcessed: expected int, got str" in p for p in problems), problems
    assert any("CSV header starts ['sf__Id', 'LastName']" in p for p in problems), problems


def test_the_shapes_on_hand_made_answers():
    good = [{"message": "Email: invalid email address: x", "errorCode": "INVALID_EMAIL_ADDRESS",
             "fields": ["Email"]}]  # fmt: skip
    assert check(REST_ERRORS, good) == []
    assert check(REST_ERRORS, {"message": "x", "errorCode": "Y"}) == ["$: expected an array, got dict"]
    assert sorted(check(REST_ERRORS, [{"message": 1, "statusCode": "Y", "fields": "Email"}])) == [
        "$[0].errorCode: required, missing",
        "$[0].fields: expected an array, got str",
        "$[0].message: expected str, got int 1",
        "$[0].statusCode: not a documented key",
    ]
    query = next(c for c in CONTRACTS if c.name == "query")
    page = '{"totalSize": "3", "done": true, "records": [{"Id": "003000000000001AAA"}]}'
    assert sorted(body_problems(query, 200, {}, page)) == [
        "$.records[0].attributes: required, missing",
        "$.totalSize: expected int, got str '3'",
    ]
    assert body_problems(query, 201, {}, "{}") == ["status 201 is not among the documented [200]"]
