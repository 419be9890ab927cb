"""The `deletes:` setting of a pair: one action for both sides or one per side, the aliases that read well
(`delete`, `archive` mean propagate; `ignore` means report), and whether a GDPR delete erases the person
(on by default for HubSpot contacts only)."""

from __future__ import annotations

import pytest

from crmsync_pipeline.config import DeleteAction, MappingError
from crmsync_pipeline.config.load import parse_mapping

PAIRS = """
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: [Contact, Lead]
    fields: [{hubspot: email, salesforce: Email, direction: two_way, transform: email}]
    deletes: {deletes}
  companies:
    hubspot: companies
    salesforce: Account
    fields: [{hubspot: name, salesforce: Name, direction: two_way}]
    deletes: {company_deletes}
"""


def pairs(deletes: str, company_deletes: str = "report"):  # type: ignore[no-untyped-def]
    mapping = parse_mapping(PAIRS.replace("{deletes}", deletes).replace("{company_deletes}", company_deletes))
    return mapping.pair("contacts"), mapping.pair("companies")


def test_one_word_sets_both_sides_and_aliases_read_as_propagate():
    contacts, _ = pairs("delete")
    assert contacts.deletes.action("hubspot") is DeleteAction.PROPAGATE
    assert contacts.deletes.action("salesforce") is DeleteAction.PROPAGATE
    contacts, _ = pairs("ignore")
    assert contacts.deletes.action("salesforce") is DeleteAction.REPORT


def test_each_side_has_its_own_action():
    contacts, _ = pairs("{deleted_in_hubspot: delete, deleted_in_salesforce: restore}")
    assert contacts.deletes.action("hubspot") is DeleteAction.PROPAGATE
    assert contacts.deletes.action("salesforce") is DeleteAction.RESTORE
    contacts, _ = pairs("{deleted_in_salesforce: archive}")
    assert contacts.deletes.action("hubspot") is DeleteAction.REPORT
    assert contacts.deletes.action("salesforce") is DeleteAction.PROPAGATE


def test_gdpr_erasure_is_on_for_contacts_and_off_for_other_objects_unless_set():
    contacts, companies = pairs("report")
    assert contacts.erases_on_gdpr_delete and not companies.erases_on_gdpr_delete
    contacts, companies = pairs(
        "{deleted_in_hubspot: report, erase_on_gdpr_delete: false}", "{erase_on_gdpr_delete: true}"
    )
    assert not contacts.erases_on_gdpr_delete and companies.erases_on_gdpr_delete


@pytest.mark.parametrize("bad", ["vanish", "{deleted_in_hubspot: shred}", "{deleted_on_tuesday: report}"])
def test_an_unknown_action_or_side_is_refused(bad):
    with pytest.raises(MappingError):
        pairs(bad)
