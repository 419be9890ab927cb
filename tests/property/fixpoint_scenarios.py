"""The scenarios of the fixpoint property: a mapping variant (every direction, inclusion rules, creates
both ways, Leads and Contacts), people on one or both CRMs (email case and whitespace variants,
plus-addressing, emails only HubSpot accepts, people without email, values empty, never set or cleared)
and the CRMs' own automation; the hypothesis strategies that draw them, and how one is put into the
sandbox CRMs and the mapping file.

Scenarios are frozen dataclasses of tuples and strings, so a failing example prints as the Python that
builds it again (kept as `@example` in test_fixpoint_regressions.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
import yaml
from fixpoint_crms import FixpointCrms
from hypothesis import HealthCheck
from hypothesis import strategies as st

from crmsync_pipeline.sandbox.automation import PRESETS

DIRECTIONS = (
    "two_way",
    "prefer_hubspot",
    "prefer_salesforce",
    "always_hubspot",
    "always_salesforce",
    "create_only",
    "none",
)
PLACEHOLDER = "[not provided]"
LONG_TITLE = "Senior Vice President of Global Strategic Revenue Operations and Cross-Functional " + (
    "Go-To-Market Enablement, EMEA and APAC Regions (acting)"
)
INCLUDED_STAGES = ["marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]


@dataclass(frozen=True)
class Field:
    """A mapped field of the contacts pair: the HubSpot property, the Salesforce field, and what else
    its mapping entry says."""

    hubspot: str
    salesforce: str
    options: tuple[tuple[str, Any], ...] = ()


FIELDS = {
    "email": Field("email", "Email", (("transform", "email"),)),
    "firstname": Field("firstname", "FirstName"),
    "lastname": Field("lastname", "LastName"),
    "phone": Field("phone", "Phone"),
    "jobtitle": Field("jobtitle", "Title", (("truncate", True),)),
    "company": Field(
        "company",
        "Company",
        (("salesforce_objects", "Lead"), ("truncate", True), ("default", {"salesforce": PLACEHOLDER})),
    ),
    "lifecyclestage": Field("lifecyclestage", "HubSpot_Lifecycle_Stage__c"),
    # a Lead's Status, which Salesforce fills with its default on create (issue 14 item 1)
    "hs_lead_status": Field(
        "hs_lead_status",
        "Status",
        (("salesforce_objects", "Lead"), ("transform", {"kind": "picklist", "value_map": "lead_status"})),
    ),
}
SERVER_FILLED = ("hs_lead_status",)

# Automation a real org runs after a save, none of it hostile (no pair of rules turning each other's
# value around: case_flip is left out, see test_fixpoint.py). Each entry: HubSpot rules, Salesforce rules.
AUTOMATION: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "tidy_contacts": (PRESETS["tidy_contacts"]["hubspot"], PRESETS["tidy_contacts"]["salesforce"]),
    "lead_phone": ([], [{"name": "lead_phone", "object": "Lead", "when_changed": "Phone",
                         "action": "format_phone", "field": "Phone"}]),
    "titles_upper": (
        [{"name": "title_upper", "object": "contacts", "when_changed": "jobtitle", "action": "upper_case",
          "field": "jobtitle"}],
        [{"name": f"title_upper_{o}", "object": o, "when_changed": "Title", "action": "upper_case", "field": "Title"}
         for o in ("Contact", "Lead")],
    ),
    "hubspot_titles_upper": ([{"name": "title_upper", "object": "contacts", "when_changed": "jobtitle",
                               "action": "upper_case", "field": "jobtitle"}], []),
    "last_name_upper_later": ([], [
        {"name": f"last_upper_{o}", "object": o, "when_changed": "LastName", "action": "upper_case",
         "field": "LastName", "run_as": "automated_process"} for o in ("Contact", "Lead")]),
    "copy_last_name_to_company": ([{"name": "copy_last", "object": "contacts", "when_changed": "lastname",
                                    "action": "copy", "from_field": "lastname", "field": "company"}], []),
    "title_set_when_phone_changes": ([], [{"name": "called", "object": "Lead", "when_changed": "Phone",
                                           "action": "set", "field": "Title", "value": "Called"}]),
}  # fmt: skip


@dataclass(frozen=True)
class MappingVariant:
    """The contacts pair as one example maps it."""

    directions: tuple[tuple[str, str], ...]  # (field name, direction), in FIELDS order; absent: unmapped
    include_lifecycle: bool = False  # HubSpot side: lifecycle stage in INCLUDED_STAGES
    include_domain: bool = False  # both sides: email domain not test.com
    name_key: bool = False  # match people without email by name and company
    create_in_hubspot: bool = True
    create_in_salesforce: bool = True
    salesforce_as: str = "lead"

    @property
    def mapped(self) -> dict[str, str]:
        return dict(self.directions)

    @property
    def server_filled(self) -> bool:
        """Whether Salesforce fills a mapped value on a create crmsync makes (Lead.Status)."""
        creates_leads = self.create_in_salesforce and self.salesforce_as == "lead"
        return creates_leads and any(name in self.mapped for name in SERVER_FILLED)

    def document(self) -> dict[str, Any]:
        fields = [
            {"hubspot": FIELDS[name].hubspot, "salesforce": FIELDS[name].salesforce, "direction": direction,
             **dict(FIELDS[name].options)}
            for name, direction in self.directions
        ]  # fmt: skip
        match: list[dict[str, Any]] = [
            {"name": "email", "hubspot": "email", "salesforce": "Email", "normalize": "email"}
        ]
        if self.name_key:
            match.append(
                {"name": "name_and_company", "hubspot": ["firstname", "lastname", "company"],
                 "salesforce": {"Contact": ["FirstName", "LastName", "Account.Name"],
                                "Lead": ["FirstName", "LastName", "Company"]},
                 "normalize": ["name", "name", "company_name"], "only_when_missing": ["email"]}
            )  # fmt: skip
        pair: dict[str, Any] = {
            "hubspot": "contacts",
            "salesforce": ["Contact", "Lead"],
            "fields": fields,
            "match": match,
            "create": {"in_hubspot": self.create_in_hubspot, "in_salesforce": self.create_in_salesforce,
                       "salesforce_as": self.salesforce_as},
        }  # fmt: skip
        include: dict[str, Any] = {}
        hubspot_rules: list[dict[str, Any]] = []
        if self.include_lifecycle:
            hubspot_rules.append({"field": "lifecyclestage", "in": INCLUDED_STAGES})
        if self.include_domain:
            hubspot_rules.append({"field": "email", "email_domain_not_in": ["test.com"]})
            include["salesforce"] = {"field": "Email", "email_domain_not_in": ["test.com"]}
        if hubspot_rules:
            include["hubspot"] = {"all": hubspot_rules}
        if include:
            pair["include"] = include
        return {
            "version": 1,
            "cross_reference": {"hubspot_property": "crmsync_salesforce_id",
                                "salesforce_field": "CrmSync_HubSpot_Id__c"},
            "approval": {"max_update_share": "100%", "max_delete_share": "100%", "ignore_below": 1000},
            "value_maps": {"lead_status": {
                "both_ways": {"NEW": "Open - Not Contacted", "IN_PROGRESS": "Working - Contacted",
                              "UNQUALIFIED": "Closed - Not Converted"},
                "hubspot_to_salesforce": {"OPEN": "Open - Not Contacted"}}},
            "objects": {"contacts": pair},
        }  # fmt: skip

    def write(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump(self.document(), sort_keys=False))
        return path


@dataclass(frozen=True)
class HubSpotContact:
    properties: tuple[tuple[str, str], ...]  # set at create
    cleared: tuple[str, ...] = ()  # set to "x" at create, then cleared by a person (history kept)


@dataclass(frozen=True)
class SalesforcePerson:
    sobject: str  # Contact or Lead
    fields: tuple[tuple[str, Any], ...]
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edit:
    """A person's edit between two syncs: on `crm` (hubspot or salesforce), the `record`-th live person
    record (by id, modulo their number: created by a person or by crmsync), `field` set to `value`
    ("" clears it)."""

    crm: str
    record: int
    field: str
    value: str


@dataclass(frozen=True)
class Scenario:
    mapping: MappingVariant
    hubspot: tuple[HubSpotContact, ...] = ()
    salesforce: tuple[SalesforcePerson, ...] = ()
    automation: tuple[str, ...] = ()
    edits: tuple[Edit, ...] = ()  # made after the first sync; then one more sync before the check


@dataclass
class Applied:
    """What the CRMs accepted of a scenario: record ids, and the email or name of each, per CRM."""

    hubspot: list[str] = field(default_factory=list)
    salesforce: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0


def apply(scenario: Scenario, crms: FixpointCrms) -> Applied:
    """The scenario's records created in the CRMs by people (not crmsync), then its automation switched
    on, so the rules act on what the sync writes."""
    applied = Applied()
    for contact in scenario.hubspot:
        properties = dict(contact.properties) | {name: "x" for name in contact.cleared}
        record_id = crms.hubspot_create(properties)
        if record_id is None:
            applied.refused += 1
            continue
        if contact.cleared:
            crms.hubspot_edit(record_id, {name: "" for name in contact.cleared})
        applied.hubspot.append(record_id)
    for person in scenario.salesforce:
        values = dict(person.fields) | {name: "x" for name in person.cleared}
        record_id = crms.salesforce_create(person.sobject, values)
        if record_id is None:
            applied.refused += 1
            continue
        if person.cleared:
            crms.salesforce_edit(person.sobject, record_id, {name: None for name in person.cleared})
        applied.salesforce.append((person.sobject, record_id))
    hubspot_rules = [r for name in scenario.automation for r in AUTOMATION[name][0]]
    salesforce_rules = [r for name in scenario.automation for r in AUTOMATION[name][1]]
    crms.automate(hubspot_rules, salesforce_rules)
    return applied


def make_edits(edits: tuple[Edit, ...], crms: FixpointCrms) -> int:
    """The edits, made through the CRMs' UI routes; returns how many the CRMs refused (a required field
    cleared, an invalid value), which are then simply not made."""
    live = [r for r in crms.people() if not r.gone]
    refused = 0
    for edit in edits:
        records = sorted((r for r in live if r.crm == edit.crm), key=lambda r: (r.sobject, r.id))
        if not records:
            continue
        record = records[edit.record % len(records)]
        try:
            if edit.crm == "hubspot":
                crms.hubspot_edit(record.id, {edit.field: edit.value})
            else:
                crms.salesforce_edit(record.sobject, record.id, {edit.field: edit.value or None})
        except requests.HTTPError:
            refused += 1
    return refused


# ---- strategies ---------------------------------------------------------------------------------------
FIRST_NAMES = ("Ann", "Bo")
LAST_NAMES = ("Lee", "Ng")
DOMAINS = ("acme.org", "test.com")
PHONES = (None, "5551234567", "555.123.4567", "(555) 123-4567", "555-12")
TITLES = (None, "VP Sales", "vp sales", LONG_TITLE)
COMPANIES = (None, "Acme", "Globex")
STAGES = (None, "lead", "marketingqualifiedlead", "salesqualifiedlead", "customer")
HUBSPOT_LEAD_STATUSES = (None, "NEW", "IN_PROGRESS", "OPEN")
SALESFORCE_LEAD_STATUSES = (None, "Working - Contacted", "Closed - Not Converted")
CLEARABLE_HUBSPOT = ("firstname", "phone", "jobtitle", "company")
CLEARABLE_SALESFORCE = ("FirstName", "Phone", "Title")


@st.composite
def mapping_variants(draw: st.DrawFn, server_filled: bool = True) -> MappingVariant:
    """A mapping; with `server_filled=False`, one that maps Lead.Status only where crmsync creates no
    Leads (Leads people made still get Salesforce's default Status)."""
    names = [n for n in FIELDS if n != "email"]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    directions = tuple(
        (name, draw(st.sampled_from(DIRECTIONS))) for name in FIELDS if name == "email" or name in chosen
    )
    variant = MappingVariant(
        directions=directions,
        include_lifecycle=draw(st.booleans()),
        include_domain=draw(st.booleans()),
        name_key=draw(st.booleans()),
        create_in_hubspot=draw(st.booleans()),
        create_in_salesforce=draw(st.booleans()),
        salesforce_as=draw(st.sampled_from(("lead", "contact"))),
    )
    if not server_filled and variant.server_filled:
        return replace(variant, salesforce_as="contact")
    return variant


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str | None  # None: a person without email


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    count = draw(st.integers(min_value=1, max_value=4))
    found = []
    for i in range(count):
        first, last = draw(st.sampled_from(FIRST_NAMES)), draw(st.sampled_from(LAST_NAMES))
        has_email = draw(st.sampled_from((True, True, False)))
        email = f"{first}.{last}{i}@{draw(st.sampled_from(DOMAINS))}".lower() if has_email else None
        found.append(Person(first, last, email))
    return found


def email_variant(draw: st.DrawFn, email: str | None, side: str) -> str | None:
    if email is None:
        return None
    kinds = ["same", "upper", "plus", "invalid_for_salesforce"] + (["padded"] if side == "hubspot" else [])
    kind = draw(st.sampled_from(kinds))
    local, domain = email.split("@")
    return {
        "same": email,
        "upper": email.upper(),
        "plus": f"{local}+crm@{domain}",  # a different address: the matcher does not strip tags
        "padded": f"  {email} ",
        "invalid_for_salesforce": f"{local}@{domain.replace('.', '_', 1)}.io",  # HubSpot takes it
    }[kind]


def name_variant(draw: st.DrawFn, name: str) -> str | None:
    return draw(st.sampled_from((name, name, name.upper(), None, name + "ie")))


@st.composite
def hubspot_contact(draw: st.DrawFn, person: Person) -> HubSpotContact:
    values = {
        "email": email_variant(draw, person.email, "hubspot"),
        "firstname": name_variant(draw, person.first),
        "lastname": draw(st.sampled_from((person.last, person.last, None))),
        "phone": draw(st.sampled_from(PHONES)),
        "jobtitle": draw(st.sampled_from(TITLES)),
        "company": draw(st.sampled_from(COMPANIES)),
        "lifecyclestage": draw(st.sampled_from(STAGES)),
        "hs_lead_status": draw(st.sampled_from(HUBSPOT_LEAD_STATUSES)),
    }
    empty = [k for k, v in values.items() if v is None and k in CLEARABLE_HUBSPOT]
    cleared = draw(st.lists(st.sampled_from(empty), unique=True)) if empty else []
    return HubSpotContact(tuple((k, v) for k, v in values.items() if v is not None), tuple(cleared))


@st.composite
def salesforce_person(
    draw: st.DrawFn, person: Person, sobject: str, backward_stages: bool = True
) -> SalesforcePerson:
    values: dict[str, Any] = {
        "Email": email_variant(draw, person.email, "salesforce"),
        "FirstName": name_variant(draw, person.first),
        "LastName": person.last,  # required by Salesforce
        "Phone": draw(st.sampled_from(PHONES)),
        "Title": draw(st.sampled_from(TITLES[:3])),
        # without backward stages: only the last stage, which never moves a HubSpot contact back
        "HubSpot_Lifecycle_Stage__c": draw(
            st.sampled_from(STAGES if backward_stages else (None, "customer"))
        ),
    }
    if sobject == "Lead":
        values["Company"] = draw(st.sampled_from(("Acme", "Globex", PLACEHOLDER)))
        values["Status"] = draw(st.sampled_from(SALESFORCE_LEAD_STATUSES))
    empty = [k for k, v in values.items() if v is None and k in CLEARABLE_SALESFORCE]
    cleared = draw(st.lists(st.sampled_from(empty), unique=True)) if empty else []
    return SalesforcePerson(
        sobject, tuple((k, v) for k, v in values.items() if v is not None), tuple(cleared)
    )


def rewrites_mapped_field(automation: str, mapping: MappingVariant) -> bool:
    """Whether a rule of `automation` rewrites a field the mapping writes (any direction but none)."""
    written = {rule["field"] for side in AUTOMATION[automation] for rule in side}
    synced = {
        name
        for field_name, direction in mapping.directions
        if direction != "none"
        for name in (FIELDS[field_name].hubspot, FIELDS[field_name].salesforce)
    }
    return bool(written & synced)


@st.composite
def scenarios(
    draw: st.DrawFn, server_filled: bool = True, echoing_automation: bool = True, backward_stages: bool = True
) -> Scenario:
    """A scenario; each flag switched off leaves out a class of scenarios (all are on in the property
    test; a flag narrows the search while a failure is studied). `server_filled=False`: none where
    Salesforce fills a mapped value on a create crmsync makes (Lead.Status). `echoing_automation=False`:
    no automation rule rewrites a synced field. `backward_stages=False`: Salesforce never holds a
    lifecycle stage behind HubSpot's, which HubSpot keeps (test_fixpoint_regressions.py, the lifecycle
    stage tests)."""
    mapping = draw(mapping_variants(server_filled))
    hubspot, salesforce = [], []
    for person in draw(people()):
        where = draw(st.sampled_from(("hubspot", "salesforce", "both")))
        if where in ("hubspot", "both"):
            hubspot.append(draw(hubspot_contact(person)))
        if where in ("salesforce", "both"):
            shape = draw(st.sampled_from((("Contact",), ("Lead",), ("Contact", "Lead"))))
            salesforce += [draw(salesforce_person(person, sobject, backward_stages)) for sobject in shape]
    rules = [
        name for name in sorted(AUTOMATION) if echoing_automation or not rewrites_mapped_field(name, mapping)
    ]
    automation = draw(st.lists(st.sampled_from(rules), unique=True, max_size=2)) if rules else []
    edits = draw(st.lists(edit_strategy(), max_size=3)) if draw(st.booleans()) else []
    return Scenario(mapping, tuple(hubspot), tuple(salesforce), tuple(automation), tuple(edits))


EDIT_VALUES = {
    ("hubspot", "firstname"): ("", "Annie", "BO"),
    ("hubspot", "lastname"): ("", "Lee", "Ngo"),
    ("hubspot", "phone"): ("", "5559876543", "(555) 987-6543"),
    ("hubspot", "jobtitle"): ("", "CTO", LONG_TITLE),
    ("hubspot", "company"): ("", "Initech", PLACEHOLDER),
    ("hubspot", "lifecyclestage"): ("", "lead", "customer"),
    ("hubspot", "email"): ("", "Moved.Person@acme.org"),
    ("salesforce", "FirstName"): ("", "Annie"),
    ("salesforce", "LastName"): ("", "Lee-Ng"),
    ("salesforce", "Phone"): ("", "5559876543", "555-12"),
    ("salesforce", "Title"): ("", "cto"),
    ("salesforce", "Company"): ("", "Initech"),
    ("salesforce", "Email"): ("", "moved.person@ACME.org"),
}


@st.composite
def edit_strategy(draw: st.DrawFn) -> Edit:
    crm, field_name = draw(st.sampled_from(sorted(EDIT_VALUES)))
    value = draw(st.sampled_from(EDIT_VALUES[(crm, field_name)]))
    return Edit(crm, draw(st.integers(min_value=0, max_value=3)), field_name, value)


# the property test's scenarios (every class: the hostile pair case_flip is not among AUTOMATION) and
# the settings of every test that draws them
FIXPOINT_SCENARIOS = scenarios()
# examples per generated test: 100 in `make test-slow` (two tests, so the 200 the issue asks for;
# derandomized, so the same scenarios every run), 300 in `make test-property` for a deeper search
FIXPOINT_EXAMPLES = int(os.environ.get("CRMSYNC_FIXPOINT_EXAMPLES") or 100)
EXAMPLE_SETTINGS: dict[str, Any] = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
