"""A Salesforce row lock (UNABLE_TO_LOCK_ROW, another process holding the record) is transient: the
records a batch answered with it are sent again within the same run, so a user sees every edit arrive
in one cycle; a permanent rejection is recorded at once and never re-sent."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, salesforce_value
from sandboxes import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=5)
    yield box
    box.stop()


def faults(box: Sandbox, **settings: object) -> None:
    requests.post(f"{box.salesforce.url}/_sandbox/faults", json=settings, timeout=10).raise_for_status()


def collection_calls(box: Sandbox) -> int:
    stats = requests.get(f"{box.salesforce.url}/_sandbox/stats", timeout=10).json()
    return sum(n for route, n in stats["by_route"].items() if "composite/sobjects" in route)


def test_locked_records_are_sent_again_in_the_same_run(sandbox, sync, query):
    assert sync().success
    contacts = query(
        """SELECT l.hubspot_id, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
             AND h.lifecyclestage IN ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')
             AND h.email NOT LIKE '%@test.com' AND h.email NOT LIKE '%@example.com'
           ORDER BY 1 LIMIT 12"""
    )
    assert len(contacts) == 12  # contacts the mapping's inclusion rule sends to Salesforce
    for hubspot_id, _ in contacts:
        hubspot_edit(sandbox, "contacts", hubspot_id, firstname=f"Unlocked-{hubspot_id}")
    before = collection_calls(sandbox)
    # a third of the records meet a lock on each try (seeded, so every run meets the same locks)
    faults(sandbox, record_failure_rate=0.3, path_contains="composite/sobjects", seed=3)
    try:
        run = sync()
    finally:
        requests.post(
            f"{sandbox.salesforce.url}/_sandbox/faults", json={"record_failure_rate": 0}, timeout=10
        )
    assert run.success
    assert collection_calls(sandbox) - before > 1  # the locked records went again
    assert query(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND target = 'salesforce' AND NOT succeeded",
        run.run_id,
    ) == [(0,)]
    for hubspot_id, salesforce_id in contacts:
        assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == f"Unlocked-{hubspot_id}"
