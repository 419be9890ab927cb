"""Property definitions a fresh portal has for contacts, companies, deals and tasks."""

from __future__ import annotations

from typing import Any

INSTALLED_AT = "2020-06-30T15:57:37.277Z"


def options(*values: str | tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for order, value in enumerate(values):
        internal, label = value if isinstance(value, tuple) else (value, value.replace("_", " ").title())
        out.append(
            {"label": label, "value": internal, "hidden": False, "displayOrder": order, "description": ""}
        )
    return out


def prop(
    name: str,
    label: str,
    type_: str = "string",
    field_type: str | None = None,
    group: str = "contactinformation",
    opts: list[dict[str, Any]] | None = None,
    *,
    read_only: bool = False,
    unique: bool = False,
    calculated: bool = False,
    hubspot_defined: bool = True,
    referenced: str | None = None,
    order: int = -1,
) -> dict[str, Any]:
    default_field = {
        "string": "text",
        "number": "number",
        "date": "date",
        "datetime": "date",
        "enumeration": "select",
        "bool": "booleancheckbox",
        "phone_number": "phonenumber",
    }
    definition = {
        "updatedAt": INSTALLED_AT,
        "createdAt": INSTALLED_AT,
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type or default_field[type_],
        "description": "",
        "groupName": group,
        "options": opts or [],
        "displayOrder": order,
        "calculated": calculated,
        "externalOptions": False,
        "hasUniqueValue": unique,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "formField": not read_only,
        "dataSensitivity": "non_sensitive",
        "archived": False,
    }
    if referenced:
        definition["referencedObjectType"] = referenced
    return definition


def _common(group: str, created: str, modified: str) -> list[dict[str, Any]]:
    return [
        prop(created, "Create Date", "datetime", group=group, read_only=True),
        prop(modified, "Last Modified Date", "datetime", group=group, read_only=True),
        prop("hs_object_id", "Record ID", "number", group=group, read_only=True),
        prop("hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", group, read_only=True),
        prop("hubspot_owner_id", "Owner", "enumeration", "select", group, referenced="OWNER"),
    ]


LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

# A subset of HubSpot's industry options: every value the default mapping uses, and a few it leaves unmapped.
INDUSTRIES = (
    "ACCOUNTING",
    "AIRLINES_AVIATION",
    "APPAREL_FASHION",
    "AUTOMOTIVE",
    "BANKING",
    "BIOTECHNOLOGY",
    "BROADCAST_MEDIA",
    "BUILDING_MATERIALS",
    "CAPITAL_MARKETS",
    "CHEMICALS",
    "CIVIL_ENGINEERING",
    "COMPUTER_HARDWARE",
    "COMPUTER_NETWORKING",
    "COMPUTER_NETWORK_SECURITY",
    "COMPUTER_SOFTWARE",
    "CONSTRUCTION",
    "CONSUMER_ELECTRONICS",
    "CONSUMER_GOODS",
    "EDUCATION_MANAGEMENT",
    "ENTERTAINMENT",
    "ENVIRONMENTAL_SERVICES",
    "E_LEARNING",
    "FARMING",
    "FINANCIAL_SERVICES",
    "FOOD_BEVERAGES",
    "FOOD_PRODUCTION",
    "GOVERNMENT_ADMINISTRATION",
    "HEALTH_WELLNESS_AND_FITNESS",
    "HIGHER_EDUCATION",
    "HOSPITALITY",
    "HOSPITAL_HEALTH_CARE",
    "INDUSTRIAL_AUTOMATION",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "INSURANCE",
    "INTERNET",
    "INVESTMENT_BANKING",
    "INVESTMENT_MANAGEMENT",
    "LEGAL_SERVICES",
    "LEISURE_TRAVEL_TOURISM",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "MACHINERY",
    "MANAGEMENT_CONSULTING",
    "MARKETING_AND_ADVERTISING",
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING",
    "MEDICAL_DEVICES",
    "MEDICAL_PRACTICE",
    "NON_PROFIT_ORGANIZATION_MANAGEMENT",
    "OIL_ENERGY",
    "ONLINE_MEDIA",
    "PACKAGE_FREIGHT_DELIVERY",
    "PHARMACEUTICALS",
    "PRIMARY_SECONDARY_EDUCATION",
    "PUBLIC_RELATIONS_AND_COMMUNICATIONS",
    "PUBLISHING",
    "REAL_ESTATE",
    "RECREATIONAL_FACILITIES_AND_SERVICES",
    "RENEWABLES_ENVIRONMENT",
    "RESTAURANTS",
    "RETAIL",
    "SEMICONDUCTORS",
    "SUPERMARKETS",
    "TELECOMMUNICATIONS",
    "TRANSPORTATION_TRUCKING_RAILROAD",
    "UTILITIES",
    "VENTURE_CAPITAL_PRIVATE_EQUITY",
    "WIRELESS",
)


def contact_properties() -> list[dict[str, Any]]:
    g = "contactinformation"
    return _common(g, "createdate", "lastmodifieddate") + [
        prop("email", "Email", group=g),
        prop("firstname", "First Name", group=g),
        prop("lastname", "Last Name", group=g),
        prop("jobtitle", "Job Title", group=g),
        prop("phone", "Phone Number", "string", "phonenumber", g),
        prop("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
        prop("fax", "Fax Number", group=g),
        prop("company", "Company Name", group=g),
        prop("website", "Website URL", group=g),
        prop("address", "Street Address", group=g),
        prop("city", "City", group=g),
        prop("state", "State/Region", group=g),
        prop("zip", "Postal Code", group=g),
        prop("country", "Country/Region", group=g),
        prop(
            "hs_additional_emails", "Additional email addresses", "enumeration", "checkbox", g, read_only=True
        ),
        prop(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            g,
            options(
                ("subscriber", "Subscriber"),
                ("lead", "Lead"),
                ("marketingqualifiedlead", "Marketing Qualified Lead"),
                ("salesqualifiedlead", "Sales Qualified Lead"),
                ("opportunity", "Opportunity"),
                ("customer", "Customer"),
                ("evangelist", "Evangelist"),
                ("other", "Other"),
            ),
        ),
        prop(
            "hs_lead_status",
            "Lead Status",
            "enumeration",
            "radio",
            "sales_properties",
            options(
                ("NEW", "New"),
                ("OPEN", "Open"),
                ("IN_PROGRESS", "In Progress"),
                ("OPEN_DEAL", "Open Deal"),
                ("UNQUALIFIED", "Unqualified"),
                ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
                ("CONNECTED", "Connected"),
                ("BAD_TIMING", "Bad Timing"),
            ),
        ),
        prop(
            "hs_analytics_source",
            "Original Source",
            "enumeration",
            "select",
            "analyticsinformation",
            options(
                "ORGANIC_SEARCH",
                "PAID_SEARCH",
                "EMAIL_MARKETING",
                "SOCIAL_MEDIA",
                "REFERRALS",
                "OTHER_CAMPAIGNS",
                "DIRECT_TRAFFIC",
                "OFFLINE",
                "PAID_SOCIAL",
            ),
            read_only=True,
        ),
        prop(
            "lead_source",
            "Lead Source",
            "enumeration",
            "select",
            g,
            options("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
            hubspot_defined=False,
        ),
        prop(
            "num_associated_deals",
            "Number of Associated Deals",
            "number",
            group="deal_information",
            read_only=True,
            calculated=True,
        ),
        prop("hs_email_optout", "Unsubscribed from all email", "bool", group=g, read_only=True),
        prop("date_of_birth", "Date of birth", "date", group=g),
    ]


def company_properties() -> list[dict[str, Any]]:
    g = "companyinformation"
    return _common(g, "createdate", "hs_lastmodifieddate") + [
        prop("name", "Company name", group=g),
        prop("domain", "Company Domain Name", group=g),
        prop("website", "Website URL", group=g),
        prop("industry", "Industry", "enumeration", "select", g, options(*INDUSTRIES)),
        prop("annualrevenue", "Annual Revenue", "number", group=g),
        prop("numberofemployees", "Number of Employees", "number", group=g),
        prop("phone", "Phone Number", "string", "phonenumber", g),
        prop("address", "Street Address", group=g),
        prop("city", "City", group=g),
        prop("state", "State/Region", group=g),
        prop("zip", "Postal Code", group=g),
        prop("country", "Country/Region", group=g),
        prop("description", "Description", "string", "textarea", g),
        prop(
            "type",
            "Type",
            "enumeration",
            "select",
            g,
            options("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER"),
        ),
        prop(
            "num_associated_contacts",
            "Number of Associated Contacts",
            "number",
            group=g,
            read_only=True,
            calculated=True,
        ),
    ]


def deal_properties() -> list[dict[str, Any]]:
    g = "dealinformation"
    return _common(g, "createdate", "hs_lastmodifieddate") + [
        prop("dealname", "Deal Name", group=g),
        prop("amount", "Amount", "number", group=g),
        prop("closedate", "Close Date", "datetime", group=g),
        prop("pipeline", "Pipeline", "enumeration", "select", g),
        prop("dealstage", "Deal Stage", "enumeration", "radio", g),
        prop(
            "dealtype",
            "Deal Type",
            "enumeration",
            "radio",
            g,
            options(("newbusiness", "New Business"), ("existingbusiness", "Existing Business")),
        ),
        prop("description", "Deal Description", "string", "textarea", g),
        prop("hs_is_closed", "Is Deal Closed?", "bool", group=g, read_only=True, calculated=True),
        prop(
            "hs_deal_stage_probability",
            "Deal Stage Probability",
            "number",
            group=g,
            read_only=True,
            calculated=True,
        ),
    ]


def task_properties() -> list[dict[str, Any]]:
    g = "task"
    return _common(g, "hs_createdate", "hs_lastmodifieddate") + [
        prop("hs_task_subject", "Task Title", group=g),
        prop("hs_task_body", "Notes", "string", "html", g),
        prop(
            "hs_task_status",
            "Task Status",
            "enumeration",
            "select",
            g,
            options("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
        ),
        prop(
            "hs_task_priority",
            "Priority",
            "enumeration",
            "select",
            g,
            options("NONE", "LOW", "MEDIUM", "HIGH"),
        ),
        prop(
            "hs_task_type",
            "Task Type",
            "enumeration",
            "select",
            g,
            options(("TODO", "To-do"), ("CALL", "Call"), ("EMAIL", "Email")),
        ),
        prop("hs_timestamp", "Due date", "datetime", group=g),
    ]


def xref_property() -> dict[str, Any]:
    return prop(
        "crmsync_salesforce_id",
        "Salesforce ID (crmsync)",
        group="crmsync",
        unique=True,
        hubspot_defined=False,
    )


DEFAULT_PROPERTIES = {
    "0-1": contact_properties,
    "0-2": company_properties,
    "0-3": deal_properties,
    "0-27": task_properties,
}
