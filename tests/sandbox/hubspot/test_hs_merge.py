"""Merging records (both id switches, merged-id resolution switch) and GDPR delete."""

from __future__ import annotations

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.contacts import PublicGdprDeleteInput, PublicMergeInput
from hubspot.crm.contacts.exceptions import NotFoundException


def two_contacts(sandbox: Sandbox) -> tuple[str, str, str]:
    company = sandbox.create("companies", name="Acme")
    keep = sandbox.contact(email="keep@x.com", firstname="Keep")
    gone = sandbox.contact(email="gone@x.com", firstname="Gone", jobtitle="CTO")
    sandbox.api("PUT", f"/crm/v4/objects/contacts/{gone}/associations/default/companies/{company}")
    return keep, gone, company


def test_merge_keeps_primary_id_and_resolves_merged_id(sandbox: Sandbox) -> None:
    keep, gone, company = two_contacts(sandbox)
    survivor = sandbox.client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    assert survivor.id == keep
    full = sandbox.api(
        "GET",
        f"/crm/v3/objects/contacts/{keep}",
        properties="hs_merged_object_ids,jobtitle,firstname,email,hs_additional_emails",
    ).json()
    assert full["properties"]["hs_merged_object_ids"] == gone
    assert full["properties"]["jobtitle"] == "CTO" and full["properties"]["firstname"] == "Keep"
    assert full["properties"]["hs_additional_emails"] == "gone@x.com"
    assert sandbox.api("GET", f"/crm/v3/objects/contacts/{gone}").json()["id"] == keep
    links = sandbox.api("GET", f"/crm/v4/objects/contacts/{keep}/associations/companies").json()["results"]
    assert [link["toObjectId"] for link in links] == [int(company)]


def test_merged_id_is_404_when_resolution_switched_off(sandbox: Sandbox) -> None:
    sandbox.settings(merged_id_resolves_to_survivor=False)
    keep, gone, _ = two_contacts(sandbox)
    sandbox.client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    with pytest.raises(NotFoundException):
        sandbox.client.crm.contacts.basic_api.get_by_id(gone)


def test_merge_with_new_id_switch(sandbox: Sandbox) -> None:
    sandbox.settings(merge_assigns_new_id=True)
    keep, gone, company = two_contacts(sandbox)
    survivor = sandbox.client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    assert survivor.id not in (keep, gone)
    got = sandbox.api(
        "GET", f"/crm/v3/objects/contacts/{keep}", properties="hs_merged_object_ids,email"
    ).json()
    assert got["id"] == survivor.id and got["properties"]["email"] == "keep@x.com"
    assert set(got["properties"]["hs_merged_object_ids"].split(";")) == {keep, gone}
    links = sandbox.api("GET", f"/crm/v4/objects/contacts/{survivor.id}/associations/companies").json()[
        "results"
    ]
    assert [link["toObjectId"] for link in links] == [int(company)]


def test_merged_email_is_free_for_new_contact_lookup(sandbox: Sandbox) -> None:
    keep, gone, _ = two_contacts(sandbox)
    sandbox.client.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    assert sandbox.api("GET", "/crm/v3/objects/contacts/keep@x.com", idProperty="email").json()["id"] == keep


def test_merge_deals_and_tasks_not_mergeable(sandbox: Sandbox) -> None:
    a, b = sandbox.create("deals", dealname="A"), sandbox.create("deals", dealname="B")
    merged = sandbox.api("POST", "/crm/v3/objects/deals/merge", {"primaryObjectId": a, "objectIdToMerge": b})
    assert merged.status_code == 200 and merged.json()["id"] == a
    t1, t2 = sandbox.create("tasks", hs_task_subject="x"), sandbox.create("tasks", hs_task_subject="y")
    assert (
        sandbox.api(
            "POST", "/crm/v3/objects/tasks/merge", {"primaryObjectId": t1, "objectIdToMerge": t2}
        ).status_code
        == 400
    )


def test_gdpr_delete_removes_record_entirely(sandbox: Sandbox) -> None:
    contact = sandbox.contact(email="forget@x.com")
    sandbox.client.crm.contacts.basic_api.purge(
        PublicGdprDeleteInput(object_id="forget@x.com", id_property="email")
    )
    assert sandbox.api("GET", f"/crm/v3/objects/contacts/{contact}").status_code == 404
    assert sandbox.api("GET", f"/crm/v3/objects/contacts/{contact}", archived="true").status_code == 404
    assert (
        sandbox.api("POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": contact}).status_code == 404
    )
