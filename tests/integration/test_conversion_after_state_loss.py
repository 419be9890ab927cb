"""A Lead converted into a linked Contact, then the state file lost (issue 15, scenario 9, seen in the
seed-7 soak): `crmsync rebuild-state` must relink the converted Lead's HubSpot contact from the
cross-reference ids the CRMs carry, so the conversion is seen again as a merge of two linked people and
its review item opens again. Before, a converted Lead was left out of every match key, the cross-reference
ids included: the HubSpot contact stayed unlinked, no item named it and the person's conversion was
forgotten. Oracles: the CRMs (SOQL, REST) for what exists, the state file for links and items."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner
from crm_actions import salesforce_value
from sandboxes import Sandbox
from test_merges import counts, linked, soql
from test_merges_and_people import convert_lead, link_of

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # make test-slow


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=7)
    yield box
    box.stop()


def _open_merge_items(query, lead: str) -> list[tuple[str, str]]:
    return query(
        "SELECT hubspot_id, detail FROM review_items WHERE kind = 'merge' AND settled_at IS NULL AND item_id = ?",
        f"merge:contacts:salesforce:{lead}",
    )


def test_a_conversion_into_a_linked_contact_is_seen_again_after_a_rebuild(
    sandbox, sync, query, tmp_path, monkeypatch
):
    assert sync().success
    h1, contact = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'"))
    h2, lead = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'"))
    account = salesforce_value(sandbox, "Contact", contact, "AccountId")
    convert_lead(sandbox, lead, contact, str(account) if account else None)
    assert sync().success
    [(hubspot_id, _)] = _open_merge_items(query, lead)
    assert hubspot_id == h2
    population = counts(sandbox)

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert not sync().success  # refused: the state is lost
    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert sync().success

    [(hubspot_id, detail)] = _open_merge_items(query, lead)
    assert hubspot_id == h2
    assert json.loads(detail)["hubspot_survivor"] == h1
    assert link_of(query, h2) == []  # never left linked to the converted Lead
    assert link_of(query, h1) == [("Contact", contact)]
    assert counts(sandbox) == population  # the HubSpot contact was not created again in Salesforce
    again = [r["Id"] for sobject in ("Contact", "Lead") for r in soql(
        sandbox, f"SELECT Id FROM {sobject} WHERE CrmSync_HubSpot_Id__c = '{h2}'")["records"]]  # fmt: skip
    assert again == [lead]


def test_a_lead_converted_into_a_new_contact_is_no_duplicate_of_it(sandbox, sync, query):
    """The converted Lead still carries the HubSpot id the new Contact now carries too: linking by ids
    must not report it as a `duplicate_lead` of its own Contact (nor of anything else)."""
    assert sync().success
    taken = {h for (h,) in query("SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL")}
    h, lead = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'")
                   if h not in taken and not salesforce_value(sandbox, "Lead", s, "IsConverted"))  # fmt: skip
    contact = convert_lead(sandbox, lead)
    for _ in range(2):  # the relink, then the run that reads the Contact's cross-reference id back
        assert sync().success
    assert link_of(query, h) == [("Contact", contact)]
    assert (
        query(
            "SELECT item_id FROM review_items WHERE settled_at IS NULL AND list_contains(salesforce_ids, ?)",
            lead,
        )
        == []
    )


def test_a_contact_deleted_when_the_state_was_lost_goes_back_to_its_own_hubspot_record(
    sandbox, sync, query, tmp_path, monkeypatch
):
    """The soak's seed 13, p173: a Lead (HubSpot h2) converted into a linked Contact (HubSpot h1), then the
    Contact deleted in Salesforce; the state file lost and rebuilt while it was in the Recycle Bin. The
    rebuild linked h2 to the Contact through the conversion; once the Contact was undeleted, h2's values
    overwrote the Contact's, and h1, no longer matching it, was created in Salesforce again. Now the
    Contact, which still carries h1's id (and h1 its id), goes back to h1, and the conversion is a merge
    of two linked people again."""
    assert sync().success
    taken = {h for (h,) in query("SELECT hubspot_id FROM review_items WHERE hubspot_id IS NOT NULL")}
    h1, contact = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Contact'")
                       if h not in taken)  # fmt: skip
    h2, lead = next((h, s) for h, _, s in linked(query, "contacts", "l.salesforce_object = 'Lead'")
                    if h not in taken and not salesforce_value(sandbox, "Lead", s, "IsConverted"))  # fmt: skip
    email = salesforce_value(sandbox, "Contact", contact, "Email")
    account = salesforce_value(sandbox, "Contact", contact, "AccountId")
    convert_lead(sandbox, lead, contact, str(account) if account else None)
    assert sync().success
    assert [h for h, _ in _open_merge_items(query, lead)] == [h2]
    population = counts(sandbox)
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/{contact}"
    requests.delete(url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10).raise_for_status()
    assert sync().success

    monkeypatch.setenv("CRMSYNC_STATE_DB", str(tmp_path / "replacement.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    rebuilt = CliRunner().invoke(cli, ["rebuild-state"])
    assert rebuilt.exit_code == 0, rebuilt.output
    requests.post(
        f"{sandbox.salesforce.url}/_sandbox/salesforce/undelete",
        json={"object": "Contact", "id": contact},
        timeout=10,
    ).raise_for_status()
    for _ in range(2):
        assert sync().success
    assert link_of(query, h1) == [("Contact", contact)]
    assert salesforce_value(sandbox, "Contact", contact, "Email") == email  # not h2's values
    assert [h for h, _ in _open_merge_items(query, lead)] == [h2]
    assert counts(sandbox) == population  # h1 was not created in Salesforce again
