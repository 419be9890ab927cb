"""Field metadata of a fresh org's standard objects, as far as a HubSpot sync touches them."""

from __future__ import annotations

from .ids import KEY_PREFIXES, make_id
from .schema import FieldDef, ObjectDef, RecordTypeDef, plural

XREF_FIELD = "CrmSync_HubSpot_Id__c"
XREF_OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Task")
MASTER_RECORD_TYPE_ID = "012000000000000AAA"

# stage -> (probability, closed, won, forecast category)
OPPORTUNITY_STAGES: dict[str, tuple[int, bool, bool, str]] = {
    "Discovery": (5, False, False, "Pipeline"),
    "Prospecting": (10, False, False, "Pipeline"),
    "Qualification": (10, False, False, "Pipeline"),
    "Needs Analysis": (20, False, False, "Pipeline"),
    "Value Proposition": (50, False, False, "Pipeline"),
    "Id. Decision Makers": (60, False, False, "Pipeline"),
    "Perception Analysis": (70, False, False, "Pipeline"),
    "Proposal/Price Quote": (75, False, False, "Pipeline"),
    "Negotiation/Review": (90, False, False, "Pipeline"),
    "Closed Won": (100, True, True, "Closed"),
    "Closed Lost": (0, True, False, "Omitted"),
}
FORECAST_CATEGORIES = {"Pipeline": "Pipeline", "Closed": "Closed", "Omitted": "Omitted"}
LEAD_STATUSES = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
]
CONVERTED_LEAD_STATUS = "Closed - Converted"
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
INDUSTRIES = [
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Other",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
]
ACCOUNT_TYPES = [
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
]  # fmt: skip
OCR_ROLES = [
    "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator",
    "Executive Sponsor", "Influencer", "Technical Buyer", "Other",
]  # fmt: skip
TASK_STATUSES = ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"]
TASK_PRIORITIES = ["High", "Normal", "Low"]
OPPORTUNITY_RECORD_TYPES = [
    RecordTypeDef(make_id("012", 1), "New Business", "New_Business", default=True),
    RecordTypeDef(make_id("012", 2), "Renewal", "Renewal"),
]
DEFAULT_OPPORTUNITY_RECORD_TYPE_ID = OPPORTUNITY_RECORD_TYPES[0].id


def text(name: str, length: int, **kw: object) -> FieldDef:
    return FieldDef(name, "string", length=length, **kw)  # type: ignore[arg-type]


def typed(name: str, type_: str, length: int = 0, **kw: object) -> FieldDef:
    return FieldDef(name, type_, length=length, **kw)  # type: ignore[arg-type]


def picklist(name: str, values: list[str], default: str | None = None, **kw: object) -> FieldDef:
    return FieldDef(
        name, "picklist", length=255, picklist=list(values), picklist_default=default,
        defaulted_on_create=default is not None, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def number(name: str, type_: str, precision: int, scale: int = 0, **kw: object) -> FieldDef:
    if type_ == "int":
        return FieldDef(name, "int", digits=precision, **kw)  # type: ignore[arg-type]
    return FieldDef(name, type_, precision=precision, scale=scale, **kw)  # type: ignore[arg-type]


def boolean(name: str, **kw: object) -> FieldDef:
    return FieldDef(name, "boolean", nillable=False, defaulted_on_create=True, default_value=False, **kw)  # type: ignore[arg-type]


def ref(name: str, to: list[str], rel: str | None, **kw: object) -> FieldDef:
    return FieldDef(name, "reference", length=18, reference_to=to, relationship_name=rel, **kw)  # type: ignore[arg-type]


def read_only(f: FieldDef) -> FieldDef:
    f.createable = f.updateable = False
    return f


def system_fields(obj: ObjectDef, owned: bool, mergeable: bool) -> None:
    obj.add(FieldDef("Id", "id", label=f"{obj.label} ID", length=18, nillable=False, createable=False,
                     updateable=False, defaulted_on_create=True, id_lookup=True))  # fmt: skip
    if owned:
        obj.add(ref("OwnerId", ["User"], "Owner", nillable=False, defaulted_on_create=True, label="Owner ID"))
    obj.add(read_only(boolean("IsDeleted", label="Deleted")))
    if mergeable:
        obj.add(read_only(ref("MasterRecordId", [obj.name], "MasterRecord", label="Master Record ID")))
    obj.add(read_only(typed("CreatedDate", "datetime", nillable=False, defaulted_on_create=True)))
    obj.add(read_only(ref("CreatedById", ["User"], "CreatedBy", nillable=False, defaulted_on_create=True)))
    obj.add(read_only(typed("LastModifiedDate", "datetime", nillable=False, defaulted_on_create=True)))
    obj.add(
        read_only(
            ref("LastModifiedById", ["User"], "LastModifiedBy", nillable=False, defaulted_on_create=True)
        )
    )
    obj.add(read_only(typed("SystemModstamp", "datetime", nillable=False, defaulted_on_create=True)))


def new_object(
    name: str,
    label: str,
    *,
    owned: bool = True,
    mergeable: bool = False,
    writable: bool = True,
    prefix: str = "",
) -> ObjectDef:
    obj = ObjectDef(
        name, label, plural(label), prefix or KEY_PREFIXES[name], mergeable=mergeable, writable=writable
    )
    system_fields(obj, owned, mergeable)
    return obj


def address(prefix: str) -> list[FieldDef]:
    return [
        typed(f"{prefix}Street", "textarea", 255),
        text(f"{prefix}City", 40),
        text(f"{prefix}State", 80),
        text(f"{prefix}PostalCode", 20),
        text(f"{prefix}Country", 80),
    ]


def xref_field() -> FieldDef:
    return FieldDef(XREF_FIELD, "string", label="CrmSync HubSpot Id", length=40, external_id=True,
                    unique=True, id_lookup=True, custom=True)  # fmt: skip


def person_name(obj: ObjectDef) -> None:
    obj.add(text("FirstName", 40))
    obj.add(text("LastName", 80, nillable=False))
    obj.add(read_only(text("Name", 121, label="Full Name", name_field=True)))


def build_standard_objects(install_xref: bool) -> list[ObjectDef]:
    objects = [_organization(), _user(), _record_type(), _stage(), _lead_status(), _account(),
               _contact(), _lead(), _opportunity(), _contact_role(), _task()]  # fmt: skip
    if install_xref:
        for obj in objects:
            if obj.name in XREF_OBJECTS:
                obj.add(xref_field())
    return objects


def _organization() -> ObjectDef:
    o = new_object("Organization", "Organization", owned=False, writable=False)
    for f in (text("Name", 80), text("OrganizationType", 40), text("InstanceName", 5),
              boolean("IsSandbox"), text("DefaultLocaleSidKey", 40), text("TimeZoneSidKey", 40)):  # fmt: skip
        o.add(read_only(f))
    o.fields["Name"].name_field = True
    return o


def _user() -> ObjectDef:
    o = new_object("User", "User", owned=False, writable=False)
    o.add(text("Username", 80, nillable=False, unique=True, id_lookup=True))
    person_name(o)
    for f in (typed("Email", "email", 128, nillable=False), text("Alias", 8, nillable=False), boolean("IsActive"),
              text("Title", 80), text("Department", 80), typed("Phone", "phone", 40),
              text("TimeZoneSidKey", 40), text("LocaleSidKey", 40), text("EmailEncodingKey", 40),
              text("LanguageLocaleKey", 40), text("ProfileId", 18), text("UserType", 40)):  # fmt: skip
        o.add(f)
    return o


def _record_type() -> ObjectDef:
    o = new_object("RecordType", "Record Type", owned=False, writable=False)
    for f in (text("Name", 80, name_field=True), text("DeveloperName", 80), text("SobjectType", 40),
              boolean("IsActive"), typed("Description", "string", 255)):  # fmt: skip
        o.add(read_only(f))
    return o


def _stage() -> ObjectDef:
    o = new_object("OpportunityStage", "Opportunity Stage", owned=False, writable=False)
    for f in (text("MasterLabel", 255), text("ApiName", 255), boolean("IsActive"), boolean("IsClosed"),
              boolean("IsWon"), number("DefaultProbability", "percent", 3), text("ForecastCategoryName", 40),
              number("SortOrder", "int", 9)):  # fmt: skip
        o.add(read_only(f))
    return o


def _lead_status() -> ObjectDef:
    o = new_object("LeadStatus", "Lead Status Value", owned=False, writable=False)
    o.key_prefix = "01J"
    for f in (text("MasterLabel", 255), text("ApiName", 255), boolean("IsConverted"), boolean("IsDefault"),
              number("SortOrder", "int", 9)):  # fmt: skip
        o.add(read_only(f))
    return o


def _account() -> ObjectDef:
    o = new_object("Account", "Account", mergeable=True)
    o.add(text("Name", 255, nillable=False, name_field=True, label="Account Name"))
    o.add(picklist("Type", ACCOUNT_TYPES, label="Account Type"))
    o.add(ref("ParentId", ["Account"], "Parent", label="Parent Account ID"))
    for f in (*address("Billing"), *address("Shipping"), typed("Phone", "phone", 40), typed("Fax", "phone", 40),
              typed("Website", "url", 255), picklist("Industry", INDUSTRIES), number("AnnualRevenue", "currency", 18),
              number("NumberOfEmployees", "int", 8, label="Employees"), picklist("AccountSource", LEAD_SOURCES),
              typed("Description", "textarea", 32000)):  # fmt: skip
        o.add(f)
    return o


def _contact() -> ObjectDef:
    o = new_object("Contact", "Contact", mergeable=True)
    o.add(ref("AccountId", ["Account"], "Account", label="Account ID"))
    person_name(o)
    for f in (text("Salutation", 40), *address("Mailing"), typed("Phone", "phone", 40, label="Business Phone"),
              typed("MobilePhone", "phone", 40), typed("Email", "email", 80, id_lookup=True), text("Title", 128),
              text("Department", 80), picklist("LeadSource", LEAD_SOURCES), typed("Birthdate", "date"),
              typed("Description", "textarea", 32000), boolean("HasOptedOutOfEmail", label="Email Opt Out"),
              boolean("DoNotCall")):  # fmt: skip
        o.add(f)
    return o


def _lead() -> ObjectDef:
    o = new_object("Lead", "Lead", mergeable=True)
    person_name(o)
    for f in (text("Salutation", 40), text("Title", 128), text("Company", 255, nillable=False),
              *address(""), typed("Phone", "phone", 40), typed("MobilePhone", "phone", 40),
              typed("Email", "email", 80, id_lookup=True), typed("Website", "url", 255),
              typed("Description", "textarea", 32000), picklist("LeadSource", LEAD_SOURCES),
              picklist("Status", LEAD_STATUSES, default="Open - Not Contacted", nillable=False),
              picklist("Industry", INDUSTRIES), picklist("Rating", ["Hot", "Warm", "Cold"]),
              number("AnnualRevenue", "currency", 18), number("NumberOfEmployees", "int", 8, label="Employees"),
              boolean("HasOptedOutOfEmail", label="Email Opt Out"), boolean("DoNotCall")):  # fmt: skip
        o.add(f)
    o.add(read_only(boolean("IsConverted", label="Converted")))
    o.add(read_only(typed("ConvertedDate", "date")))
    o.add(read_only(ref("ConvertedAccountId", ["Account"], "ConvertedAccount")))
    o.add(read_only(ref("ConvertedContactId", ["Contact"], "ConvertedContact")))
    o.add(read_only(ref("ConvertedOpportunityId", ["Opportunity"], "ConvertedOpportunity")))
    return o


def _opportunity() -> ObjectDef:
    o = new_object("Opportunity", "Opportunity")
    o.add(ref("AccountId", ["Account"], "Account", label="Account ID"))
    o.add(ref("RecordTypeId", ["RecordType"], "RecordType", label="Record Type ID", defaulted_on_create=True))
    o.add(text("Name", 120, nillable=False, name_field=True, label="Name"))
    for f in (typed("Description", "textarea", 32000),
              picklist("StageName", list(OPPORTUNITY_STAGES), nillable=False, label="Stage"),
              number("Amount", "currency", 18, 2), number("Probability", "percent", 3, defaulted_on_create=True),
              typed("CloseDate", "date", nillable=False),
              picklist("Type", ["Existing Customer - Upgrade", "Existing Customer - Replacement",
                                "Existing Customer - Downgrade", "New Customer"], label="Opportunity Type"),
              text("NextStep", 255), picklist("LeadSource", LEAD_SOURCES),
              read_only(boolean("IsClosed", label="Closed")), read_only(boolean("IsWon", label="Won")),
              picklist("ForecastCategoryName", list(FORECAST_CATEGORIES), label="Forecast Category"),
              read_only(picklist("ForecastCategory", list(FORECAST_CATEGORIES))),
              ref("ContactId", ["Contact"], "Contact", label="Contact ID")):  # fmt: skip
        o.add(f)
    o.fields["ForecastCategoryName"].defaulted_on_create = True
    o.record_types = [
        RecordTypeDef(MASTER_RECORD_TYPE_ID, "Master", "Master", master=True),
        *OPPORTUNITY_RECORD_TYPES,
    ]
    return o


def _contact_role() -> ObjectDef:
    o = new_object("OpportunityContactRole", "Opportunity Contact Role", owned=False)
    o.add(ref("OpportunityId", ["Opportunity"], "Opportunity", nillable=False))
    o.add(ref("ContactId", ["Contact"], "Contact", nillable=False))
    o.add(picklist("Role", OCR_ROLES))
    o.add(boolean("IsPrimary", label="Primary"))
    return o


def _task() -> ObjectDef:
    o = new_object("Task", "Task")
    for f in (ref("WhoId", ["Contact", "Lead"], "Who", label="Name ID"),
              ref("WhatId", ["Account", "Opportunity"], "What", label="Related To ID"),
              FieldDef("Subject", "combobox", length=255, picklist=["Call", "Send Letter", "Send Quote", "Other"]),
              typed("ActivityDate", "date", label="Due Date Only"),
              picklist("Status", TASK_STATUSES, default="Not Started", nillable=False),
              picklist("Priority", TASK_PRIORITIES, default="Normal", nillable=False),
              typed("Description", "textarea", 32000, label="Comments"),
              read_only(boolean("IsClosed", label="Closed")), picklist("TaskSubtype", ["Task", "Email", "Call"]),
              typed("CompletedDateTime", "datetime", createable=False, updateable=False)):  # fmt: skip
        o.add(f)
    return o
