"""The seed generator: deterministic, sized by --records, and as messy as the issue asks."""

from __future__ import annotations

from collections import Counter

import pytest

from crmsync_pipeline.sandbox.seed import SeedOptions, generate_world


@pytest.fixture(scope="module")
def world():
    return generate_world(SeedOptions(records=2000, seed=7))


def test_same_seed_same_world_and_other_seed_other_world(world):
    again = generate_world(SeedOptions(records=2000, seed=7))
    other = generate_world(SeedOptions(records=2000, seed=8))
    assert again.hubspot.objects["contacts"] == world.hubspot.objects["contacts"]
    assert again.salesforce.objects["Lead"] == world.salesforce.objects["Lead"]
    assert other.hubspot.objects["contacts"] != world.hubspot.objects["contacts"]


def test_about_n_people_per_side_and_objects_in_proportion(world):
    hubspot_people = len(world.hubspot.objects["contacts"])
    salesforce_people = len(world.salesforce.objects["Contact"]) + len(world.salesforce.objects["Lead"])
    assert hubspot_people == 2000
    assert 2000 <= salesforce_people <= 2000 * 1.05  # plus the duplicate Leads
    assert len(world.facts["people_on_both_sides"]) == 600
    total_companies = len(
        {r.key for r in world.hubspot.objects["companies"]}
        | {r.key for r in world.salesforce.objects["Account"]}
    )
    assert total_companies == 400


def test_counts_can_be_overridden():
    w = generate_world(SeedOptions(records=100, companies=7, deals=3, tasks=0))
    keys = {r.key for r in w.hubspot.objects["companies"]} | {r.key for r in w.salesforce.objects["Account"]}
    assert len(keys) == 7
    assert (
        len(
            {r.key for r in w.hubspot.objects["deals"]} | {r.key for r in w.salesforce.objects["Opportunity"]}
        )
        == 3
    )
    assert not w.hubspot.objects["tasks"] and not w.salesforce.objects["Task"]


def test_zero_records_is_an_empty_world():
    w = generate_world(SeedOptions(records=0))
    assert not any(w.hubspot.objects.values()) and not any(w.salesforce.objects.values())


def test_overlap_differs_in_values_and_email_spelling(world):
    hs = {r.key: r.fields for r in world.hubspot.objects["contacts"]}
    sf = {r.key: r.fields for r in world.salesforce.objects["Contact"] + world.salesforce.objects["Lead"]}
    both = world.facts["people_on_both_sides"]
    differing_titles = [k for k in both if hs[k]["jobtitle"] != sf[k]["Title"]]
    assert len(differing_titles) > len(both) * 0.1
    variants = world.facts["email_variants"]
    assert variants
    for key in variants:
        assert sf[key]["Email"] != hs[key]["email"]
        assert sf[key]["Email"].strip().lower() == hs[key]["email"].lower()
    assert any(sf[k]["Email"] != sf[k]["Email"].strip() for k in variants)  # whitespace, not only case


def test_messy_cases_are_present(world):
    assert world.facts["people_without_email"]
    assert world.facts["test_people"]
    assert world.facts["duplicate_leads"]
    assert set(world.facts["rejected_by_salesforce"].values()) == {
        "REQUIRED_FIELD_MISSING",
        "STRING_TOO_LONG",
        "INVALID_EMAIL_ADDRESS",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    }
    websites = [r.fields["Website"] for r in world.salesforce.objects["Account"]]
    assert any(w.startswith("https://") for w in websites) and any(w.startswith("www.") for w in websites)
    hs_names = {r.key: r.fields["name"] for r in world.hubspot.objects["companies"]}
    sf_names = {r.key: r.fields["Name"] for r in world.salesforce.objects["Account"]}
    renamed = [k for k in hs_names.keys() & sf_names.keys() if hs_names[k] != sf_names[k]]
    assert any(sf_names[k] == hs_names[k] + " Corporation" for k in renamed)


def test_deals_in_every_stage_and_references_resolve(world):
    assert {r.fields["dealstage"] for r in world.hubspot.objects["deals"]} == {
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    }
    assert len({r.fields["StageName"] for r in world.salesforce.objects["Opportunity"]}) == 11
    keys = {obj: {r.key for r in recs} for obj, recs in world.salesforce.objects.items()}
    keys["User"] = {u.key for u in world.salesforce.users}
    for recs in world.salesforce.objects.values():
        for r in recs:
            for target, key in r.refs.values():
                assert key in keys[target], (r.key, target, key)
    hs_keys = {obj: {r.key for r in recs} for obj, recs in world.hubspot.objects.items()}
    for a in world.hubspot.associations:
        assert a.from_key in hs_keys[a.from_object] and a.to_key in hs_keys[a.to_object]


def test_owners_exist_on_both_sides_by_email(world):
    hubspot_owner_emails = {o.fields["email"] for o in world.hubspot.owners}
    salesforce_user_emails = {u.fields["Email"] for u in world.salesforce.users}
    shared = hubspot_owner_emails & salesforce_user_emails
    assert len(shared) >= 3
    assert hubspot_owner_emails - shared and salesforce_user_emails - shared  # and one unmatched on each side
    assert Counter(r.refs["OwnerId"][1] for r in world.salesforce.objects["Account"])
