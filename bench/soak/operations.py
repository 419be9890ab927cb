"""What a person asks crmsync itself to do between two syncs of the soak (issue 15): undo the sync that
just ran (some undos while the CRMs refuse a share of the writes), and erase a person (`crmsync forget`,
or a GDPR delete in HubSpot that crmsync must carry to Salesforce). The model learns the outcome from the
CRMs themselves: what an undo changed becomes the field's latest event, so the later cycles and the oracle
hold crmsync to it; an undo that leaves a field split between the CRMs without a review item is a finding."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .automation import comparable
from .crm import TOKEN, SoakCrms
from .model import Entity, Erased, MappedField, World, expected, norm
from .oracle import Snapshot
from .state_checks import connect
from .syncs import run_cli, tail

UNDO_FAULTS = {"record_failure_rate": 0.3, "error_rates": {500: 0.02}}  # an undo that partly fails


@dataclass
class Operation:
    cycle: int
    kind: str  # undo | undo_with_faults | forget | hubspot_gdpr_delete
    target: str
    exit_code: int | None = None
    fields_changed: int = 0
    creates_undone: int = 0
    held_in_review: int = 0
    note: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)


class Operations:
    def __init__(self, crms: SoakCrms, world: World, env: dict[str, str], automation: bool, seed: int):
        self.crms, self.world, self.env, self.automation, self.seed = crms, world, env, automation, seed
        self.done: list[Operation] = []

    # ---- undo ------------------------------------------------------------------------------------
    def undo_last_sync(self, cycle: int, with_faults: bool) -> Operation:
        run_id = self._last_sync_run()
        op = Operation(cycle, "undo_with_faults" if with_faults else "undo", run_id or "")
        self.done.append(op)
        if run_id is None:
            op.note = "no finished sync to undo"
            return op
        before = Snapshot.read(self.crms)
        if with_faults:
            self.crms.faults({**UNDO_FAULTS, "seed": self.seed * 1000 + cycle})
        try:
            done = run_cli(self.env, "undo", run_id, "--yes")
        finally:
            self.crms.faults(None)
        op.exit_code, op.note = done.returncode, tail(done.stdout, 300)
        after = Snapshot.read(self.crms)
        in_review = self._open_review_links()
        for pair in ("companies", "contacts"):
            for e in list(self.world.entities[pair].values()):
                if e.linked:
                    self._learn_undo(op, e, before, after, in_review)
        return op

    def _learn_undo(
        self, op: Operation, e: Entity, before: Snapshot, after: Snapshot, in_review: set
    ) -> None:
        hs0, sf0 = before.hs(e.pair).get(e.hs_id or ""), before.sf(e.pair).get(e.sf_id or "")
        hs1, sf1 = after.hs(e.pair).get(e.hs_id or ""), after.sf(e.pair).get(e.sf_id or "")
        if hs0 is None or sf0 is None:
            return
        if hs1 is None or sf1 is None:  # the undone run created one of the two: crmsync removed it
            e.gone = "its creation was undone (the source record waits in review as undone_create)"
            op.creates_undone += 1
            return
        now = time.time()
        first_link = e.linked_scans <= 1  # linked by the undone run: its writes were first-link fills
        for f in self.world.fields[e.pair]:
            if not f.applies_to(e.sf_object):
                continue
            old = {"hubspot": norm(hs0.get(f.hubspot)), "salesforce": norm(sf0.get(f.salesforce))}
            new = {"hubspot": norm(hs1.get(f.hubspot)), "salesforce": norm(sf1.get(f.salesforce))}
            changed = [side for side in old if old[side] != new[side]]
            if not changed:
                continue
            op.fields_changed += len(changed)
            if self._form(e, f.hubspot, new["hubspot"]) == self._form(e, f.hubspot, new["salesforce"]):
                for side in changed:
                    self.world.record(e, side, f.hubspot, new[side], "undo", now)
                continue
            if first_link or (len(changed) == 1 and new[changed[0]] is None) or self._as_created(e, f, new):
                continue  # a fill with no agreed value before, put back on the written side: merged again
            if (e.hs_id, e.sf_id) in in_review:
                e.gone = "held in review after an undo"
                op.held_in_review += 1
                return
            op.findings.append({"kind": "undo_split", "pair": e.pair, "key": e.key, "field": f.hubspot,
                                "before": old, "after": new, "run": op.target})  # fmt: skip
        self._learn_company(e, sf0, sf1, now)

    def _as_created(self, e: Entity, f: MappedField, new: dict[str, str | None]) -> bool:
        """Each side holds again the value it was created with, and no person ever edited the field: the
        two sides never agreed on a value (a record made in both CRMs, or re-created, then linked), so
        the undone run's write was a first link's fill, which undo puts back on the written side only
        (docs/design.md, undo). Read from the CRMs, whatever scan first saw the pair: a fill delayed by a
        failed write, or made again after an earlier undo, is still a first link's fill. A person's edit
        of the field (the run carrying a change) never passes: undo must move both sides then."""
        events = e.events.get(f.hubspot, [])
        created = {ev.side: ev.value for ev in events if ev.kind == "create"}
        if len(created) < 2 or any(ev.kind != "create" for ev in events):
            return False
        return all(self._form(e, f.hubspot, norm(created[side])) == self._form(e, f.hubspot, new[side])
                   for side in created)  # fmt: skip

    def _learn_company(self, e: Entity, sf0: dict, sf1: dict, now: float) -> None:
        """An undo may move a Contact's account back: the model follows what Salesforce now holds."""
        if e.pair != "contacts" or sf0.get("AccountId") == sf1.get("AccountId") or not sf1.get("AccountId"):
            return
        for company in self.world.entities["companies"].values():
            if company.sf_id == sf1["AccountId"]:
                e.company_events.append((now, company.key))

    def _form(self, e: Entity, hs_field: str, value: str | None) -> str | None:
        if hs_field == "email" and value:
            value = value.lower()
        # as the automation leaves it: a city HubSpot's workflow upper-cases after the undo is not a split
        return comparable(e.pair, hs_field, value, expected=True) if self.automation else value

    def _last_sync_run(self) -> str | None:
        with connect(self.env["CRMSYNC_STATE_DB"]) as con:
            row = con.execute(
                "SELECT run_id FROM runs WHERE coalesce(trigger, '') <> 'undo' AND status = 'succeeded' "
                "ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def _open_review_links(self) -> set[tuple[str | None, str | None]]:
        with connect(self.env["CRMSYNC_STATE_DB"]) as con:
            rows = con.execute(
                "SELECT hubspot_id, unnest(coalesce(salesforce_ids, [NULL])) FROM review_items WHERE settled_at IS NULL"
            ).fetchall()
        return {(h, s) for h, s in rows}

    # ---- erasure ---------------------------------------------------------------------------------
    def erase(self, cycle: int, person: Entity, how: str) -> Operation:
        """`forget`: `crmsync forget EMAIL --yes`; `hubspot_gdpr_delete`: a GDPR delete in HubSpot, which
        the next syncs must carry to Salesforce. Either way both records go, and every trace of the
        person's values with them."""
        values = tuple(
            v
            for f in ("email", "phone", "mobilephone")
            if (v := expected(person, self.world.field("contacts", f))["hubspot"])
        )
        op = Operation(cycle, how, person.key)
        self.done.append(op)
        if how == "forget":
            done = run_cli(self.env, "forget", values[0], "--yes")
            op.exit_code, op.note = done.returncode, tail(done.stdout, 300)
        else:
            response = self.crms.http.post(
                f"{self.crms.hs}/crm/v3/objects/contacts/gdpr-delete",
                json={"objectId": person.hs_id}, headers=TOKEN, timeout=30,
            )  # fmt: skip
            op.exit_code = response.status_code
        person.gone = f"erased ({how})"
        self.world.erased.append(Erased(person.key, how, values))
        self.world.count(how)
        return op
