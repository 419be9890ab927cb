"""A small in-memory org for the SOQL evaluator tests: five objects with lookups, a polymorphic Who/What
and Lead.Owner, child relationships, and a handful of rows including deleted ones."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from crmsync_pipeline.sandbox.salesforce.soql import FieldMeta, SoqlError, SoqlResult, execute, parse_soql

_PREFIX = {"Account": "001", "Contact": "003", "User": "005", "Opportunity": "006", "Lead": "00Q"}
_PREFIX |= {"Task": "00T", "Group": "00G"}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SYSTEM = [
    ("Id", "id"),
    ("IsDeleted", "boolean"),
    ("CreatedDate", "datetime"),
    ("LastModifiedDate", "datetime"),
]


def id18(id15: str) -> str:
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if ch.isupper())
        suffix += _ALPHABET[bits]
    return id15 + suffix


def _ref(name: str, targets: list[str], relationship: str) -> FieldMeta:
    return FieldMeta(name, "reference", targets, relationship)


SCHEMA: dict[str, list[FieldMeta]] = {
    "User": [FieldMeta("Name", "string"), FieldMeta("Email", "email"), FieldMeta("IsActive", "boolean")],
    "Group": [FieldMeta("Name", "string")],
    "Account": [
        FieldMeta("Name", "string"),
        FieldMeta("Industry", "picklist"),
        FieldMeta("NumberOfEmployees", "int"),
        FieldMeta("AnnualRevenue", "currency"),
        FieldMeta("Tags__c", "multipicklist"),
        FieldMeta("External_Id__c", "string"),
        _ref("OwnerId", ["User"], "Owner"),
        _ref("ParentId", ["Account"], "Parent"),
    ],
    "Contact": [
        FieldMeta("FirstName", "string"),
        FieldMeta("LastName", "string"),
        FieldMeta("Email", "email"),
        FieldMeta("Phone", "phone"),
        FieldMeta("Birthdate", "date"),
        FieldMeta("HasOptedOutOfEmail", "boolean"),
        _ref("AccountId", ["Account"], "Account"),
        _ref("OwnerId", ["User"], "Owner"),
        _ref("MasterRecordId", ["Contact"], "MasterRecord"),
    ],
    "Lead": [
        FieldMeta("FirstName", "string"),
        FieldMeta("LastName", "string"),
        FieldMeta("Company", "string"),
        FieldMeta("Email", "email"),
        FieldMeta("Phone", "phone"),
        FieldMeta("Status", "picklist"),
        FieldMeta("IsConverted", "boolean"),
        _ref("OwnerId", ["User", "Group"], "Owner"),
        _ref("ConvertedAccountId", ["Account"], "ConvertedAccount"),
    ],
    "Opportunity": [
        FieldMeta("Name", "string"),
        FieldMeta("StageName", "picklist"),
        FieldMeta("Amount", "currency"),
        FieldMeta("Probability", "percent"),
        FieldMeta("CloseDate", "date"),
        _ref("AccountId", ["Account"], "Account"),
    ],
    "Task": [
        FieldMeta("Subject", "string"),
        FieldMeta("ActivityDate", "date"),
        _ref("WhoId", ["Contact", "Lead"], "Who"),
        _ref("WhatId", ["Account", "Opportunity"], "What"),
    ],
}
CHILDREN = {
    ("account", "contacts"): ("Contact", "AccountId"),
    ("account", "opportunities"): ("Opportunity", "AccountId"),
    ("contact", "tasks"): ("Task", "WhoId"),
}


class FakeCatalog:
    """Implements the SoqlCatalog protocol over plain dicts."""

    def __init__(self) -> None:
        self.objects = {name.lower(): name for name in SCHEMA}
        self.meta: dict[str, dict[str, FieldMeta]] = {}
        for obj, fields in SCHEMA.items():
            all_fields = [FieldMeta(n, t) for n, t in _SYSTEM] + fields
            self.meta[obj] = {f.name.lower(): f for f in all_fields}
        self.tables: dict[str, dict[str, dict]] = {obj: {} for obj in SCHEMA}
        self.by_id: dict[str, tuple[str, dict]] = {}
        self._counter = itertools.count(1)
        self.get_by_id_calls = 0

    def add(self, obj: str, **values) -> dict:
        number = next(self._counter)
        record_id = id18(f"{_PREFIX[obj]}8d0{'aB'[number % 2]}{number:08d}"[:15])
        row = {meta.name: None for meta in self.meta[obj].values()}
        row.update(Id=record_id, IsDeleted=False, CreatedDate="2024-01-01T00:00:00.000+0000")
        row["LastModifiedDate"] = row["CreatedDate"]
        row.update(values)
        self.tables[obj][record_id] = row
        self.by_id[record_id] = (obj, row)
        return row

    # ---- SoqlCatalog -----------------------------------------------------------------------------
    def object_name(self, name: str) -> str | None:
        return self.objects.get(name.lower())

    def field(self, sobject: str, name: str) -> FieldMeta | None:
        return self.meta[sobject].get(name.lower())

    def fields(self, sobject: str) -> Iterable[FieldMeta]:
        return self.meta[sobject].values()

    def relationship(self, sobject: str, relationship_name: str) -> tuple[FieldMeta, list[str]] | None:
        lowered = relationship_name.lower()
        for meta in self.meta[sobject].values():
            if meta.relationship_name and meta.relationship_name.lower() == lowered:
                return meta, meta.reference_to
        return None

    def child_relationship(self, sobject: str, name: str) -> tuple[str, str] | None:
        return CHILDREN.get((sobject.lower(), name.lower()))

    def rows(self, sobject: str) -> Iterable[dict]:
        return self.tables[sobject].values()

    def get_by_id(self, record_id: str) -> tuple[str, dict] | None:
        self.get_by_id_calls += 1
        if len(record_id) == 15:
            record_id = id18(record_id)
        return self.by_id.get(record_id)


def build_org() -> FakeCatalog:
    org = FakeCatalog()
    ada = org.add("User", Name="Ada Admin", Email="ada@example.com", IsActive=True)
    queue = org.add("Group", Name="Inbound Queue")
    parent = org.add("Account", Name="Globex Holdings", Industry="Finance", OwnerId=ada["Id"])
    acme = org.add(
        "Account",
        Name="Acme",
        Industry="Manufacturing",
        NumberOfEmployees=250,
        AnnualRevenue=1_500_000.0,
        Tags__c="Gold;Partner",
        OwnerId=ada["Id"],
        ParentId=parent["Id"],
        LastModifiedDate="2024-03-10T12:00:00.000+0000",
    )
    org.add("Account", Name="acme labs", Industry=None, NumberOfEmployees=12, Tags__c="Silver")
    org.add("Account", Name="Old Corp", IsDeleted=True, NumberOfEmployees=5)
    org.add("Account", Name="100% Natural_Foods", NumberOfEmployees=40, Tags__c="Gold")
    org.add(
        "Contact",
        FirstName="Grace",
        LastName="Hopper",
        Email="grace@acme.com",
        Phone="555-0100",
        AccountId=acme["Id"],
        OwnerId=ada["Id"],
        Birthdate="1906-12-09",
        LastModifiedDate="2024-03-01T08:30:00.000+0000",
    )
    org.add(
        "Contact",
        FirstName="Alan",
        LastName="Turing",
        Email="alan@acme.com",
        AccountId=acme["Id"],
        HasOptedOutOfEmail=True,
        LastModifiedDate="2024-03-05T17:45:00.000+0000",
    )
    org.add("Contact", FirstName=None, LastName="O'Brien", Email="obrien@example.com", Phone="12")
    org.add("Contact", FirstName="Ghost", LastName="Deleted", AccountId=acme["Id"], IsDeleted=True)
    org.add("Lead", FirstName="Lin", LastName="Lead", Company="Initech", Status="Open", OwnerId=ada["Id"])
    org.add("Lead", LastName="Queue Lead", Company="Umbrella", Status="Working", OwnerId=queue["Id"])
    return org


@pytest.fixture(scope="session")
def org() -> FakeCatalog:
    """Read-only: tests that need to add rows build their own with build_org()."""
    return build_org()


def by_name(org: FakeCatalog, obj: str, field: str, value) -> dict:
    return next(row for row in org.tables[obj].values() if row[field] == value)


@pytest.fixture(scope="session")
def new_catalog():
    """The FakeCatalog class, for tests that build their own (large) org."""
    return FakeCatalog


@pytest.fixture
def fresh_org() -> FakeCatalog:
    """A private copy for tests that add rows."""
    return build_org()


@pytest.fixture(scope="session")
def row_of(org):
    return lambda obj, field, value: by_name(org, obj, field, value)


@pytest.fixture(scope="session")
def soql(org):
    """soql(text, catalog=org, **execute_kwargs) -> SoqlResult."""

    def run(text: str, catalog: FakeCatalog | None = None, **kwargs) -> SoqlResult:
        return execute(parse_soql(text), catalog or org, **kwargs)

    return run


@pytest.fixture(scope="session")
def soql_error(soql):
    """soql_error(text, ...) -> the SoqlError the query raises (fails the test if it runs)."""

    def run(text: str, catalog: FakeCatalog | None = None, **kwargs) -> SoqlError:
        with pytest.raises(SoqlError) as caught:
            soql(text, catalog, **kwargs)
        return caught.value

    return run


@pytest.fixture(scope="session")
def names(soql):
    """names(text, field="Name") -> that field of every record, in result order."""

    def run(text: str, field: str = "Name", catalog: FakeCatalog | None = None, **kwargs) -> list:
        return [record[field] for record in soql(text, catalog, **kwargs).records]

    return run
