"""The audit log is the truth (issue 15): after writes that partly fail, every audit_log row's outcome and
value agree with what the CRMs hold and with HubSpot's property history. Paths: HubSpot batch updates
answered 207 (some records fail inside the batch), HubSpot batches refused whole (HTTP 500 on every try),
Salesforce sObject Collections with per-record errors (UNABLE_TO_LOCK_ROW), and undo after a partial
failure (tests/integration/test_undo_partial.py). Faults are switched on by the sync's first write request
(a request hook), so the reads before it see a healthy CRM."""

from __future__ import annotations

import pytest
import requests
from audit_oracle import audit_lies
from crm_actions import hubspot_edit, salesforce_edit
from sandboxes import Sandbox

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=9)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def people(sandbox, sync, query):
    """Six linked, included contacts (HubSpot id, Salesforce id)."""
    assert sync().success
    rows = query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
             AND h.lifecyclestage IN ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')
             AND h.email NOT LIKE '%example.com' AND h.email NOT LIKE '%test.com'
           ORDER BY l.hubspot_id LIMIT 6"""
    )
    assert len(rows) == 6
    return rows


def _objects(query) -> dict[str, str]:
    """Every linked record's object, by its id (HubSpot type or Salesforce sObject)."""
    hubspot = {"companies": "companies", "contacts": "contacts", "deals": "deals", "tasks": "tasks"}
    out: dict[str, str] = {}
    for pair, hubspot_id, sobject, salesforce_id in query(
        "SELECT pair, hubspot_id, salesforce_object, salesforce_id FROM links"
    ):
        out[hubspot_id] = hubspot[pair]
        out[salesforce_id] = sobject
    return out


def _on_first_write(sandbox, side: str, contains: str, method: str, faults: dict) -> None:
    url = getattr(sandbox, side).url
    hook = {
        "on": {"method": method, "contains": contains, "nth": 1},
        "then": {"apply_edits": [{"method": "POST", "url": f"{url}/_sandbox/faults", "json": faults}]},
    }
    requests.post(f"{url}/_sandbox/faults/hooks", json=hook, timeout=10).raise_for_status()


def _clear(sandbox) -> None:
    for side in (sandbox.hubspot, sandbox.salesforce):
        requests.delete(f"{side.url}/_sandbox/faults/hooks", timeout=10).raise_for_status()
        requests.delete(f"{side.url}/_sandbox/faults", timeout=10).raise_for_status()


def _edit_all(sandbox, people, tag: str) -> None:
    for n, (hubspot_id, salesforce_id) in enumerate(people):
        hubspot_edit(sandbox, "contacts", hubspot_id, firstname=f"{tag}{n}")  # two_way -> Salesforce
        salesforce_edit(sandbox, "Contact", salesforce_id, Title=f"{tag} title {n}")  # -> HubSpot


def test_per_record_failures_on_both_crms(sandbox, sync, query, people):
    _edit_all(sandbox, people, "Mixed")
    _on_first_write(sandbox, "hubspot", "batch/update", "POST", {"record_failure_rate": 0.5, "seed": 4})
    _on_first_write(
        sandbox, "salesforce", "composite/sobjects", "PATCH", {"record_failure_rate": 0.5, "seed": 4}
    )
    try:
        run = sync()
    finally:
        _clear(sandbox)
    outcomes = dict(query("SELECT outcome, count(*) FROM audit_log WHERE run_id = ? GROUP BY 1", run.run_id))
    assert outcomes.get("confirmed"), outcomes
    assert audit_lies(sandbox, query, [run.run_id], _objects(query)) == []
    following = sync()  # the failed ones are written now
    assert audit_lies(sandbox, query, [run.run_id, following.run_id], _objects(query)) == []


def test_whole_batches_refused_by_hubspot(sandbox, sync, query, people):
    # a 400 on every batch: HubSpot took none of it, and each row says failed
    _edit_all(sandbox, people, "Refused")
    _on_first_write(
        sandbox,
        "hubspot",
        "batch/update",
        "POST",
        {"error_rates": {"400": 1.0}, "path_contains": "batch/update"},
    )
    try:
        run = sync()
    finally:
        _clear(sandbox)
    hubspot_rows = dict(
        query(
            "SELECT outcome, count(*) FROM audit_log WHERE run_id = ? AND target = 'hubspot' GROUP BY 1",
            run.run_id,
        )
    )
    assert hubspot_rows.get("failed") and not hubspot_rows.get("confirmed"), hubspot_rows
    assert audit_lies(sandbox, query, [run.run_id], _objects(query)) == []

    # a 500 on every try: the run stops, and the rows claim nothing (the write may or may not have
    # landed); the next run marks them interrupted, writes again and confirms what landed
    _edit_all(sandbox, people, "Down")
    _on_first_write(
        sandbox,
        "hubspot",
        "batch/update",
        "POST",
        {"error_rates": {"500": 1.0}, "path_contains": "batch/update"},
    )
    try:
        down = sync()
    finally:
        _clear(sandbox)
    assert not down.success
    assert query(
        "SELECT count(*) FROM audit_log WHERE run_id = ? AND target = 'hubspot' AND outcome = 'confirmed'",
        down.run_id,
    ) == [(0,)]
    following = sync()
    assert following.success
    assert query(
        "SELECT DISTINCT outcome FROM audit_log WHERE run_id = ? AND target = 'hubspot'", down.run_id
    ) == [("interrupted",)]
    assert audit_lies(sandbox, query, [down.run_id, following.run_id], _objects(query)) == []
