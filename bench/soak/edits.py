"""Random edits as users make them, on both sides, each one recorded in the soak's model with its time:
creates (some on both sides at once, so matching must link them), updates, clears, conflicting edits
(the second one 3.5 s after the first, past the 2 s clock-skew window and Salesforce's whole-second
stamps), association changes, deletes, lead conversions, merges (behind a flag), and edits queued to
land while a sync runs."""

from __future__ import annotations

import random
import time

from .crm import SoakCrms
from .life_edits import LifeCycleEdits, LifeEdits
from .model import Entity, MappedField, World, expected
from .structural_edits import NoCandidate, StructuralEdits

SKEW_GAP_S = 3.5  # past crmsync's 2 s clock-skew window plus the second a Salesforce stamp drops (a 2.5 s gap
# read as 1.5 s when Salesforce's edit came late in its second, and prefer_hubspot then rightly kept HubSpot's)
NEVER_CLEARED = {"email", "lastname", "company", "name", "description"}  # required or identity fields
WEIGHTS = {"update": 40, "clear": 9, "create": 14, "conflict": 8, "association": 8, "delete": 3,
           "convert": 4, "merge": 3, "mid_run": 11, "keyless": 1, "merge_unlinked": 2, "restore": 2,
           "recreate": 2, "convert_into_linked": 1}  # fmt: skip
# the edges of a record's life (life_edits.py), behind --no-edges
EDGES = {"keyless", "merge_unlinked", "restore", "recreate", "convert_into_linked"}


class EditGenerator(StructuralEdits, LifeEdits, LifeCycleEdits):
    def __init__(
        self, crms: SoakCrms, world: World, rng: random.Random, tag: str, merges: bool = False,
        hubspot_associations: bool = False, edges: bool = True,
    ):  # fmt: skip
        self.crms, self.world, self.rng, self.tag, self.merges = crms, world, rng, tag, merges
        self.edges = edges
        self.hubspot_associations = hubspot_associations
        self._n = 0
        self._round = 0
        self.touched: set[str] = set()

    # ---- values ----------------------------------------------------------------------------------
    def _next(self) -> int:
        self._n += 1
        return self._n

    def value(self, hs_field: str) -> str:
        n = self._next()
        return {
            "email": f"p{n}.{self.tag}@soak.example.org",
            "firstname": f"First{n}",
            "lastname": f"Last{n}",
            "jobtitle": f"Title {n}",
            "phone": f"+1 555 {n:07d}",
            "mobilephone": f"+1 666 {n:07d}",
            "company": f"Text Co {self.tag}-{n}",
            "name": f"Company {self.tag}-{n}",
            "city": f"City {n}",
            "description": f"Description {n}",
        }[hs_field]

    # ---- creates ---------------------------------------------------------------------------------
    def create_company(self, side: str) -> Entity:
        values = {h: self.value(h) for h in ("name", "city", "phone", "description")}
        entity = Entity("companies", f"c{self._next()}", side)
        if side == "hubspot":
            entity.hs_id = self.crms.hs_create("companies", values)
        else:
            entity.sf_object = "Account"
            entity.sf_id = self.crms.sf_create("Account", self._sf_values("companies", values))
        self._created(entity, side, values)
        return entity

    def create_person(self, side: str, sobject: str = "Lead", company: Entity | None = None) -> Entity:
        values = {
            h: self.value(h) for h in ("email", "firstname", "lastname", "jobtitle", "phone", "mobilephone")
        }
        entity = Entity("contacts", f"p{self._next()}", side)
        if side == "hubspot":
            values["company"] = self.value("company")
            entity.hs_id = self.crms.hs_create("contacts", values)
            if company is not None:
                self.crms.hs_set_company(entity.hs_id, company.hs_id, None)  # type: ignore[arg-type]
        else:
            entity.sf_object = sobject
            fields = self._sf_values("contacts", values)
            if sobject == "Lead":
                values["company"] = self.value("company")
                fields["Company"] = values["company"]
            elif company is not None:
                fields["AccountId"] = company.sf_id
            entity.sf_id = self.crms.sf_create(sobject, fields)
        self._created(entity, side, values)
        if company is not None:
            entity.company_events.append((time.time(), company.key))
        return entity

    def create_twins(self) -> Entity:
        """The same person created in both CRMs before a sync: matching must link them (by email), and
        first-link rules decide the fields that differ (prefer_*, always_*); names and email agree."""
        shared = {h: self.value(h) for h in ("email", "firstname", "lastname")}
        hs_values = {**shared, **{h: self.value(h) for h in ("jobtitle", "phone", "mobilephone", "company")}}
        sf_values = {**shared, **{h: self.value(h) for h in ("jobtitle", "phone", "mobilephone", "company")}}
        entity = Entity("contacts", f"p{self._next()}", "both", sf_object="Lead")
        entity.hs_id = self.crms.hs_create("contacts", hs_values)
        self._created(entity, "hubspot", hs_values)
        fields = self._sf_values("contacts", sf_values)
        fields["Company"] = sf_values["company"]
        entity.sf_id = self.crms.sf_create("Lead", fields)
        self._created(entity, "salesforce", sf_values)
        return entity

    def _sf_values(self, pair: str, values: dict[str, str]) -> dict[str, str]:
        return {f.salesforce: values[f.hubspot] for f in self.world.fields[pair]
                if f.hubspot in values and not f.salesforce_objects}  # fmt: skip

    def _created(self, entity: Entity, side: str, values: dict[str, str]) -> None:
        self.world.add(entity)
        now = time.time()
        for hs_field, value in values.items():
            self.world.record(entity, side, hs_field, value, "create", now)
        self.world.count("create")
        self.touched.add(entity.key)

    def seed(self, companies: int, people: int) -> None:
        """The population before the first sync, on both sides (no association needs a link yet)."""
        for i in range(companies):
            self.create_company("hubspot" if i % 2 else "salesforce")
        accounts = [e for e in self.world.entities["companies"].values() if e.sf_id]
        for i in range(people):
            kind = i % 5
            if kind in (0, 1):
                self.create_person("hubspot")
            elif kind == 2:
                self.create_person("salesforce", "Contact", self.rng.choice(accounts))
            elif kind == 3:
                self.create_person("salesforce", "Lead")
            else:
                self.create_twins()
        self.world.counts.clear()  # the seed population is not part of the soak's edits

    # ---- a round of edits between two cycles -------------------------------------------------------
    def run_round(self, budget: int, mid_run: bool = True) -> list[tuple[Entity, str, MappedField, str]]:
        """Make about `budget` edits; returns the edits to apply while the next sync runs (not yet made)."""
        self._round += 1
        self.touched = set()
        self._mid_run_keys: set[str] = set()
        seconds: list[tuple[Entity, str, MappedField, str]] = []  # second halves of conflicts
        queued: list[tuple[Entity, str, MappedField, str]] = []
        made = 0
        kinds = [k for k in WEIGHTS if (k != "merge" or self.merges) and (k != "mid_run" or mid_run)
                 and (k not in EDGES or self.edges)]  # fmt: skip
        while made < budget:
            kind = self.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
            try:
                made += getattr(self, f"_{kind}")(seconds, queued)
            except NoCandidate:
                continue
        if seconds:
            time.sleep(SKEW_GAP_S)
            for entity, side, f, value in seconds:
                self._apply(entity, side, f, value, "conflict")
        time.sleep(SKEW_GAP_S)  # edits made in the run (mid-run) come after these, past the skew window
        return queued

    def _candidates(self, pair: str, settled: int = 1) -> list[Entity]:
        return [e for e in self.world.linked(pair) if e.key not in self.touched and e.linked_scans >= settled]

    def _pick(self, pair: str | None = None, settled: int = 1) -> Entity:
        pair = pair or self.rng.choice(["contacts", "contacts", "companies"])
        options = self._candidates(pair, settled)
        if not options:
            raise NoCandidate
        return self.rng.choice(options)

    def _fields(self, entity: Entity, clearable: bool = False) -> list[MappedField]:
        return [f for f in self.world.fields[entity.pair] if f.applies_to(entity.sf_object)
                and not (clearable and (f.hubspot in NEVER_CLEARED or f.direction == "create_only"))]  # fmt: skip

    def _apply(self, entity: Entity, side: str, f: MappedField, value: str | None, kind: str) -> None:
        otype = entity.pair
        if side == "hubspot":
            self.crms.hs_edit(otype, entity.hs_id, {f.hubspot: value or ""})  # type: ignore[arg-type]
        else:
            self.crms.sf_edit(entity.sf_object, entity.sf_id, {f.salesforce: value})  # type: ignore[arg-type]
        self.world.record(entity, side, f.hubspot, value, kind, time.time())
        self.world.count(kind)
        self.touched.add(entity.key)

    def _update(self, seconds: list, queued: list) -> int:
        entity = self._pick()
        f = self.rng.choice(self._fields(entity))
        self._apply(entity, self.rng.choice(["hubspot", "salesforce"]), f, self.value(f.hubspot), "update")
        return 1

    def _clear(self, seconds: list, queued: list) -> int:
        entity = self._pick()
        fields = [f for f in self._fields(entity, clearable=True)
                  if expected(entity, f)["hubspot"] is not None]  # fmt: skip
        if not fields:
            raise NoCandidate
        self._apply(
            entity, self.rng.choice(["hubspot", "salesforce"]), self.rng.choice(fields), None, "clear"
        )
        return 1

    def _conflict(self, seconds: list, queued: list) -> int:
        entity = self._pick()
        fields = [
            f
            for f in self._fields(entity)
            if f.direction in ("two_way", "prefer_hubspot", "prefer_salesforce")
        ]
        f = self.rng.choice(fields)
        first, second = self.rng.sample(["hubspot", "salesforce"], 2)
        self._apply(entity, first, f, self.value(f.hubspot), "conflict")
        seconds.append((entity, second, f, self.value(f.hubspot)))
        return 2

    def _create(self, seconds: list, queued: list) -> int:
        roll = self.rng.random()
        companies = self._candidates("companies")
        if roll < 0.25:
            self.create_company(self.rng.choice(["hubspot", "salesforce"]))
        elif roll < 0.45:
            self.create_twins()
            self.world.count("create")  # a twin is two records
            return 2
        elif roll < 0.65 and companies:
            self.create_person("hubspot", company=self.rng.choice(companies))
        elif roll < 0.8 and companies:
            self.create_person("salesforce", "Contact", self.rng.choice(companies))
        else:
            self.create_person(self.rng.choice(["hubspot", "salesforce"]), "Lead")
        return 1
