"""Review, approval and backfill through the sandboxes: an ambiguous match settled with `crmsync review
resolve --link` syncs on the next run; a plan over the update threshold is held (nothing written) until
`crmsync approve` releases exactly that plan; a newly mapped field is costed by `crmsync plan` and then
backfilled for records linked before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from crm_actions import hubspot_value, salesforce_edit, salesforce_value
from sandboxes import Sandbox

from crmsync_pipeline.cli.main import cli
from crmsync_pipeline.orchestration.resources import default_mapping_path

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it

TOKEN = {"Authorization": "Bearer sandbox-token"}
SHIPPED = Path(default_mapping_path()).read_text()


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=40, seed=3)
    yield box
    box.stop()


def mapping_copy(tmp_path, monkeypatch, text: str) -> None:
    path = tmp_path / "crmsync.yaml"
    path.write_text(text)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(path))


def crmsync(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def linked_contacts(query, n: int) -> list[tuple[str, str]]:
    return query(
        """SELECT hubspot_id, salesforce_id FROM links WHERE pair = 'contacts' AND salesforce_object = 'Contact'
           AND matched_by <> 'review' ORDER BY hubspot_id LIMIT ?""",
        n,
    )


def test_an_ambiguous_match_settled_with_link_syncs_on_the_next_run(sandbox, sync, query):
    email = "twin@ambiguous.example"
    hubspot_id = requests.post(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts",
        headers=TOKEN,
        timeout=10,
        json={
            "properties": {
                "email": email,
                "firstname": "Ambi",
                "lastname": "Twin",
                "lifecyclestage": "customer",
            }
        },
    ).json()["id"]
    twins = [
        requests.post(
            f"{sandbox.salesforce.url}/services/data/v59.0/sobjects/Contact/",
            headers=TOKEN,
            json={"LastName": "Twin", "FirstName": first, "Email": email, "Phone": "+1 555 0170"},
            timeout=10,
        ).json()["id"]
        for first in ("Ambi", "Other")
    ]
    assert sync().success  # the first sync: the new person's email is on two Salesforce Contacts
    items = [i for i in json.loads(crmsync("review", "--json")) if i["hubspot_id"] == hubspot_id]
    assert [(i["kind"], sorted(i["salesforce_ids"])) for i in items] == [("ambiguous_match", sorted(twins))]

    crmsync("review", "resolve", items[0]["item_id"], "--link", hubspot_id, twins[0])
    assert hubspot_id not in {i["hubspot_id"] for i in json.loads(crmsync("review", "--json"))}
    assert sync().success
    assert query("SELECT salesforce_id, matched_by FROM links WHERE hubspot_id = ?", hubspot_id) == [
        (twins[0], "review")
    ]
    # merged as a first link: Salesforce's phone (prefer_salesforce) reached HubSpot
    assert hubspot_value(sandbox, "contacts", hubspot_id, "phone") == "+1 555 0170"


def test_unlink_holds_both_records_and_resync_forgets_base(sandbox, query):
    (hubspot_id, salesforce_id), (other, _) = linked_contacts(query, 2)
    crmsync("review", "unlink", "contacts", hubspot_id)
    assert query("SELECT count(*) FROM links WHERE hubspot_id = ?", hubspot_id) == [(0,)]
    held = [i for i in json.loads(crmsync("review", "--json")) if i["hubspot_id"] == hubspot_id]
    assert [(i["kind"], i["salesforce_ids"]) for i in held] == [("unlinked", [salesforce_id])]
    crmsync("review", "resolve", held[0]["item_id"], "--link", hubspot_id, salesforce_id)
    assert query("SELECT salesforce_id FROM links WHERE hubspot_id = ?", hubspot_id) == [(salesforce_id,)]

    assert query("SELECT count(*) FROM base_values WHERE hubspot_id = ?", other)[0][0] > 0
    assert "forgotten" in crmsync("review", "resync", "contacts", other)
    assert query("SELECT count(*) FROM base_values WHERE hubspot_id = ?", other) == [(0,)]


def test_a_held_plan_writes_only_once_approved_and_only_as_approved(
    sandbox, sync, query, tmp_path, monkeypatch
):
    strict = SHIPPED.replace("max_update_share: 20%", "max_update_share: 5%").replace(
        "ignore_below: 10", "ignore_below: 3"
    )
    mapping_copy(tmp_path, monkeypatch, strict)
    people = linked_contacts(query, 6)
    for n, (_, salesforce_id) in enumerate(people[:4]):
        salesforce_edit(sandbox, "Contact", salesforce_id, Title=f"Mass Title {n}")
    held = sync()
    assert not held.success
    assert query("SELECT count(*) FROM audit_log WHERE run_id = ? AND pair = 'contacts'", held.run_id) == [
        (0,)
    ]
    assert hubspot_value(sandbox, "contacts", people[0][0], "jobtitle") != "Mass Title 0"

    # an approval is bound to the plan it approved: after one more edit the plan differs and is held again
    crmsync("approve", held.run_id, "--pair", "contacts", "--no-sync")
    salesforce_edit(sandbox, "Contact", people[4][1], Title="Mass Title 4")
    again = sync()
    assert not again.success
    assert hubspot_value(sandbox, "contacts", people[4][0], "jobtitle") != "Mass Title 4"

    assert "approved the plan of 5 record update(s)" in crmsync("approve", again.run_id, "--no-sync")
    released = sync()
    assert released.success
    for n, (hubspot_id, _) in enumerate(people[:5]):
        assert hubspot_value(sandbox, "contacts", hubspot_id, "jobtitle") == f"Mass Title {n}"
    assert query("SELECT used_by_run_id FROM plan_approvals WHERE approved_run_id = ?", again.run_id) == [
        (released.run_id,)
    ]


def test_a_newly_mapped_field_is_costed_by_plan_then_backfilled(sandbox, sync, query, tmp_path, monkeypatch):
    added = (
        "      - {name: department, hubspot: company, salesforce: Department, direction: prefer_hubspot,\n"
        "         salesforce_objects: Contact}\n"
    )
    anchor = "      - {hubspot: phone, salesforce: Phone, direction: prefer_salesforce, transform: phone}\n"
    assert anchor in SHIPPED
    mapping_copy(tmp_path, monkeypatch, SHIPPED.replace(anchor, anchor + added))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    contacts = query("SELECT count(*) FROM links WHERE pair = 'contacts' AND salesforce_object = 'Contact'")[
        0
    ][0]

    output = CliRunner().invoke(cli, ["plan"], env={"COLUMNS": "200"}).output
    assert "Backfill of newly mapped fields" in output, output
    run_id = re.search(r"\(run ([0-9a-f-]{36})\)", output).group(1)
    costs = query(
        """SELECT target, count(DISTINCT record_ref) FROM plan_rows
           WHERE run_id = ? AND field = 'department' AND action = 'update' GROUP BY ALL""",
        run_id,
    )
    assert costs and costs[0][0] == "salesforce" and 0 < costs[0][1] <= contacts

    # a backfill touching most linked records is over the update threshold: the plan just shown is approved
    crmsync("approve", run_id, "--pair", "contacts", "--no-sync")
    assert sync().success
    hubspot_id, salesforce_id = linked_contacts(query, 1)[0]
    company = hubspot_value(sandbox, "contacts", hubspot_id, "company")
    assert company and salesforce_value(sandbox, "Contact", salesforce_id, "Department") == company[:80]
