"""The run summary tells the truth: per pair and side, its figures (read, linked, created, updated,
deleted, merged, unchanged, conflicts, errors, associations) add up against the state tables and against
the CRMs themselves, counted through their own APIs before and after a run (a new id is a record
created, a changed modification stamp a record written, a missing id a record deleted, a MasterRecordId
a record merged), on a first sync and on a later one with deletes, an archive, a merge and a removed
deal contact role."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests
from sandboxes import Sandbox

from crmsync_pipeline.cli.run_report import run_table
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
# figure -> the column of the run summary table (and the key of the writes assets' metadata)
LABELS = {
    "records_read": "read", "linked": "linked", "created": "created", "updated": "updated",
    "deleted": "deleted", "merged": "merged", "unchanged": "unchanged", "conflicts": "conflicts",
    "errors": "errors", "associations_added": "associations added", "associations_removed": "associations removed",
}  # fmt: skip
SHIPPED = Path(default_mapping_path()).read_text()
HUBSPOT_OBJECTS = {"companies": "companies", "contacts": "contacts"}
SALESFORCE_OBJECTS = {"companies": ("Account",), "contacts": ("Contact", "Lead")}


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=60, seed=21)
    yield box
    box.stop()


def hubspot_records(sandbox, object_type: str) -> dict[str, str]:
    """Live HubSpot records of a type: id -> hs_lastmodifieddate, paged through the CRM's own API."""
    out, after = {}, None
    while True:
        params = {"limit": 100, "properties": "hs_lastmodifieddate", **({"after": after} if after else {})}
        url = f"{sandbox.hubspot.url}/crm/v3/objects/{object_type}"
        body = requests.get(url, headers=TOKEN, params=params, timeout=10).json()
        out |= {r["id"]: r["updatedAt"] for r in body["results"]}
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return out


def soql(sandbox, text: str, all_rows: bool = False) -> list[dict]:
    route = "queryAll" if all_rows else "query"
    url = f"{sandbox.salesforce.url}/services/data/v59.0/{route}/"
    body = requests.get(url, headers=TOKEN, params={"q": text}, timeout=10).json()
    records = body["records"]
    while not body["done"]:
        body = requests.get(
            f"{sandbox.salesforce.url}{body['nextRecordsUrl']}", headers=TOKEN, timeout=10
        ).json()
        records += body["records"]
    return records


def salesforce_records(sandbox, sobjects: tuple[str, ...]) -> dict[str, str]:
    """Live Salesforce records: id -> SystemModstamp."""
    return {
        r["Id"]: r["SystemModstamp"]
        for o in sobjects
        for r in soql(sandbox, f"SELECT Id, SystemModstamp FROM {o}")
    }


def inventory(sandbox) -> dict[tuple[str, str], dict[str, str]]:
    """(pair, side) -> the CRM's live records of the pair with their modification stamps."""
    out = {}
    for pair in HUBSPOT_OBJECTS:
        out[(pair, "hubspot")] = hubspot_records(sandbox, HUBSPOT_OBJECTS[pair])
        out[(pair, "salesforce")] = salesforce_records(sandbox, SALESFORCE_OBJECTS[pair])
    return out


class Row(dict):
    """One row of the run summary table `crmsync sync` prints, by column label (a column the table
    lacks reads 0)."""

    def __getattr__(self, name: str) -> int:
        return int(self.get(LABELS[name], 0))


def figures(run_id: str) -> dict[tuple[str, str], Row]:
    """The run summary as the CLI's table shows it (cli/run_report.py), per pair and side; association
    changes are in its caption ("deals on hubspot +0 -1")."""
    table = run_table(
        Path(os.environ["CRMSYNC_STATE_DB"]), run_id, ["companies", "contacts", "deals", "tasks"], ""
    )
    columns = {str(c.header): list(c.cells) for c in table.columns}
    rows = {}
    for n, (pair, side) in enumerate(zip(columns["pair"], columns["side"], strict=True)):
        rows[(pair, side)] = Row({k: v[n] for k, v in columns.items() if k not in ("pair", "side")})
    for pair, side, added, removed in re.findall(r"(\w+) on (\w+) \+(\d+) -(\d+)", str(table.caption or "")):
        rows[(pair, side)] |= {LABELS["associations_added"]: added, LABELS["associations_removed"]: removed}
    return rows


def linked_ids(query, pair: str, side: str) -> set[str]:
    return {r[0] for r in query(f"SELECT {side}_id FROM links WHERE pair = ?", pair)}


def assert_figures_match_the_crms(before, after, shown, query) -> None:
    for (pair, side), then in before.items():
        now, row = after[(pair, side)], shown[(pair, side)]
        created = now.keys() - then.keys()
        gone = then.keys() - now.keys()
        written = {i for i in then.keys() & now.keys() if then[i] != now[i]}
        untouched = {i for i in then.keys() & now.keys() if then[i] == now[i]}
        where = f"{pair}/{side}"
        assert row.created == len(created), where
        assert row.updated == len(written), where
        assert row.deleted + row.merged == len(gone), where
        assert row.unchanged == len(untouched & linked_ids(query, pair, side)), where


def test_the_first_sync_figures_add_up_against_the_state_and_the_crms(sandbox, crm_env, sync, query):
    before = inventory(sandbox)
    result = sync()
    assert result.success
    after = inventory(sandbox)
    shown = figures(result.run_id)
    companies = shown[("companies", "hubspot")]
    assert companies.unchanged != companies.created or companies.created == 0
    assert_figures_match_the_crms(before, after, shown, query)
    for (pair, side), row in shown.items():
        (read,) = query(f"SELECT count(*) FROM {side}_{pair}_snapshot WHERE _run_id = ?", result.run_id)[0]
        (links,) = query("SELECT count(*) FROM links WHERE pair = ?", pair)[0]
        assert row.records_read == read
        assert row.created + row.updated + row.unchanged <= links  # every linked record counted once
        (failed,) = query(
            "SELECT count(DISTINCT record_ref) FROM write_results WHERE run_id = ? AND pair = ? AND target = ? "
            "AND NOT succeeded",
            result.run_id,
            pair,
            side,
        )[0]
        assert row.errors == failed
    # the runs table's summary and the writes assets' metadata hold the same figures
    (summary,) = query("SELECT summary FROM runs WHERE run_id = ?", result.run_id)[0]
    for kept in json.loads(summary)["figures"]:
        row = shown[(kept["pair"], kept["side"])]
        assert {name: kept[name] for name in LABELS} == {name: getattr(row, name) for name in LABELS}
    for side in ("hubspot", "salesforce"):
        [materialization] = [
            m for m in result.get_asset_materialization_events()
            if m.asset_key.to_user_string() == f"{side}_contacts_writes"
        ]  # fmt: skip
        metadata = {k: v.value for k, v in materialization.materialization.metadata.items()}
        row = shown[("contacts", side)]
        assert {name: metadata.get(label) for name, label in LABELS.items()} == {
            name: getattr(row, name) for name in LABELS
        }


def policies(tmp_path, monkeypatch) -> None:
    """The shipped mapping with `deletes: propagate` and `merges: mirror` on every pair."""
    text = SHIPPED.replace("    deletes: report\n", "    deletes: propagate\n    merges: mirror\n")
    assert text != SHIPPED
    (tmp_path / "crmsync.yaml").write_text(text)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "crmsync.yaml"))
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for archives every cycle


def deal_roles(query) -> list[tuple[str, str, str, str]]:
    """(HubSpot deal, HubSpot contact, Opportunity, Salesforce Contact) of the agreed deal contact roles."""
    return query(
        """SELECT b.hubspot_id, replace(b.field, '@junction:OpportunityContactRole:', ''), d.salesforce_id,
                  c.salesforce_id
           FROM base_values b
           JOIN links d ON d.pair = 'deals' AND d.hubspot_id = b.hubspot_id
           JOIN links c ON c.pair = 'contacts'
            AND c.hubspot_id = replace(b.field, '@junction:OpportunityContactRole:', '')
           WHERE b.pair = 'deals' AND b.field LIKE '@junction:%' ORDER BY 1, 2"""
    )


def free_contacts(query, taken: set[str]) -> list[tuple[str, str, str]]:
    """Linked live Salesforce Contacts and their HubSpot twins, none of them in a deal contact role."""
    rows = query(
        """SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id FROM links l
           JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id AND NOT coalesce(h._archived, false)
           JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id AND NOT coalesce(s._deleted, false)
           WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact' ORDER BY l.hubspot_id"""
    )
    return [r for r in rows if r[0] not in taken]


def opportunity_roles(sandbox, opportunity_id: str) -> dict[str, str]:
    """ContactId -> OpportunityContactRole Id, as Salesforce holds them."""
    rows = soql(
        sandbox, f"SELECT Id, ContactId FROM OpportunityContactRole WHERE OpportunityId = '{opportunity_id}'"
    )
    return {r["ContactId"]: r["Id"] for r in rows}


def hubspot_deal_contacts(sandbox, deal_id: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal_id}/associations/contacts"
    return {
        str(r["toObjectId"]) for r in requests.get(url, headers=TOKEN, timeout=10).json().get("results", [])
    }


def test_deletes_an_archive_a_merge_and_a_removed_contact_role_are_counted(
    sandbox, crm_env, sync, query, tmp_path, monkeypatch
):
    policies(tmp_path, monkeypatch)
    assert sync().success  # settles whatever the first sync left (the policies' first cycle)
    roles = deal_roles(query)
    assert roles, "the seed should give a deal with a synced contact role"
    deal, role_contact, opportunity, sf_role_contact = roles[0]
    (h1, _, s1), (h2, _, s2), (h3, _, s3), (h4, _, s4) = free_contacts(query, {r[1] for r in roles})[:4]

    requests.delete(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{h1}", headers=TOKEN, timeout=10
    ).raise_for_status()
    requests.delete(f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/{s2}", headers=TOKEN,
                    timeout=10).raise_for_status()  # fmt: skip
    requests.post(f"{sandbox.hubspot.url}/crm/v3/objects/contacts/merge", headers=TOKEN, timeout=10,
                  json={"primaryObjectId": h3, "objectIdToMerge": h4}).raise_for_status()  # fmt: skip
    role = opportunity_roles(sandbox, opportunity)[sf_role_contact]
    requests.delete(f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/OpportunityContactRole/{role}",
                    headers=TOKEN, timeout=10).raise_for_status()  # fmt: skip
    contacts_of_deal = hubspot_deal_contacts(sandbox, deal)
    assert role_contact in contacts_of_deal

    before = inventory(sandbox)
    result = sync()
    assert result.success
    after = inventory(sandbox)
    shown = figures(result.run_id)

    # on the CRMs: Salesforce lost s1 (deleted) and s4 (merged into s3); HubSpot archived s2's twin h2
    assert s1 not in after[("contacts", "salesforce")] and s4 not in after[("contacts", "salesforce")]
    [merged] = soql(sandbox, f"SELECT IsDeleted, MasterRecordId FROM Contact WHERE Id = '{s4}'", True)
    assert merged["MasterRecordId"] == s3
    assert h2 not in after[("contacts", "hubspot")]
    assert hubspot_deal_contacts(sandbox, deal) == contacts_of_deal - {role_contact}

    sf, hs = shown[("contacts", "salesforce")], shown[("contacts", "hubspot")]
    assert (sf.deleted, sf.merged) == (1, 1)
    assert (hs.deleted, hs.merged) == (1, 0)
    assert shown[("deals", "hubspot")].associations_removed == 1
    assert shown[("deals", "hubspot")].updated >= 1  # the deal whose contact went
    assert_figures_match_the_crms(before, after, shown, query)
    (linked,) = query("SELECT count(*) FROM links WHERE pair = 'contacts'")[0]
    assert sf.unchanged + sf.updated + sf.created == linked
