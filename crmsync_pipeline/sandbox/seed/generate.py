"""Generate a deterministic world of companies, people, deals, tasks and owners, then write each CRM's
side of it in that CRM's own field names.

The world is messy the way real portals and orgs are: a known overlap whose values differ between the
systems, email case and whitespace variants, people without email, test records, company names written
three ways, websites written as URLs, deals in every stage, and records Salesforce will reject.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import vocabulary as v
from .model import SeedOptions, SeedWorld
from .sides import hubspot_side, salesforce_side

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)  # fixed, so the same seed gives the same timestamps
SPAN_DAYS = 600

# Share of each side's people that exist on both sides (unlinked: a first sync must match them).
PEOPLE_OVERLAP = 0.3
COMPANY_PRESENCE = (("both", 0.5), ("hubspot", 0.25), ("salesforce", 0.25))
DEAL_PRESENCE = (("both", 0.3), ("hubspot", 0.4), ("salesforce", 0.3))
TASK_PRESENCE = (("both", 0.2), ("hubspot", 0.45), ("salesforce", 0.35))


@dataclass
class Company:
    key: str
    name: str
    salesforce_name: str  # "Acme" in HubSpot may be "Acme Corporation" in Salesforce
    domain: str
    salesforce_website: str  # written as a URL, as Salesforce users do
    industry: tuple[str, str]
    salesforce_industry: str
    employees: int
    revenue: int
    presence: str
    owner: str
    created_at: datetime


@dataclass
class Person:
    key: str
    first: str
    last: str
    email: str | None
    hubspot_email: str | None
    salesforce_email: str | None
    company: Company
    title: str
    salesforce_title: str
    phone: str
    salesforce_phone: str
    lifecycle: str
    lead_status: str
    source: str
    presence: str
    owner: str
    created_at: datetime
    also_lead: bool = False  # in Salesforce both a Contact and a (duplicate) Lead
    rejected_by_salesforce: str | None = None  # the code Salesforce will answer when this is pushed


@dataclass
class Deal:
    key: str
    name: str
    amount: float
    salesforce_amount: float
    close: datetime
    hubspot_stage: str
    salesforce_stage: str
    company: Company
    contacts: list[Person]
    presence: str
    owner: str
    created_at: datetime


@dataclass
class Task:
    key: str
    subject: str
    status_index: int
    priority: int
    due: datetime
    body: str
    person: Person
    deal: Deal | None
    presence: str
    owner: str
    created_at: datetime


@dataclass
class World:
    owners: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, email, first, last
    companies: list[Company] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def generate_world(options: SeedOptions) -> SeedWorld:
    world = _Generator(options).build()
    return SeedWorld(hubspot=hubspot_side(world), salesforce=salesforce_side(world), facts=_facts(world))


class _Generator:
    def __init__(self, options: SeedOptions):
        self.options = options
        self.rng = random.Random(options.seed)
        self.world = World()

    def build(self) -> World:
        if self.options.people == 0 and not self.options.company_count:
            return self.world
        self._owners()
        self._companies()
        self._people()
        self._deals()
        self._tasks()
        return self.world

    def _when(self) -> datetime:
        return EPOCH + timedelta(seconds=self.rng.randrange(SPAN_DAYS * 86400))

    def _pick(self, weighted: tuple[tuple[str, float], ...]) -> str:
        return self.rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]

    def _owners(self) -> None:
        count = min(max(3, self.options.people // 500), 20)
        for i in range(count):
            first, last = v.FIRST_NAMES[i % len(v.FIRST_NAMES)], v.LAST_NAMES[(i * 7) % len(v.LAST_NAMES)]
            self.world.owners.append((f"u{i}", f"{first}.{last}@sandbox-sales.example".lower(), first, last))

    def _companies(self) -> None:
        seen: set[str] = set()
        for i in range(self.options.company_count):
            stem = v.COMPANY_STEMS[i % len(v.COMPANY_STEMS)]
            qualifier = v.COMPANY_QUALIFIERS[(i // len(v.COMPANY_STEMS)) % len(v.COMPANY_QUALIFIERS)]
            round_ = i // (len(v.COMPANY_STEMS) * len(v.COMPANY_QUALIFIERS))
            base = stem if i < len(v.COMPANY_STEMS) else f"{stem} {qualifier}"
            base = base if round_ == 0 else f"{base} {round_ + 1}"
            slug = base.lower().replace(" ", "")
            domain = f"{slug}.{v.TLDS[i % len(v.TLDS)]}"
            assert domain not in seen
            seen.add(domain)
            suffix = self.rng.choice(v.COMPANY_SUFFIX_VARIANTS)
            industry = self.rng.choice(v.INDUSTRIES)
            sf_industry = industry[1] if self.rng.random() > 0.15 else self.rng.choice(v.INDUSTRIES)[1]
            website = self.rng.choice(
                (
                    f"https://www.{domain}/",
                    f"http://{domain}",
                    f"www.{domain}",
                    domain,
                    f"https://{domain}/about",
                )
            )
            self.world.companies.append(
                Company(
                    key=f"c{i}",
                    name=base,
                    salesforce_name=base + suffix,
                    domain=domain,
                    salesforce_website=website,
                    industry=industry,
                    salesforce_industry=sf_industry,
                    employees=self.rng.choice((5, 12, 40, 120, 480, 2500, 12000)),
                    revenue=self.rng.randrange(1, 500) * 100_000,
                    presence=self._pick(COMPANY_PRESENCE),
                    owner=self.rng.choice(self.world.owners)[0],
                    created_at=self._when(),
                )
            )

    def _people(self) -> None:
        n = self.options.people
        overlap = round(n * PEOPLE_OVERLAP)
        presences = ["both"] * overlap + ["hubspot"] * (n - overlap) + ["salesforce"] * (n - overlap)
        self.rng.shuffle(presences)
        for i, presence in enumerate(presences):
            self.world.people.append(self._person(i, presence))

    def _person(self, i: int, presence: str) -> Person:
        rng = self.rng
        first, last = rng.choice(v.FIRST_NAMES), rng.choice(v.LAST_NAMES)
        company = rng.choice(self.world.companies)
        email: str | None = f"{first}.{last}.{i}@{company.domain}".lower().replace("'", "")
        roll = rng.random()
        if roll < 0.03:
            email = None  # matched by name + company only
        elif roll < 0.05:
            email = f"{first}.{i}@{rng.choice(('test.com', 'example.com'))}".lower()
        hubspot_email = salesforce_email = email
        if email and rng.random() < 0.1:  # case and whitespace variants of one mailbox
            salesforce_email = rng.choice((email.upper(), f"  {email} ", email.title(), f"{email}\t"))
        if email and rng.random() < 0.05:
            hubspot_email = email.capitalize()
        title = rng.choice(v.JOB_TITLES)
        phone = f"+1 {rng.randrange(200, 999)} 555 {rng.randrange(1000, 9999)}"
        person = Person(
            key=f"p{i}",
            first=first,
            last=last,
            email=email,
            hubspot_email=hubspot_email,
            salesforce_email=salesforce_email,
            company=company,
            title=title,
            salesforce_title=title if rng.random() > 0.3 else rng.choice(v.JOB_TITLES),
            phone=phone,
            salesforce_phone=phone if rng.random() > 0.2 else phone.replace(" ", "-"),
            lifecycle=rng.choice(v.HUBSPOT_LIFECYCLE_STAGES),
            lead_status=rng.choice(v.HUBSPOT_LEAD_STATUSES),
            source=rng.choice(v.LEAD_SOURCES),
            presence=presence,
            owner=rng.choice(self.world.owners)[0],
            created_at=self._when(),
        )
        if presence != "hubspot" and email and company.presence != "hubspot" and rng.random() < 0.03:
            person.also_lead = True
        if presence == "hubspot" and rng.random() < 0.02:
            self._make_unacceptable_to_salesforce(person)
        return person

    def _make_unacceptable_to_salesforce(self, person: Person) -> None:
        kind = self.rng.choice(
            (
                "REQUIRED_FIELD_MISSING",
                "STRING_TOO_LONG",
                "INVALID_EMAIL_ADDRESS",
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            )
        )
        person.rejected_by_salesforce = kind
        person.lifecycle = "salesqualifiedlead"  # inside the default inclusion rules, so it is pushed
        if kind == "REQUIRED_FIELD_MISSING":
            person.last = ""
        elif kind == "STRING_TOO_LONG":
            person.title = (
                "Senior Vice President of Global Strategic Revenue Operations and "
                "Cross-Functional Go-To-Market Enablement, EMEA and APAC Regions (acting)"
            )
        elif kind == "INVALID_EMAIL_ADDRESS":
            person.email = person.hubspot_email = f"{person.first}.{person.key}@localhost".lower()
        else:  # the sandbox org's default validation rule rejects phones shorter than 7 characters
            person.phone = "555-12"

    def _deals(self) -> None:
        people_by_company: dict[str, list[Person]] = {}
        for p in self.world.people:
            people_by_company.setdefault(p.company.key, []).append(p)
        for i in range(self.options.deal_count):
            company = self.rng.choice(self.world.companies)
            stage = v.HUBSPOT_DEAL_STAGES[i % len(v.HUBSPOT_DEAL_STAGES)]
            contacts = self.rng.sample(
                people_by_company.get(company.key, []),
                k=min(len(people_by_company.get(company.key, [])), self.rng.choice((0, 1, 1, 2))),
            )
            amount = float(self.rng.randrange(5, 400) * 250)
            created = self._when()
            self.world.deals.append(
                Deal(
                    key=f"d{i}",
                    name=f"{company.name} - {self.rng.choice(('Expansion', 'New seats', 'Renewal', 'Pilot'))} {i}",
                    amount=amount,
                    salesforce_amount=amount if self.rng.random() > 0.2 else amount + 500,
                    close=created
                    + timedelta(days=self.rng.randrange(10, 200), hours=self.rng.randrange(0, 23)),
                    hubspot_stage=stage,
                    salesforce_stage=v.SALESFORCE_STAGES[i % len(v.SALESFORCE_STAGES)],
                    company=company,
                    contacts=contacts,
                    presence=self._pick(DEAL_PRESENCE),
                    owner=self.rng.choice(self.world.owners)[0],
                    created_at=created,
                )
            )

    def _tasks(self) -> None:
        if not self.world.people:
            return
        for i in range(self.options.task_count):
            person = self.rng.choice(self.world.people)
            deal = self.rng.choice(self.world.deals) if self.world.deals and self.rng.random() < 0.3 else None
            created = self._when()
            self.world.tasks.append(
                Task(
                    key=f"t{i}",
                    subject=self.rng.choice(v.TASK_SUBJECTS),
                    status_index=self.rng.randrange(5),
                    priority=self.rng.randrange(3),
                    due=created + timedelta(days=self.rng.randrange(1, 30)),
                    body=f"Notes for {person.first} {person.last}: {self.rng.choice(v.TASK_SUBJECTS).lower()}.",
                    person=person,
                    deal=deal,
                    presence=self._pick(TASK_PRESENCE),
                    owner=self.rng.choice(self.world.owners)[0],
                    created_at=created,
                )
            )


def _facts(world: World) -> dict:
    return {
        "people_on_both_sides": sorted(p.key for p in world.people if p.presence == "both"),
        "people_without_email": sorted(p.key for p in world.people if p.email is None),
        "test_people": sorted(
            p.key for p in world.people if p.email and p.email.endswith(("@test.com", "@example.com"))
        ),
        "email_variants": sorted(
            p.key for p in world.people if p.email and p.salesforce_email != p.email and p.presence == "both"
        ),
        "duplicate_leads": sorted(p.key for p in world.people if p.also_lead),
        "rejected_by_salesforce": {
            p.key: p.rejected_by_salesforce for p in world.people if p.rejected_by_salesforce
        },
        "companies_on_both_sides": sorted(c.key for c in world.companies if c.presence == "both"),
        "deal_stages": sorted({d.hubspot_stage for d in world.deals}),
        "owners": [email for _, email, _, _ in world.owners],
    }
