"""`salesforce.assignment_rules: true` lets the org's Lead assignment rule route crmsync's creates: REST writes
run it by sending no `Sforce-Auto-Assign: FALSE`, and Bulk API 2.0 jobs, which run a rule only when they name
it, carry the active rule's `assignmentRuleId`. So a Lead lands with the same owner whichever API wrote it."""

from __future__ import annotations

import pytest

from crmsync_pipeline.connectors.salesforce import SalesforceConnector


@pytest.fixture
def routing(salesforce_sandbox, admin):
    admin.post(
        salesforce_sandbox, "settings", {"assignment_rules": [{"name": "Lead Routing", "assign_to": "srive"}]}
    )
    users = salesforce_sandbox.emulator.store.table("User").values()
    yield next(u["Id"] for u in users if u["Alias"] == "srive")
    admin.post(salesforce_sandbox, "settings", {"assignment_rules": []})


def connector(salesforce_sandbox, admin, meter, rules: bool) -> SalesforceConnector:
    settings = admin.settings("http://127.0.0.1:1", salesforce_sandbox.url).salesforce
    return SalesforceConnector(settings.model_copy(update={"assignment_rules": rules}), meter,
                               bulk_poll_s=0.05, base_delay_s=0.01)  # fmt: skip


def owners(salesforce: SalesforceConnector, ids: list[str | None]) -> list[str]:
    soql = "SELECT Id, OwnerId FROM Lead WHERE Id IN ('" + "','".join(str(i) for i in ids) + "')"
    found = {r["Id"]: r["OwnerId"] for page in salesforce.query_pages(soql) for r in page}
    return [found[str(i)] for i in ids]


@pytest.mark.parametrize("rules", [True, False], ids=["rules_on", "rules_off"])
def test_bulk_and_rest_creates_get_the_same_owner(salesforce_sandbox, admin, meter, routing, rules):
    salesforce = connector(salesforce_sandbox, admin, meter, rules)
    api_user = salesforce_sandbox.emulator.api_user_id
    rest = salesforce.create("Lead", [{"LastName": f"Rest{rules}", "Company": "Acme"}])
    bulk = salesforce.bulk_ingest("insert", "Lead", [{"LastName": f"Bulk{rules}", "Company": "Acme"}])
    assert all(r.succeeded for r in rest + bulk)
    expected = routing if rules else api_user
    assert owners(salesforce, [rest[0].record_id, bulk[0].record_id]) == [expected, expected]
    lookups = meter.calls[("salesforce", "query")]
    salesforce.bulk_ingest("insert", "Lead", [{"LastName": f"Again{rules}", "Company": "Acme"}])
    assert meter.calls[("salesforce", "query")] == lookups  # the rule's id is asked once per connector


def test_bulk_runs_no_rule_when_the_org_has_none_active(salesforce_sandbox, admin, meter, routing):
    admin.post(salesforce_sandbox, "settings",
               {"assignment_rules": [{"name": "Lead Routing", "assign_to": "srive", "active": False}]})  # fmt: skip
    salesforce = connector(salesforce_sandbox, admin, meter, True)
    made = salesforce.bulk_ingest("insert", "Lead", [{"LastName": "NoRule", "Company": "Acme"}])
    assert owners(salesforce, [made[0].record_id]) == [salesforce_sandbox.emulator.api_user_id]
