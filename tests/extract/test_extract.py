"""The extract stage against both sandbox CRMs: first load, a cycle with nothing to do, edits, deletes
and merges, and the Bulk API path reading the same values as REST."""

from __future__ import annotations

import time

import duckdb
import pytest

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.hubspot import (
    extract_associations,
    extract_hubspot,
    extract_owners,
    extract_salesforce_pair,
)

CONTACT_PROPERTIES = ["email", "firstname", "lastname", "jobtitle", "phone"]
SALESFORCE_FIELDS = {
    "Lead": [
        "Email",
        "FirstName",
        "LastName",
        "Title",
        "Company",
        "NumberOfEmployees",
        "AnnualRevenue",
        "HasOptedOutOfEmail",
    ],
    "Contact": ["Email", "FirstName", "LastName", "Title", "AccountId", "Account.Name", "HasOptedOutOfEmail"],
}


def rows(state, sql: str, *params):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(state), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def extract_people(sandboxes, state, run_id: str, pair: str = "people", **options):  # type: ignore[no-untyped-def]
    meter = CallMeter()
    hubspot, salesforce = sandboxes.connectors(state, meter)
    hub_stats, ids = extract_hubspot(state, hubspot, pair, "contacts", CONTACT_PROPERTIES, run_id)
    sf_stats = extract_salesforce_pair(state, salesforce, pair, SALESFORCE_FIELDS, run_id, **options)
    return meter, hub_stats, sf_stats, ids


@pytest.fixture(scope="module")
def first_load(extract_sandboxes, extract_state):
    _, salesforce = extract_sandboxes.connectors(extract_state, CallMeter())
    numbers = {
        "LastName": "Numbers",
        "Company": "Count Co",
        "NumberOfEmployees": "250",
        "AnnualRevenue": "1500000",
    }
    assert salesforce.create("Lead", [numbers])[0].succeeded
    before = extract_sandboxes.api_calls()
    meter, hub, sf, ids = extract_people(extract_sandboxes, extract_state, "run-1")
    hubspot, _ = extract_sandboxes.connectors(extract_state, meter)
    extract_associations(extract_state, hubspot, "contacts", "companies", ids)
    after = extract_sandboxes.api_calls()
    return {
        "hub": hub,
        "sf": sf,
        "ids": ids,
        "meter": meter,
        "served": {k: after[k] - before[k] for k in after},
    }


def test_first_load_mirrors_every_record(first_load, extract_state):
    hub, sf = first_load["hub"], first_load["sf"]
    assert hub.full and sf.full and not sf.bulk
    (hub_rows,) = rows(extract_state, "SELECT count(*) FROM hubspot_people_snapshot")[0]
    assert hub_rows == hub.records == len(first_load["ids"]) > 250
    by_object = dict(
        rows(extract_state, "SELECT _sobject, count(*) FROM salesforce_people_snapshot GROUP BY 1")
    )
    assert set(by_object) == {"Lead", "Contact"} and sum(by_object.values()) == sf.records
    assert first_load["served"]["hubspot"] == first_load["meter"].total("hubspot")
    assert first_load["served"]["salesforce"] == first_load["meter"].total("salesforce")
    cursors = dict(rows(extract_state, "SELECT crm || ':' || object, records_seen FROM extract_cursors"))
    # hubspot:people:archived times the archived-list check (HubSpot's search never returns archives)
    assert set(cursors) == {
        "hubspot:people",
        "hubspot:people:archived",
        "salesforce:people:Lead",
        "salesforce:people:Contact",
    }


def test_values_are_text_as_the_crm_sends_them(first_load, extract_state):
    lead = rows(
        extract_state,
        'SELECT "NumberOfEmployees", "AnnualRevenue", "HasOptedOutOfEmail", _created_at, _modified_at, '
        "_system_modstamp, _deleted FROM salesforce_people_snapshot WHERE \"LastName\" = 'Numbers'",
    )[0]
    assert lead[:3] == ("250", "1500000", "false")
    assert lead[3] <= lead[4] <= lead[5] and lead[6] is False
    account_names = rows(
        extract_state,
        "SELECT count(*) FROM salesforce_people_snapshot WHERE _sobject = 'Contact' AND \"Account.Name\" IS NOT NULL",
    )[0][0]
    assert account_names > 0
    contact = rows(
        extract_state, "SELECT email, _modified_at, _archived FROM hubspot_people_snapshot LIMIT 1"
    )[0]
    assert "@" in contact[0] and contact[1].tzinfo is not None and contact[2] is False


def test_associations_of_extracted_contacts(first_load, extract_state):
    found = rows(
        extract_state,
        "SELECT count(*), count(*) FILTER (WHERE list_contains(type_ids, 279)) FROM hubspot_associations "
        "WHERE from_object = 'contacts' AND to_object = 'companies'",
    )[0]
    assert found[0] > 0 and found[0] == found[1]


def test_a_cycle_with_no_changes_costs_one_call_per_object(first_load, extract_sandboxes, extract_state):
    before = extract_sandboxes.api_calls()
    meter, hub, sf, ids = extract_people(extract_sandboxes, extract_state, "run-2")
    hubspot, _ = extract_sandboxes.connectors(extract_state, meter)
    extract_associations(extract_state, hubspot, "contacts", "companies", ids)
    after = extract_sandboxes.api_calls()
    # Only the lead created just before the first load is read again: it is inside the 5 s overlap.
    assert (hub.records, sf.records, hub.full, sf.full) == (0, 1, False, False)
    assert dict(meter.calls) == {("hubspot", "contacts.search"): 1, ("salesforce", "queryAll"): 2}
    assert {k: after[k] - before[k] for k in after} == {"hubspot": 1, "salesforce": 2}
    assert (hub.api_calls, sf.api_calls) == (1, 2)


def test_edits_on_each_side_reach_the_next_extract(first_load, extract_sandboxes, extract_state):
    contact_id = first_load["ids"][0]
    extract_sandboxes.post(
        "hubspot", f"hubspot/objects/contacts/{contact_id}/edit", {"properties": {"jobtitle": "Chief Tester"}}
    )
    sf_id = rows(
        extract_state, "SELECT id FROM salesforce_people_snapshot WHERE _sobject = 'Contact' LIMIT 1"
    )[0][0]
    extract_sandboxes.post(
        "salesforce", "salesforce/edit", {"object": "Contact", "id": sf_id, "fields": {"Title": "Head of QA"}}
    )
    _, hub, sf, ids = extract_people(extract_sandboxes, extract_state, "run-3")
    assert contact_id in ids and 1 <= hub.records < 10 and 1 <= sf.records < 10
    assert rows(
        extract_state, "SELECT jobtitle, _run_id FROM hubspot_people_snapshot WHERE id = ?", contact_id
    ) == [("Chief Tester", "run-3")]
    assert rows(extract_state, 'SELECT "Title" FROM salesforce_people_snapshot WHERE id = ?', sf_id) == [
        ("Head of QA",)
    ]


def test_deletes_and_merges_are_seen_through_query_all(first_load, extract_sandboxes, extract_state):
    meter = CallMeter()
    _, salesforce = extract_sandboxes.connectors(extract_state, meter)
    leads = [
        r[0]
        for r in rows(
            extract_state,
            "SELECT id FROM salesforce_people_snapshot WHERE _sobject = 'Lead' AND NOT _deleted LIMIT 1",
        )
    ]
    assert salesforce.delete(leads)[0].succeeded
    master, loser = [
        r[0]
        for r in rows(
            extract_state,
            "SELECT id FROM salesforce_people_snapshot WHERE _sobject = 'Contact' AND NOT _deleted ORDER BY id LIMIT 2",
        )
    ]
    extract_sandboxes.post(
        "salesforce", "salesforce/merge", {"object": "Contact", "master_id": master, "loser_ids": [loser]}
    )
    extract_people(extract_sandboxes, extract_state, "run-4")
    assert rows(extract_state, "SELECT _deleted FROM salesforce_people_snapshot WHERE id = ?", leads[0]) == [
        (True,)
    ]
    assert rows(
        extract_state,
        "SELECT _deleted, _master_record_id FROM salesforce_people_snapshot WHERE id = ?",
        loser,
    ) == [(True, master)]


def test_a_large_first_load_through_bulk_reads_the_same_values(first_load, extract_sandboxes, extract_state):
    meter = CallMeter()
    _, salesforce = extract_sandboxes.connectors(extract_state, meter)
    stats = extract_salesforce_pair(
        extract_state, salesforce, "bulkpeople", SALESFORCE_FIELDS, "run-5", bulk_threshold=10
    )
    assert stats.bulk and stats.full and meter.calls[("salesforce", "bulk2.query.create")] == 2
    columns = [f'"{c}"' for c in sorted({f for fields in SALESFORCE_FIELDS.values() for f in fields})]
    columns += [
        "_sobject",
        "_created_at",
        "_modified_at",
        "_system_modstamp",
        "_deleted",
        "_master_record_id",
        "_last_modified_by_id",
    ]
    select = ", ".join(columns)
    rest = rows(extract_state, f"SELECT id, {select} FROM salesforce_people_snapshot ORDER BY id")
    bulk = rows(extract_state, f"SELECT id, {select} FROM salesforce_bulkpeople_snapshot ORDER BY id")
    assert len(bulk) == len(rest) > 0
    assert bulk == rest


def test_first_load_can_include_the_recycle_bin(first_load, extract_sandboxes, extract_state):
    gone = first_load["ids"][-1]
    extract_sandboxes.post("hubspot", f"hubspot/objects/contacts/{gone}/archive", {})
    hubspot, _ = extract_sandboxes.connectors(extract_state, CallMeter())
    stats, ids = extract_hubspot(
        extract_state, hubspot, "withbin", "contacts", ["email"], "run-6", include_archived=True
    )
    assert gone not in ids
    assert rows(extract_state, "SELECT _archived FROM hubspot_withbin_snapshot WHERE id = ?", gone) == [
        (True,)
    ]


def test_a_contact_restored_from_the_recycle_bin_is_read_live_by_the_archive_check(
    first_load, extract_sandboxes, extract_state, monkeypatch
):
    """A restore does not move the last-modified property the incremental search reads, so the archive
    check reads again, by id, the records the snapshot holds archived that HubSpot lists no more."""
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")
    back = first_load["ids"][-2]
    extract_sandboxes.post("hubspot", f"hubspot/objects/contacts/{back}/archive", {})
    hubspot, _ = extract_sandboxes.connectors(extract_state, CallMeter())
    extract_hubspot(
        extract_state, hubspot, "restored", "contacts", ["email"], "run-r1", include_archived=True
    )
    snapshot = "SELECT _archived, _run_id FROM hubspot_restored_snapshot WHERE id = ?"
    assert rows(extract_state, snapshot, back) == [(True, "run-r1")]

    extract_sandboxes.post("hubspot", f"hubspot/objects/contacts/{back}/restore", {})
    stats, ids = extract_hubspot(extract_state, hubspot, "restored", "contacts", ["email"], "run-r2")
    assert not stats.full
    assert back in ids
    assert rows(extract_state, snapshot, back) == [(False, "run-r2")]


def test_owners_and_users(first_load, extract_sandboxes, extract_state):
    hubspot, salesforce = extract_sandboxes.connectors(extract_state, CallMeter())
    owners, users = extract_owners(extract_state, hubspot, salesforce)
    assert owners > 0 and users > 0
    assert rows(extract_state, "SELECT count(*) FROM hubspot_owners WHERE email LIKE '%@%'")[0][0] == owners
    assert rows(extract_state, "SELECT count(*) FROM salesforce_users WHERE id LIKE '005%'")[0][0] == users


def test_the_overlap_catches_an_edit_hidden_by_search_lag(first_load, extract_sandboxes, extract_state):
    hubspot_emulator = extract_sandboxes.hubspot
    hubspot_emulator.call(lambda: hubspot_emulator.emulator.update_settings({"search_lag_seconds": 1.5}))
    try:
        contact_id = first_load["ids"][1]
        extract_sandboxes.post(
            "hubspot", f"hubspot/objects/contacts/{contact_id}/edit", {"properties": {"jobtitle": "Lagging"}}
        )
        _, _, _, seen_at_once = extract_people(extract_sandboxes, extract_state, "run-lag-1")
        assert contact_id not in seen_at_once  # the search index has not caught up yet
        time.sleep(1.6)
        _, _, _, seen_later = extract_people(extract_sandboxes, extract_state, "run-lag-2")
    finally:
        hubspot_emulator.call(lambda: hubspot_emulator.emulator.update_settings({"search_lag_seconds": 0}))
    assert contact_id in seen_later
    assert rows(extract_state, "SELECT jobtitle FROM hubspot_people_snapshot WHERE id = ?", contact_id) == [
        ("Lagging",)
    ]
