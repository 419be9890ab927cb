"""`crmsync review resync` forgets a link's base, so the next sync merges it as a first link, where a
two_way field goes to the side that changed it last. "Last" must be the field's own change time where
crmsync has one (HubSpot property history; Salesforce field times, crmsync's own writes included), not
the record's: a person's later edit of another Salesforce field must not bring back an older name. A
field with no time of its own is judged by the records' times, and the plan's reason says so."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from crm_actions import hubspot_edit, hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

INCLUDED = "('marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer')"
LATER = 3.0  # seconds between the HubSpot edit and the Salesforce one: past the 2 s clock-skew window


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=31)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def people(sandbox, sync, query):
    assert sync().success
    rows = query(f"""SELECT l.hubspot_id, l.salesforce_id FROM links l
                     JOIN hubspot_contacts_snapshot h ON h.id = l.hubspot_id
                     JOIN salesforce_contacts_snapshot s ON s.id = l.salesforce_id
                     WHERE l.pair = 'contacts' AND l.salesforce_object = 'Contact'
                       AND h.lifecyclestage IN {INCLUDED} AND s.FirstName IS NOT NULL
                     ORDER BY l.hubspot_id""")
    assert len(rows) >= 2, rows
    return rows


def resync(hubspot_id: str) -> None:
    result = CliRunner().invoke(cli, ["review", "resync", "contacts", hubspot_id])
    assert result.exit_code == 0, result.output


def planned(query, run_id: str, hubspot_id: str, field: str) -> list[tuple]:
    return query(
        "SELECT target, new_value, reason FROM plan_rows WHERE run_id = ? AND hubspot_id = ? AND field = ?",
        run_id,
        hubspot_id,
        field,
    )


def test_resync_keeps_a_newer_hubspot_name_over_a_later_edit_of_another_salesforce_field(
    sandbox, sync, query, people
):
    hubspot_id, salesforce_id = people[0]
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Danny")
    assert sync().success
    assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == "Danny"  # crmsync wrote it

    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Daniel")
    time.sleep(LATER)
    salesforce_edit(sandbox, "Contact", salesforce_id, Title="Head of Renames")  # only the title
    resync(hubspot_id)
    result = sync()
    assert result.success

    assert hubspot_value(sandbox, "contacts", hubspot_id, "firstname") == "Daniel"
    assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == "Daniel"
    assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == "Head of Renames"  # the SF edit
    assert planned(query, result.run_id, hubspot_id, "firstname") == [
        ("salesforce", "Daniel", "two_way:first_link_newer")
    ]


def test_a_field_without_its_own_time_is_judged_by_the_records_and_the_reason_says_so(
    sandbox, sync, query, people
):
    hubspot_id, salesforce_id = people[1]
    # Salesforce's first name is as seeded: never seen to change, never written by crmsync
    assert query(
        "SELECT count(*) FROM salesforce_field_times WHERE salesforce_id = ? AND field = 'FirstName'",
        salesforce_id,
    ) == [(0,)]
    hubspot_edit(sandbox, "contacts", hubspot_id, firstname="Xavier")
    resync(hubspot_id)
    result = sync()
    assert result.success

    assert salesforce_value(sandbox, "Contact", salesforce_id, "FirstName") == "Xavier"
    assert planned(query, result.run_id, hubspot_id, "firstname") == [
        ("salesforce", "Xavier", "two_way:first_link_newer:record_times")
    ]
