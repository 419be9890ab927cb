"""The edits that change a record's shape or place rather than one field: association moves, deletes, lead
conversions, merges, and the edits queued to land while a sync runs (between its plan and its write).
A mixin of EditGenerator (edits.py): each draws its entities from the generator's model."""

from __future__ import annotations

import time
from typing import Any

from .model import Entity, MappedField, expected, norm


class NoCandidate(Exception):
    """No entity fits this kind of edit right now: draw another kind."""


class StructuralEdits:
    # set by EditGenerator
    crms: Any
    world: Any
    rng: Any
    touched: set[str]
    round_started: float
    quiet_since: float
    hubspot_associations: bool
    _mid_run_keys: set[str]

    def _association(self, seconds: list, queued: list) -> int:
        people = [e for e in self._candidates("contacts") if e.sf_object == "Contact" and e.company_events]
        companies = self._candidates("companies")
        if not people or len(companies) < 2:
            raise NoCandidate
        person = self.rng.choice(people)
        old_key = max(person.company_events)[1]
        new = self.rng.choice([c for c in companies if c.key != old_key])
        old = self.world.entities["companies"][old_key]
        if self.hubspot_associations and self.rng.random() < 0.5:
            self.crms.hs_set_company(person.hs_id, new.hs_id, old.hs_id)  # type: ignore[arg-type]
        else:
            self.crms.sf_edit("Contact", person.sf_id, {"AccountId": new.sf_id})  # type: ignore[arg-type]
        person.company_events.append((time.time(), new.key))
        self.touched.update({person.key, new.key})
        self.world.count("association")
        return 1

    def _delete(self, seconds: list, queued: list) -> int:
        person = self._pick("contacts")
        side = self.rng.choice(["hubspot", "salesforce"])
        if side == "hubspot":
            self.crms.hs_archive("contacts", person.hs_id)  # type: ignore[arg-type]
        else:
            self.crms.sf_delete(person.sf_object, person.sf_id)  # type: ignore[arg-type]
        person.gone = f"deleted in {side}"
        self.touched.add(person.key)
        self.world.count("delete")
        return 1

    def _convert(self, seconds: list, queued: list) -> int:
        leads = [
            e for e in self._candidates("contacts", settled=2) if e.sf_object == "Lead" and self._quiet(e)
        ]
        if not leads:
            raise NoCandidate
        person = self.rng.choice(leads)
        company_name = expected(person, self.world.field("contacts", "company"))["salesforce"]
        phone = expected(person, self.world.field("contacts", "phone"))["salesforce"]
        result = self.crms.sf_convert(person.sf_id)  # type: ignore[arg-type]
        now = time.time()
        account = self.world.add(Entity("companies", f"c{self._next()}", "salesforce", sf_id=result["account_id"],
                                        sf_object="Account"))  # fmt: skip
        for hs_field, value in (
            ("name", company_name),
            ("phone", phone),
            ("city", None),
            ("description", None),
        ):
            self.world.record(account, "salesforce", hs_field, value, "create", now)
        person.sf_object, person.sf_id, person.linked_scans = "Contact", result["contact_id"], 0
        person.company_events.append((now, account.key))
        self.touched.update({person.key, account.key})
        self.world.count("convert")
        return 1

    def _quiet(self, entity: Entity) -> bool:
        """No edit of this entity in the last rounds: its two sides agree, so a conversion copies settled values."""
        last = max((e.t for events in entity.events.values() for e in events), default=0.0)
        return last < getattr(self, "quiet_since", 0.0)

    def _merge(self, seconds: list, queued: list) -> int:
        pair = self.rng.choice(["contacts", "companies"])
        options = [
            e for e in self._candidates(pair, settled=2) if pair == "companies" or e.sf_object == "Contact"
        ]
        if len(options) < 2:
            raise NoCandidate
        keep, lose = self.rng.sample(options, 2)
        side = self.rng.choice(["hubspot", "salesforce"])
        if side == "hubspot":
            self.crms.hs_merge(pair, keep.hs_id, lose.hs_id)  # type: ignore[arg-type]
        else:
            self.crms.sf_merge(keep.sf_object, keep.sf_id, lose.sf_id)  # type: ignore[arg-type]
        lose.gone = f"merged into {keep.key} in {side}"
        keep.linked_scans = 0
        self.touched.update({keep.key, lose.key})
        self.world.count("merge")
        return 1

    def _mid_run(self, seconds: list, queued: list) -> int:
        """An edit made while the next sync runs, on a field the sync is about to write: the other side of
        a settled record edited in this round. It lands between the plan and the write."""
        options = [(e, ev) for e in self._candidates_touched() for ev in self._last_round_updates(e)]
        if not options:
            raise NoCandidate
        entity, (hs_field, side) = self.rng.choice(options)
        f = self.world.field(entity.pair, hs_field)
        queued.append((entity, "salesforce" if side == "hubspot" else "hubspot", f, self.value(f.hubspot)))
        self._mid_run_keys.add(entity.key)
        return 1

    def _candidates_touched(self) -> list[Entity]:
        return [e for pair in ("contacts", "companies") for e in self.world.linked(pair)
                if e.key in self.touched and e.key not in self._mid_run_keys and e.linked_scans >= 2]  # fmt: skip

    def _last_round_updates(self, entity: Entity) -> list[tuple[str, str]]:
        out = []
        for hs_field, events in entity.events.items():
            f = self.world.field(entity.pair, hs_field)
            if f.direction not in ("two_way", "prefer_hubspot", "prefer_salesforce") or not f.applies_to(
                entity.sf_object
            ):
                continue
            if events and events[-1].kind == "update" and events[-1].t >= self.round_started:
                out.append((hs_field, events[-1].side))
        return out

    def mid_run_requests(
        self, queued: list[tuple[Entity, str, MappedField, str]]
    ) -> dict[str, list[dict[str, Any]]]:
        """side -> the admin requests a sandbox hook applies (edits on that side's CRM)."""
        out: dict[str, list[dict[str, Any]]] = {"hubspot": [], "salesforce": []}
        for entity, side, f, value in queued:
            if side == "hubspot":
                out[side].append(self.crms.hs_edit_request(entity.pair, entity.hs_id, {f.hubspot: value}))  # type: ignore[arg-type]
            else:
                out[side].append(
                    self.crms.sf_edit_request(entity.sf_object, entity.sf_id, {f.salesforce: value})
                )  # type: ignore[arg-type]
        return out

    def record_mid_run(self, queued: list[tuple[Entity, str, MappedField, str]], t: float) -> None:
        for entity, side, f, value in queued:
            self.world.record(entity, side, f.hubspot, norm(value), "mid_run", t)
            self.world.count("mid_run")
