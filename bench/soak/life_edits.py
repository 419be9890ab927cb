"""Edits at the edges of a record's life that a person makes in one CRM (issue 15): people with no usable
key in both CRMs, and a linked Salesforce Contact merged into an older Contact crmsync never linked. A mixin
of EditGenerator (edits.py), like StructuralEdits; the operations crmsync itself carries out (undo, erase)
are in operations.py."""

from __future__ import annotations

import time
from typing import Any

from .model import Entity, Keyless, expected
from .structural_edits import NoCandidate


class LifeEdits:
    # set by EditGenerator
    crms: Any
    world: Any
    rng: Any
    touched: set[str]

    def _keyless(self, seconds: list, queued: list) -> int:
        """ "Kay KeylessN" in both CRMs: no email, no company; a HubSpot contact and a Salesforce Contact
        without Account. Matching has nothing to go on, and creating would make two Kays on each side."""
        n = self._next()  # type: ignore[attr-defined]
        last = f"Keyless{n}"
        hs_id = self.crms.hs_create("contacts", {"firstname": "Kay", "lastname": last})
        sf_id = self.crms.sf_create("Contact", {"FirstName": "Kay", "LastName": last})
        self.world.keyless.append(Keyless(last, hs_id, sf_id))
        self.world.count("keyless")
        return 1

    def _merge_unlinked(self, seconds: list, queued: list) -> int:
        """A linked Contact B' merged into an older Contact X' that crmsync never saw (created just before,
        in the same round): X' keeps its own values (Salesforce's merge keeps the master's, blanks included).
        X' has its own email and title and no phone: the title and email are Salesforce's change and win;
        the phones X' lacks must be filled from HubSpot, never cleared there."""
        options = [
            e
            for e in self._candidates("contacts", settled=2)  # type: ignore[attr-defined]
            if e.sf_object == "Contact" and e.company_events
        ]
        if not options:
            raise NoCandidate
        person: Entity = self.rng.choice(options)
        company = self.world.entities["companies"][max(person.company_events)[1]]
        if company.gone or not company.sf_id:
            raise NoCandidate
        values = {
            "email": self.value("email"),  # type: ignore[attr-defined]
            "firstname": expected(person, self.world.field("contacts", "firstname"))["salesforce"],
            "lastname": expected(person, self.world.field("contacts", "lastname"))["salesforce"],
            "jobtitle": self.value("jobtitle"),  # type: ignore[attr-defined]
        }
        fields = {"Email": values["email"], "FirstName": values["firstname"], "LastName": values["lastname"],
                  "Title": values["jobtitle"], "AccountId": company.sf_id}  # fmt: skip
        survivor = self.crms.sf_create("Contact", fields)
        self.crms.sf_merge("Contact", survivor, person.sf_id)
        now = time.time()
        for hs_field in ("email", "jobtitle"):
            self.world.record(person, "salesforce", hs_field, values[hs_field], "merge_survivor", now)
        person.sf_id, person.linked_scans = survivor, 0
        self.touched.add(person.key)
        self.world.count("merge_unlinked")
        return 1
