"""Failing examples the fixpoint property found, each kept as a plain end-to-end test (minimised by
hypothesis, then by hand) with a comment naming what broke. Each runs two syncs against the sandbox CRMs
and checks the second with the CRMs' stamps, the sandbox's call counters and plan_rows
(fixpoint_run.assert_fixpoint)."""

from __future__ import annotations

import duckdb
import pytest
import requests
from fixpoint_crms import writes_between
from fixpoint_run import INSTANCE, QUIET, _example_files, _plan_rows, _setup, check
from fixpoint_scenarios import HubSpotContact, MappingVariant, SalesforcePerson, Scenario, apply

from crmsync_pipeline.orchestration.build import SYNC_JOB, build_definitions


# Issue 14 item 1, the headline scenario (failed before branch settle was merged): crmsync creates a
# Lead from a HubSpot contact; Salesforce fills Lead.Status with its picklist default ("Open - Not Contacted"), which the first sync never reads
# back, so the second sync carries it to HubSpot's hs_lead_status (plan_rows: target hubspot,
# field hs_lead_status, "NEW", reason prefer_hubspot:salesforce_changed: the create stored an agreed
# empty base for the field it did not send, so the default looks like an edit made in Salesforce).
def test_lead_status_filled_on_create_is_settled_in_the_same_run(crms):
    check(
        Scenario(
            mapping=MappingVariant(
                directions=(
                    ("email", "two_way"),
                    ("lastname", "two_way"),
                    ("company", "prefer_hubspot"),
                    ("hs_lead_status", "prefer_hubspot"),
                ),
                create_in_hubspot=False,
            ),
            hubspot=(
                HubSpotContact(
                    (("email", "kay.placeholder@example.org"), ("firstname", "Kay"), ("lastname", "Lee"))
                ),
            ),
        ),
        crms,
    )


# Issue 14 item 1, automation on save (failed before branch settle was merged): crmsync creates a
# Contact with Phone "5551234567"; the org's
# before-save flow (preset tidy_contacts) stores "(555) 123-4567". The first sync keeps what it sent as
# base, so the second sync sees a Salesforce change and writes the formatted phone to HubSpot
# (two_way:salesforce_changed). Found by the property (minimised by hand).
def test_a_phone_formatted_by_salesforce_automation_on_create_is_settled_in_the_same_run(crms):
    check(
        Scenario(
            mapping=MappingVariant(
                directions=(("email", "two_way"), ("lastname", "two_way"), ("phone", "two_way")),
                salesforce_as="contact",
            ),
            hubspot=(
                HubSpotContact(
                    (("email", "ann.lee0@acme.org"), ("lastname", "Lee"), ("phone", "5551234567"))
                ),
            ),
            automation=("tidy_contacts",),
        ),
        crms,
    )


# Issue 14 item 3, a one-sided loop: phone is always_hubspot (and mapped without the phone transform, so
# formatting is a difference); HubSpot holds "5551234567", the linked Salesforce Contact "(555)
# 123-4567", and the org formats every phone saved. Each sync overwrote Salesforce with HubSpot's digits
# (always_hubspot:overridden), the flow formatted them again in crmsync's own save, and the next sync
# found the same difference: one write per cycle, forever. Found by the property: 2 plan rows and a
# PATCH composite/sobjects on the second sync (shrunk by hand to one person). Now the second write is
# held (plan/ping_pong.py, one-sided loop) and a ping_pong review item names the flow.
def test_an_always_hubspot_phone_reformatted_by_salesforce_does_not_loop(crms):
    check(
        Scenario(
            mapping=MappingVariant(directions=(("email", "two_way"), ("phone", "always_hubspot"))),
            hubspot=(
                HubSpotContact((("email", "bo.lee0@acme.org"), ("lastname", "Lee"), ("phone", "5551234567"))),
            ),
            salesforce=(
                SalesforcePerson(
                    "Contact",
                    (("Email", "bo.lee0@acme.org"), ("LastName", "Lee"), ("Phone", "(555) 123-4567")),
                ),
            ),
            automation=("tidy_contacts",),
        ),
        crms,
    )


# Issue 14 item 3, a one-sided loop of a text field: jobtitle is always_hubspot and a Salesforce
# before-save flow upper-cases Title (no transform makes "vp sales" equal "VP SALES"): every sync wrote
# "vp sales" to the Contact again (always_hubspot:overridden).
def test_an_always_hubspot_title_upper_cased_by_a_salesforce_flow_does_not_loop(crms):
    check(
        Scenario(
            mapping=MappingVariant(directions=(("email", "two_way"), ("jobtitle", "always_hubspot"))),
            hubspot=(
                HubSpotContact(
                    (("email", "cy.lee0@acme.org"), ("lastname", "Lee"), ("jobtitle", "vp sales"))
                ),
            ),
            salesforce=(
                SalesforcePerson(
                    "Contact", (("Email", "cy.lee0@acme.org"), ("LastName", "Lee"), ("Title", "cto"))
                ),
            ),
            automation=("titles_upper",),
        ),
        crms,
    )


# Issue 14 item 3, the other direction: jobtitle is always_salesforce and a HubSpot workflow upper-cases
# jobtitle: every sync wrote Salesforce's "vp sales" to HubSpot again (always_salesforce:overridden).
def test_an_always_salesforce_title_upper_cased_by_a_hubspot_workflow_does_not_loop(crms):
    check(
        Scenario(
            mapping=MappingVariant(directions=(("email", "two_way"), ("jobtitle", "always_salesforce"))),
            hubspot=(
                HubSpotContact((("email", "di.lee0@acme.org"), ("lastname", "Lee"), ("jobtitle", "cto"))),
            ),
            salesforce=(
                SalesforcePerson(
                    "Contact", (("Email", "di.lee0@acme.org"), ("LastName", "Lee"), ("Title", "vp sales"))
                ),
            ),
            automation=("hubspot_titles_upper",),
        ),
        crms,
    )


# Issue 14 item 1 for updates (found while switching echoing automation on in the property): jobtitle is
# two_way, the first link sends Salesforce's newer "vp sales" to HubSpot, whose workflow upper-cases it to
# "VP SALES" right after. The second sync took that for a HubSpot edit and carried it to Salesforce
# (two_way:hubspot_changed). Now the records crmsync updated are read back after both sides' updates and
# the rewrite is carried in the same run (write/updated_values.py).
def test_a_value_a_hubspot_workflow_rewrites_after_an_update_is_carried_in_the_same_run(crms):
    check(
        Scenario(
            mapping=MappingVariant(directions=(("email", "two_way"), ("jobtitle", "two_way"))),
            hubspot=(
                HubSpotContact((("email", "cy.lee0@acme.org"), ("lastname", "Lee"), ("jobtitle", "cto"))),
            ),
            salesforce=(
                SalesforcePerson(
                    "Contact", (("Email", "cy.lee0@acme.org"), ("LastName", "Lee"), ("Title", "vp sales"))
                ),
            ),
            automation=("hubspot_titles_upper",),
        ),
        crms,
    )


# The same on Salesforce, by a flow the Automated Process user saves after crmsync's write (preset
# last_name_upper_later): the first link sends HubSpot's "Ngo" to the Lead, which the flow makes "NGO".
def test_a_value_an_automated_process_flow_rewrites_after_an_update_is_carried_in_the_same_run(crms):
    check(
        Scenario(
            mapping=MappingVariant(directions=(("email", "two_way"), ("lastname", "prefer_hubspot"))),
            hubspot=(HubSpotContact((("email", "bo.ng0@acme.org"), ("lastname", "Ngo"))),),
            salesforce=(
                SalesforcePerson(
                    "Lead", (("Email", "bo.ng0@acme.org"), ("LastName", "Ng"), ("Company", "Acme"))
                ),
            ),
            automation=("last_name_upper_later",),
        ),
        crms,
    )


# HubSpot never moves a lifecycle stage backward through the API: it answers 200 and keeps the stage
# (sandbox setting lifecycle_backward: ignore; the batch update's answer leaves the property out). At
# the first link, prefer_salesforce wrote Salesforce's "lead" over HubSpot's "customer" and stored
# "lead" as the agreed base; HubSpot kept "customer", so the second sync took "customer" for a HubSpot
# edit and wrote it to Salesforce (prefer_salesforce:hubspot_changed). Under always_salesforce the
# second sync wrote "lead" to HubSpot again (always_salesforce:overridden), an ignored write that moves
# no HubSpot stamp: only the sandbox's call counter saw it. Now the write is marked not_applied, and
# while neither side changes the field is written neither way (plan/not_applied.py) and a review item
# of kind not_applied says what HubSpot kept and what to do.
LIFECYCLE_PEOPLE = dict(
    hubspot=(
        HubSpotContact((("email", "ann@acme.org"), ("lastname", "Lee"), ("lifecyclestage", "customer"))),
    ),
    salesforce=(
        SalesforcePerson(
            "Contact",
            (("Email", "ann@acme.org"), ("LastName", "Lee"), ("HubSpot_Lifecycle_Stage__c", "lead")),
        ),
    ),
)


@pytest.mark.parametrize("direction", ["prefer_salesforce", "always_salesforce"])
def test_a_lifecycle_stage_hubspot_refuses_to_move_back_is_not_written_again(crms, direction):
    mapping = MappingVariant(
        directions=(("email", "two_way"), ("lastname", "two_way"), ("lifecyclestage", direction))
    )
    check(Scenario(mapping=mapping, **LIFECYCLE_PEOPLE), crms)


@pytest.fixture
def backward_stage_rejected(crms):
    """HubSpot's other possible answer to a backward stage (unconfirmed which one a portal gives): a
    validation error on that property."""
    url = f"{crms.hubspot.url}/_sandbox/settings"
    requests.post(url, json={"lifecycle_backward": "reject"}, timeout=10).raise_for_status()
    yield
    requests.post(url, json={"lifecycle_backward": "ignore"}, timeout=10).raise_for_status()


def test_a_lifecycle_stage_hubspot_rejects_is_not_sent_again(crms, backward_stage_rejected):
    """The error fails the contact's whole update, its cross-reference id too. The next sync sends the
    cross-reference again (a success that clears the record's sync error), but not the stage; before, the
    sync after it sent the stage again, to be refused again, every other sync. The stage waits in review
    with HubSpot's code, and the third sync writes nothing."""
    mapping = MappingVariant(
        directions=(("email", "two_way"), ("lastname", "two_way"), ("lifecyclestage", "prefer_salesforce"))
    )
    crms.reset()
    with _example_files() as (state, mapping_file):
        mapping.write(mapping_file)
        _setup(mapping_file)
        apply(Scenario(mapping=mapping, **LIFECYCLE_PEOPLE), crms)
        job = build_definitions(str(mapping_file)).resolve_job_def(SYNC_JOB)
        for _ in range(2):
            assert job.execute_in_process(instance=INSTANCE, raise_on_error=False, run_config=QUIET).success
        calls, people = crms.calls(), crms.people()
        third = job.execute_in_process(instance=INSTANCE, raise_on_error=False, run_config=QUIET)
        assert third.success
        assert _plan_rows(state, third.run_id) == []
        assert writes_between(calls, crms.calls()) == {}
        assert crms.people() == people
        con = duckdb.connect(str(state), read_only=True)
        try:
            items = con.execute(
                "SELECT detail ->> 'code' FROM review_items WHERE kind = 'not_applied'"
            ).fetchall()
        finally:
            con.close()
    assert items == [("INVALID_LIFECYCLE_STAGE",)]
