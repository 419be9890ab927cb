"""Changing the mapping file between syncs, as a user edits crmsync.yaml: a field's mapping removed and
put back, a new field mapped, a direction, a transform or a value map changed. Each must leave the
values nobody edited alone, carry the edits made meanwhile under the field's rule, and write nothing
the change does not call for. The CRMs are the oracle: their values, and the sandboxes' write counters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.orchestration.resources import default_mapping_path

INCLUDED = "('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')"
PHONE_LINE = "      - {hubspot: phone, salesforce: Phone, direction: prefer_salesforce, transform: phone}\n"
MOBILE_LINE = "      - {hubspot: mobilephone, salesforce: MobilePhone, direction: two_way}\n"
DOMAIN_TRANSFORM = "transform: {kind: domain, url_on: salesforce}"
DEFAULT_MAPPING = Path(default_mapping_path()).read_text()
SKEW = 2.5  # past crmsync's 2 s clock-skew window

pytestmark = pytest.mark.slow  # about four minutes: make test-slow


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=31)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def use_mapping(crm_env, tmp_path_factory):
    """Point crmsync at a mapping file made from the shipped one by `edit(text) -> text`, as a user
    editing crmsync.yaml; `use_mapping()` goes back to the shipped file."""
    path = tmp_path_factory.mktemp("mapping") / "crmsync.yaml"
    mp = pytest.MonkeyPatch()

    def use(edit=None) -> None:
        text = DEFAULT_MAPPING if edit is None else edit(DEFAULT_MAPPING)
        assert edit is None or text != DEFAULT_MAPPING, "the edit changed nothing in the shipped mapping"
        path.write_text(text)
        mp.setenv("CRMSYNC_CONFIG", str(path))

    use()
    yield use
    mp.undo()


@pytest.fixture(scope="module")
def people(sandbox, sync, query, use_mapping):
    """Linked, included Contacts (HubSpot id, Salesforce id), in a fixed order; each test takes its own."""
    assert sync().success
    rows = query(f"""SELECT l.hubspot_id, l.salesforce_id FROM links l
                     JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                     WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
                       AND h.lifecyclestage IN {INCLUDED}
                     ORDER BY l.hubspot_id""")
    assert len(rows) >= 12, rows
    return rows


@pytest.fixture(autouse=True)
def shipped_mapping_after(use_mapping):
    """Each test starts from the shipped mapping file and goes back to it, even when it fails."""
    yield
    use_mapping()


def without_phone(text: str) -> str:
    assert PHONE_LINE in text
    return text.replace(PHONE_LINE, "")


def set_both(sandbox, hubspot_id: str, salesforce_id: str, hubspot: dict, salesforce: dict) -> None:
    hubspot_edit(sandbox, "contacts", hubspot_id, **hubspot)
    salesforce_edit(sandbox, "Contact", salesforce_id, **salesforce)


def write_calls(sandbox) -> dict[str, int]:
    """Record writes each CRM has taken so far (the sandboxes' own counters)."""
    stats = {
        name: requests.get(f"{t.url}/_sandbox/stats", timeout=10).json()
        for name, t in (("hubspot", sandbox.hubspot), ("salesforce", sandbox.salesforce))
    }
    return {name: s.get("records_written", 0) for name, s in stats.items()}


def drift_check(result):
    [check] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path == ["sync_health_report"] and e.check_name == "drift"
    ]
    return check


def test_a_mapping_removed_and_put_back_keeps_untouched_values_and_carries_edits_made_meanwhile(
    sandbox, sync, query, use_mapping, people
):
    (h1, s1), (h2, s2), (h3, s3) = people[0:3]
    for i, (h, s) in enumerate(people[0:3], start=1):
        set_both(sandbox, h, s, {"phone": f"555100{i}"}, {"Phone": f"555100{i}"})
    assert sync().success  # equal on both sides: agreed, nothing written

    use_mapping(without_phone)
    assert sync().success
    hubspot_edit(sandbox, "contacts", h1, firstname="Renamed-While-Unmapped")
    salesforce_edit(sandbox, "Contact", s2, Phone="5552002")
    assert sync().success  # still unmapped: the phones are not synced, the first name is

    use_mapping()
    result = sync()
    assert result.success
    # c3, never touched, keeps its phone on both sides
    assert hubspot_value(sandbox, "contacts", h3, "phone") == "5551003"
    assert salesforce_value(sandbox, "Contact", s3, "Phone") == "5551003"
    # c2's Salesforce edit, made while the field was unmapped, crosses under the field's rule
    assert hubspot_value(sandbox, "contacts", h2, "phone") == "5552002"
    assert salesforce_value(sandbox, "Contact", s2, "Phone") == "5552002"
    # c1's phone was never edited; its first name crossed while the phone was unmapped
    assert hubspot_value(sandbox, "contacts", h1, "phone") == "5551001"
    assert salesforce_value(sandbox, "Contact", s1, "Phone") == "5551001"
    assert salesforce_value(sandbox, "Contact", s1, "FirstName") == "Renamed-While-Unmapped"
    planned = query(
        "SELECT hubspot_id, target, new_value, reason FROM plan_rows WHERE run_id = ? AND field = 'phone'"
        " AND hubspot_id IN (?, ?, ?)",
        result.run_id,
        h1,
        h2,
        h3,
    )
    assert planned == [(h2, "hubspot", "5552002", "prefer_salesforce:salesforce_changed")]
    assert drift_check(result).passed

    again = sync()  # and nothing is left to do
    assert again.success
    assert query("SELECT count(*) FROM plan_rows WHERE run_id = ? AND field = 'phone'", again.run_id) == [
        (0,)
    ]


def with_mobile_phone(text: str) -> str:
    return text.replace(PHONE_LINE, PHONE_LINE + MOBILE_LINE)


def salesforce_record(sandbox, sobject: str, record_id: str) -> dict:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/{sobject}/{record_id}"
    return requests.get(url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10).json()


def test_a_new_field_is_read_afresh_and_merged_by_the_first_link_rules(
    sandbox, sync, query, use_mapping, people
):
    (h1, s1), (h2, s2), (h3, s3) = people[3:6]
    hubspot_edit(sandbox, "contacts", h1, mobilephone="5553001")  # only HubSpot holds it: fills Salesforce
    hubspot_edit(sandbox, "contacts", h2, mobilephone="5553002")
    time.sleep(SKEW)
    salesforce_edit(sandbox, "Contact", s2, MobilePhone="5554002")  # both, Salesforce's is the newer
    set_both(sandbox, h3, s3, {"mobilephone": "5553003"}, {"MobilePhone": "5553003"})  # equal: no write
    use_mapping(with_mobile_phone)
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", s1, "MobilePhone") == "5553001"
    assert hubspot_value(sandbox, "contacts", h2, "mobilephone") == "5554002"
    assert salesforce_value(sandbox, "Contact", s2, "MobilePhone") == "5554002"
    planned = query(
        "SELECT hubspot_id, target, reason FROM plan_rows WHERE run_id = ? AND field = 'mobilephone'"
        " AND hubspot_id IN (?, ?, ?) ORDER BY hubspot_id",
        result.run_id,
        h1,
        h2,
        h3,
    )
    assert planned == sorted([(h1, "salesforce", "fill_empty"), (h2, "hubspot", "two_way:first_link_newer")])


def test_a_direction_change_takes_effect_without_a_write_of_its_own(
    sandbox, sync, query, use_mapping, people
):
    (h1, s1), (h2, s2) = people[6:8]
    set_both(sandbox, h1, s1, {"phone": "5555001"}, {"Phone": "5555001"})
    set_both(sandbox, h2, s2, {"phone": "5555002"}, {"Phone": "5555002"})
    assert sync().success
    untouched = salesforce_record(sandbox, "Contact", s2)["LastModifiedDate"]

    use_mapping(
        lambda text: text.replace(PHONE_LINE, PHONE_LINE.replace("prefer_salesforce", "always_hubspot"))
    )
    changed = sync()
    assert changed.success
    assert query("SELECT count(*) FROM plan_rows WHERE run_id = ? AND field = 'phone'", changed.run_id) == [
        (0,)
    ]
    assert salesforce_record(sandbox, "Contact", s2)["LastModifiedDate"] == untouched  # nothing written

    salesforce_edit(sandbox, "Contact", s1, Phone="5556001")  # now reverted: HubSpot always wins
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Contact", s1, "Phone") == "5555001"
    assert query(
        "SELECT hubspot_id, reason FROM plan_rows WHERE run_id = ? AND field = 'phone'", result.run_id
    ) == [(h1, "always_hubspot:overridden")]


def linked_companies(query) -> list[tuple[str, str]]:
    return query("""SELECT l.hubspot_id, l.salesforce_id FROM links l
                    WHERE l.pair = 'companies' ORDER BY l.hubspot_id""")


def test_a_transform_change_that_keeps_values_equal_writes_nothing_and_edits_still_cross(
    sandbox, sync, query, use_mapping, people
):
    [(h1, s1), *_] = linked_companies(query)
    assert DOMAIN_TRANSFORM in DEFAULT_MAPPING
    hubspot_edit(sandbox, "companies", h1, domain="renamed-while-remapped.io")
    use_mapping(lambda text: text.replace(DOMAIN_TRANSFORM, "transform: domain"))  # no https:// written
    result = sync()
    assert result.success
    assert salesforce_value(sandbox, "Account", s1, "Website") == "renamed-while-remapped.io"
    assert query(
        "SELECT hubspot_id, target FROM plan_rows WHERE run_id = ? AND field = 'domain'", result.run_id
    ) == [(h1, "salesforce")]
    [(form,)] = query("SELECT form FROM mapped_fields WHERE pair = 'companies' AND field = 'domain'")
    assert '"url_on": null' in form  # the new form is what base is now kept in


def test_a_value_map_change_does_not_overwrite_a_value_nobody_edited(
    sandbox, sync, query, use_mapping, people
):
    (h1, s1), (h2, s2) = linked_companies(query)[1:3]
    hubspot_edit(sandbox, "companies", h1, industry="INTERNET")
    salesforce_edit(sandbox, "Account", s1, Industry="Technology")  # INTERNET maps to Technology: agreed
    hubspot_edit(sandbox, "companies", h2, industry="BANKING")
    salesforce_edit(sandbox, "Account", s2, Industry="Banking")
    first = sync()
    assert first.success
    assert salesforce_value(sandbox, "Account", s1, "Industry") == "Technology"

    # INTERNET now means Media: the two sides differ, though neither was edited
    use_mapping(lambda text: text.replace("      INTERNET: Technology\n", "      INTERNET: Media\n"))
    result = sync()
    assert result.success
    # industry is prefer_salesforce: judged as a first link, Salesforce's value stays and HubSpot follows
    assert salesforce_value(sandbox, "Account", s1, "Industry") == "Technology"
    assert hubspot_value(sandbox, "companies", h1, "industry") == "COMPUTER_SOFTWARE"
    assert query(
        "SELECT hubspot_id, target, reason FROM plan_rows WHERE run_id = ? AND field = 'industry'",
        result.run_id,
    ) == [(h1, "hubspot", "prefer_salesforce:first_link")]
    assert salesforce_value(sandbox, "Account", s2, "Industry") == "Banking"
