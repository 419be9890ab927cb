"""Lists v3: create, get, get by name, search, memberships (paging, add/remove), records' memberships."""

from __future__ import annotations

from hs_sandbox import Sandbox
from hubspot.crm.lists import ListCreateRequest, ListSearchRequest, MembershipChangeRequest


def test_manual_list_lifecycle(sandbox: Sandbox) -> None:
    lists = sandbox.client.crm.lists
    created = lists.lists_api.create(
        ListCreateRequest(name="VIPs", object_type_id="0-1", processing_type="MANUAL")
    )
    list_id = created.list.list_id
    assert created.list.processing_status == "COMPLETE"
    contacts = [sandbox.contact(email=f"l{i}@x.com") for i in range(3)]
    added = lists.memberships_api.add(list_id, [*contacts, "999999"])
    assert added.records_ids_added == contacts and added.record_ids_missing == ["999999"]
    raw = sandbox.api("PUT", f"/crm/v3/lists/{list_id}/memberships/remove", [contacts[0]]).json()
    assert raw == {"recordsIdsAdded": [], "recordIdsRemoved": [contacts[0]], "recordIdsMissing": []}
    change = lists.memberships_api.add_and_remove(
        list_id, MembershipChangeRequest(record_ids_to_add=[contacts[0]], record_ids_to_remove=[contacts[1]])
    )
    assert change.records_ids_added == [contacts[0]] and change.record_ids_removed == [contacts[1]]
    page = lists.memberships_api.get_page(list_id, limit=1)
    assert page.results[0].record_id == contacts[0] and page.paging.next.after
    assert lists.lists_api.get_by_id(list_id).list.size == 2
    assert lists.lists_api.get_by_name("VIPs", "0-1").list.list_id == list_id
    found = lists.lists_api.do_search(ListSearchRequest(query="vip", offset=0, additional_properties=[]))
    assert [x.list_id for x in found.lists] == [list_id] and found.total == 1
    memberships = lists.memberships_api.get_lists("0-1", contacts[2]).results
    assert [m.list_id for m in memberships] == [list_id]


def test_gdpr_delete_removes_memberships_and_dynamic_lists_refuse_edits(sandbox: Sandbox) -> None:
    manual = sandbox.api(
        "POST", "/crm/v3/lists/", {"name": "M", "objectTypeId": "0-1", "processingType": "MANUAL"}
    )
    assert manual.status_code == 200
    list_id = manual.json()["list"]["listId"]
    contact = sandbox.contact(email="g@x.com")
    sandbox.api("PUT", f"/crm/v3/lists/{list_id}/memberships/add", [contact])
    sandbox.api("POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": contact})
    assert sandbox.api("GET", f"/crm/v3/lists/{list_id}/memberships").json()["results"] == []
    dynamic = sandbox.api(
        "POST", "/crm/v3/lists", {"name": "D", "objectTypeId": "0-1", "processingType": "DYNAMIC"}
    )
    dynamic_id = dynamic.json()["list"]["listId"]
    assert sandbox.api("PUT", f"/crm/v3/lists/{dynamic_id}/memberships/add", [contact]).status_code == 400
    assert sandbox.api("DELETE", f"/crm/v3/lists/{dynamic_id}").status_code == 204
    assert sandbox.api("GET", f"/crm/v3/lists/{dynamic_id}").status_code == 404
