"""Issue 14 item 4: after any sync, the next sync with no outside edits plans and writes nothing, and no
person is duplicated. Generated scenarios (fixpoint_scenarios.py) run end to end against the sandbox CRMs;
the witnesses are the CRMs' own modification stamps (HubSpot updatedAt, Salesforce SystemModstamp), the
sandbox's call counters and plan_rows.

Left out on purpose:
- the hostile automation pair (`case_flip`): two rules turning each other's value around never reach a
  fixpoint; issue 14 item 3 holds such a field for review (built on another branch), and its tests
  check that instead;
- a value Salesforce fills on a create crmsync makes (Lead.Status) while that field is mapped: main does
  not settle it in the same run (issue 14 item 1, fixed on branch settle); the regression example is
  test_fixpoint_regressions.py::test_lead_status_filled_on_create_is_settled_in_the_same_run;
- automation rewriting a synced field (a phone formatted on save): main echoes the rewrite on the next
  sync, or writes an always_* field again every cycle (issue 14 items 1 and 3; the two phone tests of
  test_fixpoint_regressions.py);
- a lifecycle stage behind HubSpot's on the Salesforce side: HubSpot ignores a backward move and crmsync
  takes the write as done (test_fixpoint_regressions.py, the lifecycle stage test).
Each is a generator flag of fixpoint_scenarios.scenarios, to switch back on once fixed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fixpoint_run import check
from fixpoint_scenarios import Edit, HubSpotContact, MappingVariant, SalesforcePerson, Scenario, scenarios
from hypothesis import HealthCheck, example, given, settings

# every scenario but the classes main is known to fail (module docstring)
FIXPOINT_SCENARIOS = scenarios(server_filled=False, echoing_automation=False, backward_stages=False)
EXAMPLE_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # about 3 s an example on an idle core; a busy machine takes longer
@settings(max_examples=200, **EXAMPLE_SETTINGS)
@given(scenario=FIXPOINT_SCENARIOS)
def test_a_second_sync_writes_nothing(crms, scenario):
    check(scenario, crms)


# the first generated examples are the smallest (nothing to write), so `make test` also runs two that
# write on the first sync: creates both ways, a person on both sides (email case), a placeholder, and
# clears and edits between syncs
BOTH_WAYS = MappingVariant(
    directions=(("email", "two_way"), ("firstname", "two_way"), ("lastname", "prefer_salesforce"),
                ("phone", "prefer_hubspot"), ("jobtitle", "always_salesforce"), ("company", "prefer_hubspot"),
                ("lifecyclestage", "create_only")),
    include_domain=True,
)  # fmt: skip
PEOPLE = (
    HubSpotContact((("email", "ann.lee0@acme.org"), ("firstname", "Ann"), ("lastname", "Lee"),
                    ("jobtitle", "VP Sales"), ("lifecyclestage", "customer")), cleared=("phone",)),
    HubSpotContact((("email", "bo.ng1@acme.org"), ("lastname", "Ng"), ("phone", "5551234567"))),
)  # fmt: skip
SALESFORCE = (
    SalesforcePerson(
        "Lead",
        (("Email", "ANN.LEE0@ACME.ORG"), ("LastName", "Lee"), ("Title", "vp sales"), ("Company", "Acme")),
    ),  # fmt: skip
    SalesforcePerson("Contact", (("Email", "cy.ruiz2@acme.org"), ("FirstName", "Cy"), ("LastName", "Ruiz"))),
)


@example(scenario=Scenario(BOTH_WAYS, PEOPLE, SALESFORCE))
@example(
    scenario=Scenario(
        replace(BOTH_WAYS, salesforce_as="contact"),
        PEOPLE,
        SALESFORCE,
        edits=(
            Edit("hubspot", 0, "phone", ""),
            Edit("salesforce", 1, "Title", "cto"),
            Edit("hubspot", 2, "company", "Initech"),
        ),
    )
)
@settings(max_examples=2, **EXAMPLE_SETTINGS)
@given(scenario=FIXPOINT_SCENARIOS)
def test_a_second_sync_writes_nothing_quick(crms, scenario):
    check(scenario, crms)
