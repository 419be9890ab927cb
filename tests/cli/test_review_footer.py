"""`crmsync review --list` offers, for each kind of item it lists, only the actions that settle that kind
(docs/operations.md, Review), and `review resolve` refuses one that does not, saying which do: an orphan
(a linked HubSpot contact archived under `deletes: report`) is settled by --propagate, --create or --skip,
never --link; an unlinked pair by --link, --create or --skip, never --propagate."""

from __future__ import annotations

import json
import os
import re
import uuid

import duckdb
import pytest
import requests
from cli_helpers import TOKEN, hubspot_contact

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


def _linked(hubspot_id: str) -> str:
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        ((salesforce_id,),) = con.execute(
            "SELECT salesforce_id FROM links WHERE pair = 'contacts' AND hubspot_id = ?", [hubspot_id]
        ).fetchall()
    finally:
        con.close()
    return salesforce_id


def _footer(output: str) -> dict[str, str]:
    """kind -> the flags the footer offers for it."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\d+ open item\(s\); settle one with", line))
    return dict(line.strip().split(": ", 1) for line in lines[start + 1 :] if line.strip())


def test_the_footer_offers_the_actions_each_listed_kind_takes(sandbox, crmsync, monkeypatch):
    monkeypatch.setenv("CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES", "0")  # look for archives every cycle
    tag = uuid.uuid4().hex[:6]
    people = [
        hubspot_contact(sandbox, email=f"{n}-{tag}@review-footer.org", firstname=n.title(), lastname="Footer",
                        lifecyclestage="marketingqualifiedlead")
        for n in ("olive", "ursula")
    ]  # fmt: skip
    for _ in range(2):
        assert crmsync("sync").exit_code == 0
    orphan_of, unlinked = people
    unlinked_sf = _linked(unlinked)
    requests.delete(
        f"{sandbox.hubspot.url}/crm/v3/objects/contacts/{orphan_of}", headers=TOKEN, timeout=10
    ).raise_for_status()
    assert crmsync("sync").exit_code == 0
    assert crmsync("review", "unlink", "contacts", unlinked).exit_code == 0

    listed = crmsync("review", "--list")
    assert listed.exit_code == 0, listed.output
    footer = _footer(listed.output)
    items = json.loads(crmsync("review", "--json").output)
    assert set(footer) == {i["kind"] for i in items}, listed.output  # every kind listed, and only those
    assert footer["orphan"] == "--propagate | --create | --skip", listed.output
    assert footer["unlinked"] == "--link HUBSPOT_ID SALESFORCE_ID | --create | --skip", listed.output
    for kind, offered in footer.items():
        if kind in ("ping_pong", "drift", "held_conflict", "undo_split"):
            assert "--link" not in offered and "--create" not in offered, (kind, offered)
        if kind != "orphan":
            assert "--propagate" not in offered, (kind, offered)

    # resolve refuses what the footer does not offer, and names what settles the item
    (orphan,) = [i for i in items if i["kind"] == "orphan" and i["hubspot_id"] == orphan_of]
    (held,) = [i for i in items if i["kind"] == "unlinked" and i["hubspot_id"] == unlinked]
    refused = crmsync("review", "resolve", orphan["item_id"], "--link", orphan_of, "x")
    assert refused.exit_code != 0 and "--propagate | --create | --skip" in refused.output, refused.output
    refused = crmsync("review", "resolve", held["item_id"], "--propagate")
    assert refused.exit_code != 0 and "--link HUBSPOT_ID SALESFORCE_ID" in refused.output, refused.output
    settled = crmsync("review", "resolve", held["item_id"], "--link", unlinked, unlinked_sf)
    assert settled.exit_code == 0 and "settled (link:" in settled.output, settled.output
