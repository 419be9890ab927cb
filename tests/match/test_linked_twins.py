"""A new record whose key matches a twin linked to another record (match/linked_twins.py), on hand-built
snapshots with a fake PartnerReads standing in for the targeted reads (the HTTP path is covered end to
end in tests/integration/test_recreated_within_window.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import test_match
from test_match import CONTACTS, NOW, hubspot, links, salesforce

from crmsync_pipeline.match.links import match_links

con = test_match.con  # the state file with the two snapshot tables


@dataclass
class FakeReads:
    live: set[str]
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def live_hubspot(self, ids: list[str]) -> set[str]:
        self.calls.append(("hubspot", ids))
        return set(ids) & self.live

    def live_salesforce(self, sobject: str, ids: list[str]) -> set[str]:
        self.calls.append((sobject, ids))
        return set(ids) & self.live


def link(con, hubspot_id: str, salesforce_id: str, sobject: str = "Contact") -> None:
    con.execute(
        "INSERT INTO links VALUES ('contacts', ?, ?, ?, 'email', ?, 'run0')",
        [hubspot_id, sobject, salesforce_id, NOW],
    )


def run(con, reads, run_id="run1"):
    return match_links(con, "contacts", CONTACTS, run_id, NOW, reads=reads)


def open_items(con):
    return con.execute(
        "SELECT kind, hubspot_id, salesforce_ids, detail->>'kept' FROM review_items "
        "WHERE settled_at IS NULL ORDER BY item_id"
    ).fetchall()


def test_a_contact_archived_unseen_and_re_created_takes_its_link_after_one_read(con):
    hubspot(con, "1", email="ann@acme.org")  # archived in HubSpot, the snapshot does not know yet
    hubspot(con, "2", email="ann@acme.org")  # the same person entered again
    salesforce(con, "003A", "Contact", email="ann@acme.org")
    link(con, "1", "003A")
    reads = FakeReads(live=set())
    result = run(con, reads)
    assert reads.calls == [("hubspot", ["1"])]
    assert links(con) == {"2": "003A:email"}
    assert result.gone_partners == 1 and result.recreated == 1
    assert con.execute("SELECT _archived FROM hubspot_contacts_snapshot WHERE id = '1'").fetchall() == [
        (True,)
    ]
    assert con.execute("SELECT hubspot_id, action FROM deleted_links").fetchall() == [("1", "recreated")]
    assert open_items(con) == []


def test_a_live_duplicate_waits_in_review_and_is_read_once(con):
    hubspot(con, "1", first="Kay", last="Smith", company="Acme Ltd")
    hubspot(con, "2", first="Kay", last="Smith", company="ACME")
    salesforce(con, "00QK", "Lead", first="Kay", last="Smith", company="Acme")
    link(con, "1", "00QK", "Lead")
    reads = FakeReads(live={"1"})
    result = run(con, reads)
    assert links(con) == {"1": "00QK:email"}
    assert result.held_duplicates == 1
    assert open_items(con) == [("duplicate_hubspot", "2", [], "1")]
    run(con, reads, "run2")  # held: not read again
    assert reads.calls == [("hubspot", ["1"])]
    assert open_items(con) == [("duplicate_hubspot", "2", [], "1")]
    # the archive check later sees the kept contact archived: the held one takes its place
    con.execute("UPDATE hubspot_contacts_snapshot SET _archived = true WHERE id = '1'")
    run(con, reads, "run3")
    assert links(con) == {"2": "00QK:name_and_company"}
    assert open_items(con) == []


def test_without_reads_the_record_waits_rather_than_being_created(con):
    hubspot(con, "1", email="bo@acme.org")
    hubspot(con, "2", email="BO@acme.org ")
    salesforce(con, "003B", "Contact", email="bo@acme.org")
    link(con, "1", "003B")
    run(con, None)
    assert open_items(con) == [("duplicate_hubspot", "2", [], "1")]


def test_a_salesforce_contact_hard_deleted_and_entered_again_takes_its_link(con):
    hubspot(con, "1", email="cy@acme.org")
    salesforce(con, "003C", "Contact", email="cy@acme.org")  # hard-deleted: queryAll no longer has it
    salesforce(con, "003D", "Contact", email="cy@acme.org")
    link(con, "1", "003C")
    reads = FakeReads(live={"1", "003D"})
    run(con, reads)
    assert ("Contact", ["003C"]) in reads.calls
    assert links(con) == {"1": "003D:email"}
    assert con.execute("SELECT _deleted FROM salesforce_contacts_snapshot WHERE id = '003C'").fetchall() == [
        (True,)
    ]


def merged_into(con, survivor: str, losers: str) -> None:
    """HubSpot's merge as the snapshot shows it: the survivor lists the losers in hs_merged_object_ids."""
    con.execute("ALTER TABLE hubspot_contacts_snapshot ADD COLUMN IF NOT EXISTS hs_merged_object_ids VARCHAR")
    con.execute(
        "UPDATE hubspot_contacts_snapshot SET hs_merged_object_ids = ? WHERE id = ?", [losers, survivor]
    )


def test_a_linked_contact_merged_into_a_new_one_keeps_its_link_for_the_plan_to_move(con):
    """Not a re-creation: the plan moves the loser's link to the survivor and records the merge
    (plan/record_merges.py); the match stage neither reads the loser nor releases its link."""
    hubspot(con, "1", email="di@acme.org")  # the loser, not yet seen archived
    hubspot(con, "2", email="di@acme.org")  # the survivor; HubSpot's merge filled its email from the loser
    salesforce(con, "003E", "Contact", email="di@acme.org")
    link(con, "1", "003E")
    merged_into(con, "2", "1")
    reads = FakeReads(live=set())  # a merged-away id answers its survivor: never live
    run(con, reads)
    assert reads.calls == []
    assert links(con) == {"1": "003E:email"}
    assert con.execute("SELECT count(*) FROM deleted_links").fetchall() == [(0,)]
    assert open_items(con) == []
    # the archive check marks the loser archived before the plan ran: still no re-creation
    con.execute("UPDATE hubspot_contacts_snapshot SET _archived = true WHERE id = '1'")
    run(con, reads, "run2")
    assert links(con) == {"1": "003E:email"}
    assert con.execute("SELECT count(*) FROM deleted_links").fetchall() == [(0,)]


def test_a_linked_lead_merged_into_a_new_one_is_no_duplicate_to_hold(con):
    con.execute("ALTER TABLE salesforce_contacts_snapshot ADD COLUMN _master_record_id VARCHAR")
    hubspot(con, "1", email="ed@acme.org")
    salesforce(con, "00QA", "Lead", email="ed@acme.org", deleted=True)  # the merge loser
    salesforce(con, "00QB", "Lead", email="ed@acme.org")  # the master
    con.execute("UPDATE salesforce_contacts_snapshot SET _master_record_id = '00QB' WHERE id = '00QA'")
    link(con, "1", "00QA", "Lead")
    run(con, FakeReads(live={"1", "00QB"}))
    assert links(con) == {"1": "00QA:email"}
    assert open_items(con) == []
