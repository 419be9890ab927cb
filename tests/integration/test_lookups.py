"""A record's link to a record of another pair changes after both exist: a contact moves to another
company in Salesforce, a contact's company is changed in HubSpot, a lookup is cleared. The next sync
carries the move across (adding and removing HubSpot associations, setting the Salesforce lookup) and
the one after writes nothing."""

from __future__ import annotations

import pytest
import requests
from crm_actions import hubspot_edit, salesforce_edit, salesforce_value

pytestmark = pytest.mark.slow  # make test-slow

TOKEN = {"Authorization": "Bearer sandbox-token"}


def hubspot_companies_of(sandbox, contact_id: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact_id}/associations/companies"
    body = requests.get(url, headers=TOKEN, timeout=10).json()
    return {str(r["toObjectId"]) for r in body.get("results", [])}


def hubspot_associate(sandbox, contact_id: str, company_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact_id}/associations/default/companies/{company_id}"
    requests.put(url, headers=TOKEN, timeout=10).raise_for_status()


def hubspot_dissociate(sandbox, contact_id: str, company_id: str) -> None:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def settled(sandbox, sync, query):
    """Three synced Salesforce Contacts with a linked Account that HubSpot's inclusion rule admits, and two
    spare linked companies."""
    for _ in range(2):
        assert sync().success
    contacts = query("""SELECT l.hubspot_id, l.salesforce_id, c.hubspot_id AS company
                        FROM links l
                        JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
                        JOIN links c ON c.pair = 'companies' AND c.salesforce_id = s.AccountId
                        JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                        WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
                          AND h.lifecyclestage IN ('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity',
                                                   'customer')  -- HubSpot's side of the inclusion rule
                        ORDER BY l.hubspot_id LIMIT 3""")
    companies = query(
        "SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'companies' ORDER BY 1 DESC LIMIT 2"
    )
    assert len(contacts) == 3 and len(companies) == 2
    return contacts, companies


def writes_of(query, run_id: str) -> list[tuple]:
    return query(
        "SELECT target, field, count(*) FROM plan_rows WHERE run_id = ? AND preflight_error IS NULL GROUP BY ALL",
        run_id,
    )


def test_lookup_moves_and_clears_cross_over_and_then_rest(sandbox, sync, settled, query):
    contacts, companies = settled
    (moved_h, moved_s, old_company), (cleared_h, cleared_s, cleared_company), (hs_h, hs_s, hs_old) = contacts
    (new_company_h, new_company_s), (other_company_h, other_company_s) = companies
    assert new_company_h != old_company and other_company_h != hs_old

    salesforce_edit(sandbox, "Contact", moved_s, AccountId=new_company_s)  # moved in Salesforce
    salesforce_edit(sandbox, "Contact", cleared_s, AccountId=None)  # cleared in Salesforce
    # moved in HubSpot; HubSpot does not stamp a record whose associations alone change, so the user
    # also edits it (crmsync re-reads a record's associations when it reads the record)
    hubspot_dissociate(sandbox, hs_h, hs_old)
    hubspot_associate(sandbox, hs_h, other_company_h)
    hubspot_edit(sandbox, "contacts", hs_h, jobtitle="Moved companies")

    result = sync()
    assert result.success
    assert hubspot_companies_of(sandbox, moved_h) == {new_company_h}
    assert cleared_company not in hubspot_companies_of(sandbox, cleared_h)
    assert salesforce_value(sandbox, "Contact", hs_s, "AccountId") == other_company_s
    planned = writes_of(query, result.run_id)
    assert ("hubspot", "@association:companies", 2) in planned  # the move's add and the clear's removal
    assert ("salesforce", "@association:companies", 1) in planned
    failed = query("SELECT count(*) FROM write_results WHERE run_id = ? AND NOT succeeded", result.run_id)
    assert failed == [(0,)]

    again = sync()
    assert again.success
    assert [w for w in writes_of(query, again.run_id) if w[1].startswith("@association")] == []
    assert hubspot_companies_of(sandbox, moved_h) == {new_company_h}
    assert salesforce_value(sandbox, "Contact", cleared_s, "AccountId") is None


def deal_contacts_of(sandbox, deal_id: str) -> set[str]:
    url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal_id}/associations/contacts"
    return {
        str(r["toObjectId"]) for r in requests.get(url, headers=TOKEN, timeout=10).json().get("results", [])
    }


def contact_roles(sandbox, opportunity_id: str) -> dict[str, str]:
    """ContactId -> OpportunityContactRole Id."""
    soql = f"SELECT Id, ContactId FROM OpportunityContactRole WHERE OpportunityId = '{opportunity_id}'"
    url = f"{sandbox.salesforce.url}/services/data/v59.0/query"
    records = requests.get(url, params={"q": soql}, headers=TOKEN, timeout=10).json()["records"]
    return {r["ContactId"]: r["Id"] for r in records}


def test_a_deal_contact_removed_on_one_side_is_removed_on_the_other(sandbox, sync, settled, query):
    agreed = query("""SELECT b.hubspot_id, replace(b.field, '@junction:OpportunityContactRole:', ''),
                             d.salesforce_id, c.salesforce_id
                      FROM base_values b
                      JOIN links d ON d.pair = 'deals' AND d.hubspot_id = b.hubspot_id
                      JOIN links c ON c.pair = 'contacts'
                       AND c.hubspot_id = replace(b.field, '@junction:OpportunityContactRole:', '')
                      JOIN hubspot_deals_snapshot h ON h.id = b.hubspot_id
                      WHERE b.pair = 'deals' AND b.field LIKE '@junction:%' ORDER BY 1, 2""")
    by_deal = {}
    for deal, contact, opportunity, sf_contact in agreed:
        by_deal.setdefault(deal, (deal, contact, opportunity, sf_contact))
    assert len(by_deal) >= 2, "the seed should give at least two deals with a synced contact"
    (deal_a, contact_a, opp_a, sf_contact_a), (deal_b, contact_b, opp_b, sf_contact_b) = list(
        by_deal.values()
    )[:2]

    role = contact_roles(sandbox, opp_a)[sf_contact_a]
    requests.delete(
        f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/OpportunityContactRole/{role}",
        headers=TOKEN,
        timeout=10,
    ).raise_for_status()
    url = f"{sandbox.hubspot.url}/crm/v4/objects/deals/{deal_b}/associations/contacts/{contact_b}"
    requests.delete(url, headers=TOKEN, timeout=10).raise_for_status()
    hubspot_edit(sandbox, "deals", deal_b, dealname="Fewer contacts")  # so the deal is read again

    result = sync()
    assert result.success
    assert contact_a not in deal_contacts_of(sandbox, deal_a)
    assert sf_contact_b not in contact_roles(sandbox, opp_b)
    removed = query(
        "SELECT target, count(*) FROM write_results WHERE run_id = ? AND operation = 'dissociate' GROUP BY ALL",
        result.run_id,
    )
    assert sorted(removed) == [("hubspot", 1), ("salesforce", 1)]  # each removal kept with its result

    again = sync()
    assert again.success
    assert contact_a not in deal_contacts_of(sandbox, deal_a)
    assert sf_contact_b not in contact_roles(sandbox, opp_b)
    junction_writes = query(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND operation IN ('associate', 'dissociate')",
        again.run_id,
    )
    assert junction_writes == [(0,)]
