"""Write a generated world as each CRM holds it: HubSpot properties and v4 associations, Salesforce
fields and lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import vocabulary as v
from .model import HubSpotSide, SalesforceSide, SeedAssociation, SeedList, SeedRecord

if TYPE_CHECKING:
    from .generate import Person, World

ON_HUBSPOT = ("both", "hubspot")
ON_SALESFORCE = ("both", "salesforce")

# How the teams behind the seeded data staged the deals that exist on both sides.
STAGE_AS_SALESFORCE_HAS_IT = {
    "appointmentscheduled": "Discovery",
    "qualifiedtobuy": "Qualification",
    "presentationscheduled": "Proposal/Price Quote",
    "decisionmakerboughtin": "Negotiation/Review",
    "contractsent": "Negotiation/Review",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}


def hubspot_side(world: World) -> HubSpotSide:
    side = HubSpotSide()
    side.owners = [
        SeedRecord(key, {"email": email, "firstName": first, "lastName": last})
        for key, email, first, last in world.owners
    ]
    side.owners.append(
        SeedRecord(
            "hubspot-only-owner",
            {"email": "marketing.ops@sandbox-marketing.example", "firstName": "Morgan", "lastName": "Reyes"},
        )
    )
    owner = lambda key: {"hubspot_owner_id": ("owners", key)}  # noqa: E731

    companies = [c for c in world.companies if c.presence in ON_HUBSPOT]
    side.objects["companies"] = [
        SeedRecord(
            c.key,
            {
                "name": c.name,
                "domain": c.domain,
                "industry": c.industry[0],
                "numberofemployees": c.employees,
                "annualrevenue": c.revenue,
            },
            owner(c.owner),
            created_at=c.created_at,
            modified_at=c.created_at,
        )
        for c in companies
    ]
    people = [p for p in world.people if p.presence in ON_HUBSPOT]
    side.objects["contacts"] = [_hubspot_contact(p, owner(p.owner)) for p in people]
    for p in people:
        if p.company.presence in ON_HUBSPOT:
            side.associations.append(SeedAssociation("contacts", p.key, "companies", p.company.key, [279, 1]))

    hubspot_people = {p.key for p in people}
    deals = [d for d in world.deals if d.presence in ON_HUBSPOT]
    side.objects["deals"] = [
        SeedRecord(
            d.key,
            {
                "dealname": d.name,
                "amount": d.amount,
                "closedate": d.close,
                "pipeline": "default",
                "dealstage": d.hubspot_stage,
                "dealtype": v.DEAL_TYPES[int(d.key[1:]) % 2],
            },
            owner(d.owner),
            created_at=d.created_at,
            modified_at=d.created_at,
        )
        for d in deals
    ]
    for d in deals:
        if d.company.presence in ON_HUBSPOT:
            side.associations.append(SeedAssociation("deals", d.key, "companies", d.company.key, [341, 5]))
        for p in d.contacts:
            if p.key in hubspot_people:
                side.associations.append(SeedAssociation("deals", d.key, "contacts", p.key, [3]))

    hubspot_deals = {d.key for d in deals}
    tasks = [t for t in world.tasks if t.presence in ON_HUBSPOT and t.person.key in hubspot_people]
    side.objects["tasks"] = [
        SeedRecord(
            t.key,
            {
                "hs_task_subject": t.subject,
                "hs_task_status": v.HUBSPOT_TASK_STATUSES[t.status_index],
                "hs_task_priority": ("HIGH", "MEDIUM", "LOW")[t.priority],
                "hs_timestamp": t.due,
                "hs_task_body": t.body,
                "hs_task_type": "TODO",
            },
            owner(t.owner),
            created_at=t.created_at,
            modified_at=t.created_at,
        )
        for t in tasks
    ]
    for t in tasks:
        side.associations.append(SeedAssociation("tasks", t.key, "contacts", t.person.key, [204]))
        if t.deal is not None and t.deal.key in hubspot_deals:
            side.associations.append(SeedAssociation("tasks", t.key, "deals", t.deal.key, [216]))

    side.lists = [
        SeedList("Sync to Salesforce", "0-1", "MANUAL", [p.key for p in people[::4]]),
        SeedList("Webinar attendees 2026", "0-1", "SNAPSHOT", [p.key for p in people[1::9]]),
    ]
    return side


def _hubspot_contact(p: Person, owner_ref: dict) -> SeedRecord:
    fields = {
        "email": p.hubspot_email,
        "firstname": p.first,
        "lastname": p.last or None,
        "jobtitle": p.title,
        "phone": p.phone,
        "company": p.company.name,
        "lifecyclestage": p.lifecycle,
        "hs_lead_status": p.lead_status,
        "lead_source": p.source,
    }
    return SeedRecord(p.key, fields, owner_ref, created_at=p.created_at, modified_at=p.created_at)


def salesforce_side(world: World) -> SalesforceSide:
    side = SalesforceSide()
    side.users = [
        SeedRecord(
            key,
            {
                "Username": email,
                "Email": email,
                "FirstName": first,
                "LastName": last,
                "Alias": (first[:1] + last[:4]).lower(),
                "IsActive": True,
            },
        )
        for key, email, first, last in world.owners
    ]
    side.users.append(
        SeedRecord(
            "salesforce-only-user",
            {
                "Username": "sales.director@sandbox-sales.example",
                "Email": "sales.director@sandbox-sales.example",
                "FirstName": "Avery",
                "LastName": "Stone",
                "Alias": "astone",
                "IsActive": True,
            },
        )
    )
    owner = lambda key: {"OwnerId": ("User", key)}  # noqa: E731

    accounts = [c for c in world.companies if c.presence in ON_SALESFORCE]
    side.objects["Account"] = [
        SeedRecord(
            c.key,
            {
                "Name": c.salesforce_name,
                "Website": c.salesforce_website,
                "Industry": c.salesforce_industry,
                "NumberOfEmployees": c.employees,
                "AnnualRevenue": c.revenue,
            },
            owner(c.owner),
            created_at=c.created_at,
            modified_at=c.created_at,
        )
        for c in accounts
    ]
    people = [p for p in world.people if p.presence in ON_SALESFORCE]
    contacts = [p for p in people if p.company.presence in ON_SALESFORCE]
    side.objects["Contact"] = [
        SeedRecord(
            p.key,
            _salesforce_person(p),
            {**owner(p.owner), "AccountId": ("Account", p.company.key)},
            created_at=p.created_at,
            modified_at=p.created_at,
        )
        for p in contacts
    ]
    leads = [p for p in people if p.company.presence not in ON_SALESFORCE]
    side.objects["Lead"] = [_lead(p, p.key, owner(p.owner)) for p in leads]
    # The same person as a Contact and a forgotten Lead: Salesforce orgs are full of these.
    side.objects["Lead"] += [_lead(p, f"{p.key}-lead", owner(p.owner)) for p in contacts if p.also_lead]

    contact_keys = {p.key for p in contacts}
    lead_keys = {p.key for p in leads}
    deals = [d for d in world.deals if d.presence in ON_SALESFORCE]
    side.objects["Opportunity"] = []
    side.objects["OpportunityContactRole"] = []
    for d in deals:
        stage = (
            STAGE_AS_SALESFORCE_HAS_IT[d.hubspot_stage]
            if d.presence == "both" and int(d.key[1:]) % 5
            else d.salesforce_stage
        )
        refs = owner(d.owner)
        if d.company.presence in ON_SALESFORCE:
            refs["AccountId"] = ("Account", d.company.key)
        side.objects["Opportunity"].append(
            SeedRecord(
                d.key,
                {
                    "Name": d.name,
                    "Amount": d.salesforce_amount,
                    "CloseDate": d.close.date(),
                    "StageName": stage,
                },
                refs,
                created_at=d.created_at,
                modified_at=d.created_at,
            )
        )
        for n, p in enumerate(x for x in d.contacts if x.key in contact_keys):
            side.objects["OpportunityContactRole"].append(
                SeedRecord(
                    f"{d.key}-{p.key}",
                    {"Role": "Decision Maker" if n == 0 else "Influencer", "IsPrimary": n == 0},
                    {"OpportunityId": ("Opportunity", d.key), "ContactId": ("Contact", p.key)},
                    created_at=d.created_at,
                    modified_at=d.created_at,
                )
            )

    opportunity_keys = {d.key for d in deals}
    side.objects["Task"] = []
    for t in world.tasks:
        if t.presence not in ON_SALESFORCE:
            continue
        who = (
            ("Contact", t.person.key)
            if t.person.key in contact_keys
            else (("Lead", t.person.key) if t.person.key in lead_keys else None)
        )
        if who is None:
            continue
        refs = {**owner(t.owner), "WhoId": who}
        if t.deal is not None and t.deal.key in opportunity_keys and who[0] == "Contact":
            refs["WhatId"] = ("Opportunity", t.deal.key)
        side.objects["Task"].append(
            SeedRecord(
                t.key,
                {
                    "Subject": t.subject,
                    "Status": v.SALESFORCE_TASK_STATUSES[t.status_index],
                    "Priority": v.SALESFORCE_TASK_PRIORITIES[t.priority],
                    "ActivityDate": t.due.date(),
                    "Description": t.body,
                },
                refs,
                created_at=t.created_at,
                modified_at=t.created_at,
            )
        )
    return side


def _salesforce_person(p: Person) -> dict:
    return {
        "FirstName": p.first,
        "LastName": p.last,
        "Email": p.salesforce_email,
        "Title": p.salesforce_title,
        "Phone": p.salesforce_phone,
        "LeadSource": p.source,
    }


def _lead(p: Person, key: str, owner_ref: dict) -> SeedRecord:
    fields = {
        **_salesforce_person(p),
        "Company": p.company.salesforce_name,
        "Status": v.SALESFORCE_LEAD_STATUSES[int(p.key[1:]) % len(v.SALESFORCE_LEAD_STATUSES)],
    }
    return SeedRecord(key, fields, owner_ref, created_at=p.created_at, modified_at=p.created_at)
