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


class LifeCycleEdits:
    """Deletes undone by a person (HubSpot's recycle-bin restore, Salesforce's undelete), a contact archived
    and created again with the same email, and a Lead converted into a Contact already linked to someone
    else. Under `deletes: report` crmsync changes nothing while a record is gone; a restore must relink
    and settle the orphan item; a re-created record must take the old one's place, never be copied again;
    a conversion into a linked Contact must not stay linked to the converted Lead."""

    crms: Any
    world: Any
    rng: Any
    touched: set[str]

    def _restore(self, seconds: list, queued: list) -> int:
        gone = [e for e in self.world.entities["contacts"].values()
                if e.gone in ("deleted in hubspot", "deleted in salesforce") and e.key not in self.touched]  # fmt: skip
        if not gone:
            raise NoCandidate
        person: Entity = self.rng.choice(gone)
        if person.gone == "deleted in hubspot":
            self.crms.admin(f"{self.crms.hs}/_sandbox/hubspot/objects/contacts/{person.hs_id}/restore")
        else:
            self.crms.admin(f"{self.crms.sf}/_sandbox/salesforce/undelete",
                            {"object": person.sf_object, "id": person.sf_id})  # fmt: skip
        person.gone, person.linked_scans = None, 0
        self.touched.add(person.key)
        self.world.count("restore")
        return 1

    def _recreate(self, seconds: list, queued: list) -> int:
        """A linked HubSpot contact archived, and a new one made with the same email: a first link of the
        new contact with the live Salesforce record (the new values are newer; prefer_salesforce keeps
        Salesforce's title; create_only fields stay each side's own)."""
        old: Entity = self._pick("contacts", settled=2)  # type: ignore[attr-defined]
        values = {h: self.value(h) for h in ("firstname", "lastname", "jobtitle", "phone", "mobilephone")}  # type: ignore[attr-defined]
        values["email"] = expected(old, self.world.field("contacts", "email"))["hubspot"]
        values["company"] = self.value("company")  # type: ignore[attr-defined]
        self.crms.hs_archive("contacts", old.hs_id)
        new = Entity("contacts", f"p{self._next()}", "both", sf_id=old.sf_id, sf_object=old.sf_object)  # type: ignore[attr-defined]
        earlier = time.time() - 5.0
        for f in self.world.fields["contacts"]:
            if f.applies_to(old.sf_object):
                self.world.record(
                    new, "salesforce", f.hubspot, expected(old, f)["salesforce"], "create", earlier
                )
        new.company_events = list(old.company_events)
        new.hs_id = self.crms.hs_create("contacts", {k: v for k, v in values.items() if v})
        now = time.time()
        for hs_field, value in values.items():
            self.world.record(new, "hubspot", hs_field, value, "create", now)
        self.world.add(new)
        old.gone, old.sf_id = f"archived in hubspot and re-created as {new.key}", None
        self.touched.update({old.key, new.key})
        self.world.count("recreate")
        return 1

    def _convert_into_linked(self, seconds: list, queued: list) -> int:
        """A linked Lead converted into a Contact already linked to another HubSpot contact: the pair's
        merge policy (review, in the soak's mapping) decides; the Lead's link must close."""
        leads = [e for e in self._candidates("contacts", settled=2) if e.sf_object == "Lead"]  # type: ignore[attr-defined]
        contacts = [e for e in self._candidates("contacts", settled=2) if e.sf_object == "Contact"]  # type: ignore[attr-defined]
        if not leads or not contacts:
            raise NoCandidate
        lead, contact = self.rng.choice(leads), self.rng.choice(contacts)
        account = contact.company_events and self.world.entities["companies"][max(contact.company_events)[1]]
        body = {"lead_id": lead.sf_id, "contact_id": contact.sf_id}
        if account and account.sf_id:
            body["account_id"] = account.sf_id
        self.crms.admin(f"{self.crms.sf}/_sandbox/salesforce/convert-lead", body)
        lead.gone = "converted into a linked Contact"
        self.world.awaiting_review.append(("contacts", lead.hs_id, "merge", lead.key))
        self.touched.update({lead.key, contact.key})
        self.world.count("convert_into_linked")
        return 1
