"""The chaos soak's findings (seed 7, issues 14/15), each rebuilt small, end to end through both sandbox
CRMs with the soak's own mapping (bench/soak/mapping.yaml) and its automation switched on (a Salesforce
before-save flow formatting Contact and Lead phones as the integration user, a HubSpot workflow
upper-casing company cities; bench/soak/automation.py):

a. both sides edit a prefer_hubspot field, Salesforce 2.6 s after HubSpot, and HubSpot's older value
   stays: Salesforce stamps to the whole second, so the gap can read as 1.6 s, inside crmsync's 2 s
   window, where the preferred side wins (docs/design.md, "Timestamps and clock skew"): the design's
   rule, not a loss; the conflict is kept and its reason now says it was decided within the window, and
   the soak leaves 3.5 s between a conflict's edits;
b. a HubSpot edit made while the sync that links twins (a person created in both CRMs) writes was
   reverted by the next sync: the dropped first-link write left no base, so the next plan judged a
   first link again and prefer_salesforce took Salesforce's title over the person's newer edit.
c. (not here) a re-created HubSpot contact relinked to a seeded Lead kept the Lead's older names in some
   runs only (timing-dependent, cause not found): see the soakfield helper's report.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from crm_actions import (
    hubspot_edit,
    hubspot_value,
    salesforce_edit,
    salesforce_value,
    sync_with_a_hubspot_edit_while_it_writes,
)
from sandboxes import Sandbox

from bench.soak.automation import RULES

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
SKEW = 2.6  # the soak's old gap between the two halves of a conflict
SOAK_GAP = 3.5  # bench/soak/edits.py SKEW_GAP_S: 2 s window + 1 s Salesforce stamp resolution, and margin
SOAK_MAPPING = Path(__file__).resolve().parents[2] / "bench" / "soak" / "mapping.yaml"


@pytest.fixture(scope="module")
def sandbox():
    mp = pytest.MonkeyPatch()
    mp.setenv("CRMSYNC_CONFIG", str(SOAK_MAPPING))
    box = Sandbox(people=20, seed=7)
    for crm, rules in RULES.items():
        url = f"{getattr(box, crm).url}/_sandbox/automation"
        for rule in rules:
            requests.post(url, json=rule, timeout=10).raise_for_status()
    yield box
    box.stop()
    mp.undo()


@pytest.fixture(scope="module")
def synced(sandbox, sync):
    assert sync().success
    return sandbox


def linked(query, pair: str, sf_object: str) -> list[tuple[str, str]]:
    return query(
        "SELECT hubspot_id, salesforce_id FROM links WHERE pair = ? AND salesforce_object = ? ORDER BY hubspot_id",
        pair,
        sf_object,
    )


def hubspot_create(sandbox, otype: str, **properties: str) -> str:
    url = f"{sandbox.hubspot.url}/_sandbox/hubspot/objects/{otype}"
    response = requests.post(url, json={"properties": properties}, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


def salesforce_create(sandbox, sobject: str, **fields: object) -> str:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/"
    response = requests.post(url, json=fields, headers=TOKEN, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


# ---- a. a conflict on a prefer_hubspot field ---------------------------------------------------------------


def edit_at_fraction(at_least: float, lowest: float, below: float = 1.0) -> None:
    """Wait until `at_least` seconds have passed and the clock is between `lowest` and `below` into a
    second (the part of the second a Salesforce stamp drops)."""
    deadline = time.time() + at_least
    while time.time() < deadline or not lowest <= time.time() % 1 < below:
        time.sleep(0.01)


def test_a_salesforce_edit_2_6_s_later_whose_stamp_reads_within_the_skew_window_loses_to_prefer_hubspot(
    synced, sync, query
):
    """The soak's finding (a): HubSpot edited, Salesforce 2.6 s later, HubSpot's value kept on both sides.
    Salesforce stamps to the whole second, so an edit at 2.6 s, 0.8 s into its second, reads as 1.8 s
    after HubSpot's: within crmsync's 2 s window, where design.md gives the field's preferred side the win.
    crmsync keeps the Salesforce value as the conflict's loser and says why (the reason used to read
    `both_changed_hubspot_newer`, which was not true)."""
    sandbox = synced
    hubspot_id, salesforce_id = linked(query, "companies", "Account")[0]
    edit_at_fraction(0.0, 0.05, 0.15)  # HubSpot's edit early in its second: the gap below is 2.6-2.95 s
    hubspot_edit(sandbox, "companies", hubspot_id, city="Lyon")  # the workflow makes it LYON
    hubspot_at = time.time()
    edit_at_fraction(SKEW, 0.8)
    assert time.time() - hubspot_at < 3.0
    salesforce_edit(sandbox, "Account", salesforce_id, BillingCity="Nice")

    result = sync()
    assert result.success
    assert hubspot_value(sandbox, "companies", hubspot_id, "city") == "LYON"
    assert salesforce_value(sandbox, "Account", salesforce_id, "BillingCity") == "LYON"
    assert query(
        "SELECT field, winner, rule, salesforce_value FROM conflicts WHERE run_id = ? AND hubspot_id = ?",
        result.run_id,
        hubspot_id,
    ) == [("city", "hubspot", "prefer_hubspot:both_changed_within_skew_hubspot_preferred", "Nice")]


def test_a_salesforce_edit_past_the_skew_window_and_its_stamps_second_wins_a_prefer_hubspot_conflict(
    synced, sync, query
):
    """The gap the soak now leaves between a conflict's two edits (bench/soak/edits.py, SKEW_GAP_S): 2 s
    of skew window plus Salesforce's second. The newer edit wins, then HubSpot's workflow upper-cases
    it and that rewrite is carried back to Salesforce in the same run."""
    sandbox = synced
    hubspot_id, salesforce_id = linked(query, "companies", "Account")[0]
    hubspot_edit(sandbox, "companies", hubspot_id, city="Lille")
    edit_at_fraction(SOAK_GAP, 0.0)
    salesforce_edit(sandbox, "Account", salesforce_id, BillingCity="Nantes")

    result = sync()
    assert result.success
    assert hubspot_value(sandbox, "companies", hubspot_id, "city") == "NANTES"
    assert salesforce_value(sandbox, "Account", salesforce_id, "BillingCity") == "NANTES"
    assert query(
        "SELECT field, winner, rule FROM conflicts WHERE run_id = ? AND hubspot_id = ?",
        result.run_id,
        hubspot_id,
    ) == [("city", "salesforce", "prefer_hubspot:both_changed_salesforce_newer")]


# ---- b, c. an edit made on HubSpot while the sync that links twins writes ---------------------------------


def twins(sandbox, email: str, hubspot: dict[str, str], salesforce: dict[str, str]) -> tuple[str, str]:
    """The same person created by people in both CRMs before a sync (a Lead in Salesforce)."""
    salesforce_id = salesforce_create(sandbox, "Lead", Email=email, Company="Twin Co", **salesforce)
    hubspot_id = hubspot_create(sandbox, "contacts", email=email, company="Twin Co", **hubspot)
    return hubspot_id, salesforce_id


def test_a_hubspot_title_edit_made_while_twins_are_linked_is_not_reverted(synced, sync, query):
    sandbox = synced
    hubspot_id, salesforce_id = twins(
        sandbox, "twin.title@soak.example",
        {"firstname": "Tess", "lastname": "Twin", "jobtitle": "HS Title"},
        {"FirstName": "Tess", "LastName": "Twin", "Title": "SF Title"},
    )  # fmt: skip
    # jobtitle is prefer_salesforce: the first link sends Salesforce's title to HubSpot; a person edits
    # the title in HubSpot after the plan read it, so that write is dropped (not overwritten)
    sync_with_a_hubspot_edit_while_it_writes(sandbox, sync, hubspot_id, jobtitle="Edited in HubSpot")
    assert query("SELECT salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id) == [(salesforce_id,)]
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Edited in HubSpot"

    # The edit came after the link: it is a change since the link, and no first-link rule reverts it
    assert sync().success
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Edited in HubSpot"
    assert salesforce_value(sandbox, "Lead", salesforce_id, "Title") == "Edited in HubSpot"
