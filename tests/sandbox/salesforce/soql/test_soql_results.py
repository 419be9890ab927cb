"""Answers: record shape, parents, children, ordering, paging clauses, counts and name errors."""

from __future__ import annotations

import pytest

from crmsync_pipeline.sandbox.salesforce.soql import SoqlError, SoqlOptions


def test_record_shape_follows_select_order_with_canonical_names(soql, row_of):
    result = soql("SELECT lastname, ID, email FROM contact WHERE LastName = 'Hopper'", api_version="58.0")
    grace = row_of("Contact", "LastName", "Hopper")
    assert result.sobject == "Contact"
    assert result.columns == ["LastName", "Id", "Email"]
    assert result.records == [
        {
            "attributes": {"type": "Contact", "url": f"/services/data/v58.0/sobjects/Contact/{grace['Id']}"},
            "LastName": "Hopper",
            "Id": grace["Id"],
            "Email": "grace@acme.com",
        }
    ]
    assert list(result.records[0]) == ["attributes", "LastName", "Id", "Email"]
    assert result.total_size == 1 and not result.is_count


def test_values_come_out_as_stored(soql):
    record = soql(
        "SELECT LastModifiedDate, Birthdate, HasOptedOutOfEmail FROM Contact WHERE LastName = 'Hopper'"
    )
    assert record.records[0]["LastModifiedDate"] == "2024-03-01T08:30:00.000+0000"
    assert record.records[0]["Birthdate"] == "1906-12-09"
    assert record.records[0]["HasOptedOutOfEmail"] is None


def test_parent_fields_nest_and_merge(soql, row_of):
    acme = row_of("Account", "Name", "Acme")
    result = soql(
        "SELECT Name, Parent.Name, Owner.Email, Parent.Owner.Name, Parent.Id FROM Account WHERE Name = 'Acme'"
    )
    assert result.columns == ["Name", "Parent.Name", "Owner.Email", "Parent.Owner.Name", "Parent.Id"]
    record = result.records[0]
    assert list(record) == ["attributes", "Name", "Parent", "Owner"]
    parent = record["Parent"]
    assert parent["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{acme['ParentId']}",
    }
    assert parent["Name"] == "Globex Holdings" and parent["Id"] == acme["ParentId"]
    assert parent["Owner"]["Name"] == "Ada Admin"
    assert record["Owner"] == {
        "attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{acme['OwnerId']}"},
        "Email": "ada@example.com",
    }


def test_missing_parent_is_null_at_any_depth(soql):
    records = soql("SELECT Name, Parent.Owner.Name FROM Account ORDER BY Name").records
    assert [r["Parent"] for r in records if r["Name"] != "Acme"] == [None, None, None]
    records = soql("SELECT LastName, Account.Name FROM Contact WHERE LastName = 'O\\'Brien'").records
    assert records[0]["Account"] is None


def test_records_do_not_share_parent_objects(soql):
    records = soql("SELECT LastName, Account.Name FROM Contact WHERE Account.Name = 'Acme'").records
    records[0]["Account"]["Name"] = "changed by a caller"
    assert records[1]["Account"]["Name"] == "Acme"


def test_polymorphic_parent_resolves_by_the_referenced_record(soql):
    records = soql("SELECT LastName, Owner.Name FROM Lead ORDER BY LastName").records
    assert [r["Owner"]["Name"] for r in records] == ["Ada Admin", "Inbound Queue"]
    assert [r["Owner"]["attributes"]["type"] for r in records] == ["Name", "Name"]
    assert "/sobjects/User/" in records[0]["Owner"]["attributes"]["url"]
    assert "/sobjects/Group/" in records[1]["Owner"]["attributes"]["url"]


def test_polymorphic_type_can_report_the_real_object(soql):
    options = SoqlOptions(polymorphic_type_is_name=False)
    records = soql("SELECT LastName, Owner.Name FROM Lead ORDER BY LastName", options=options).records
    assert [r["Owner"]["attributes"]["type"] for r in records] == ["User", "Group"]


def test_polymorphic_who_and_what(fresh_org, soql):
    contact = next(r for r in fresh_org.tables["Contact"].values() if r["LastName"] == "Hopper")
    lead = next(iter(fresh_org.tables["Lead"].values()))
    fresh_org.add("Task", Subject="call contact", WhoId=contact["Id"], WhatId=contact["AccountId"])
    fresh_org.add("Task", Subject="call lead", WhoId=lead["Id"])
    records = soql("SELECT Subject, Who.LastName, What.Name FROM Task ORDER BY Subject", fresh_org).records
    assert [r["Who"]["LastName"] for r in records] == ["Hopper", "Lead"]
    assert records[0]["What"]["Name"] == "Acme" and records[1]["What"] is None
    found = soql("SELECT Subject FROM Task WHERE Who.LastName = 'lead'", fresh_org).records
    assert [r["Subject"] for r in found] == ["call lead"]
    # a field that none of the possible targets has
    with pytest.raises(SoqlError) as caught:
        soql("SELECT Who.Industry FROM Task", fresh_org)
    assert (
        caught.value.code == "INVALID_FIELD"
        and "No such column 'Industry' on entity 'Name'" in caught.value.message
    )


def test_child_subquery_nests_filters_orders_and_limits(soql):
    q = (
        "SELECT Name, (SELECT LastName, Email FROM Contacts WHERE Email != null ORDER BY LastName DESC LIMIT 5) "
        "FROM Account WHERE Name LIKE 'acme%' ORDER BY Name"
    )
    result = soql(q)
    acme, labs = result.records
    assert acme["Contacts"]["totalSize"] == 2 and acme["Contacts"]["done"] is True
    assert [c["LastName"] for c in acme["Contacts"]["records"]] == ["Turing", "Hopper"]
    assert acme["Contacts"]["records"][0]["attributes"]["type"] == "Contact"
    assert labs["Contacts"] is None
    assert result.columns == ["Name"] and result.child_columns == {"Contacts": ["LastName", "Email"]}
    limited = soql(
        "SELECT Name, (SELECT Id FROM Contacts ORDER BY LastName LIMIT 1) FROM Account WHERE Name = 'Acme'"
    )
    assert limited.records[0]["Contacts"]["totalSize"] == 1


def test_empty_child_subquery_can_be_an_empty_result(soql):
    options = SoqlOptions(empty_child_subquery_is_null=False)
    record = soql(
        "SELECT Name, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'acme labs'", options=options
    )
    assert record.records[0]["Contacts"] == {"totalSize": 0, "done": True, "records": []}


def test_unknown_child_relationship_is_invalid_type(soql_error):
    err = soql_error("SELECT Name, (SELECT Id FROM Kids) FROM Account")
    assert (
        err.code == "INVALID_TYPE"
        and "Didn't understand relationship 'Kids' in FROM part of query call" in err.message
    )


def test_order_by_default_nulls_first_ascending_and_last_descending(names):
    q = "SELECT Name FROM Account ORDER BY Industry{}, Name"
    assert names(q.format("")) == ["100% Natural_Foods", "acme labs", "Globex Holdings", "Acme"]
    assert names(q.format(" DESC")) == ["Acme", "Globex Holdings", "100% Natural_Foods", "acme labs"]
    assert names(q.format(" ASC NULLS LAST")) == [
        "Globex Holdings",
        "Acme",
        "100% Natural_Foods",
        "acme labs",
    ]
    assert names(q.format(" DESC NULLS FIRST")) == [
        "100% Natural_Foods",
        "acme labs",
        "Acme",
        "Globex Holdings",
    ]


def test_desc_nulls_placement_can_be_switched(names):
    q = "SELECT Name FROM Account ORDER BY Industry DESC, Name"
    result = names(q, options=SoqlOptions(desc_nulls_last=False))
    assert result == ["100% Natural_Foods", "acme labs", "Acme", "Globex Holdings"]


def test_order_by_mixed_directions_parent_paths_and_numbers(names):
    q = "SELECT LastName FROM Contact ORDER BY Account.Name DESC, LastName ASC"
    assert names(q, "LastName") == ["Hopper", "Turing", "O'Brien"]
    q = "SELECT Name FROM Account ORDER BY NumberOfEmployees DESC NULLS LAST, Name DESC"
    assert names(q) == ["Acme", "100% Natural_Foods", "acme labs", "Globex Holdings"]
    # text sorts case-insensitively
    assert names("SELECT Name FROM Account WHERE Name LIKE 'a%' ORDER BY Name DESC") == ["acme labs", "Acme"]


def test_limit_and_offset(names, soql_error):
    q = "SELECT Name FROM Account ORDER BY Name"
    assert names(q + " LIMIT 2") == ["100% Natural_Foods", "Acme"]
    assert names(q + " LIMIT 2 OFFSET 1") == ["Acme", "acme labs"]
    assert names(q + " OFFSET 3") == ["Globex Holdings"]
    assert names(q + " LIMIT 0") == []
    assert names(q + " OFFSET 2000") == []
    err = soql_error(q + " OFFSET 2001")
    assert err.code == "NUMBER_OUTSIDE_VALID_RANGE" and err.message.endswith(
        "Maximum SOQL offset allowed is 2000"
    )


def test_count_star(soql, soql_error):
    result = soql("SELECT COUNT() FROM Account WHERE Name LIKE 'acme%'")
    assert (result.is_count, result.total_size, result.records) == (True, 2, [])
    assert soql("SELECT count() FROM Account LIMIT 1").total_size == 1
    err = soql_error("SELECT COUNT(), Name FROM Account")
    assert err.code == "MALFORMED_QUERY"


def test_count_of_field_is_an_aggregate_result(soql):
    result = soql("SELECT COUNT(Id) FROM Contact WHERE Account.Name = 'Acme'")
    assert result.records == [{"attributes": {"type": "AggregateResult"}, "expr0": 2}]
    assert result.is_aggregate and not result.is_count and result.total_size == 1
    result = soql("SELECT COUNT(FirstName), COUNT(Id) total, COUNT(Email) FROM Contact")
    assert result.records[0] == {
        "attributes": {"type": "AggregateResult"},
        "expr0": 2,
        "total": 3,
        "expr1": 3,
    }
    assert result.columns == ["expr0", "total", "expr1"]


def test_group_by_with_aggregates(soql, soql_error):
    q = "SELECT Industry, COUNT(Id) n, MAX(NumberOfEmployees), SUM(NumberOfEmployees) FROM Account GROUP BY Industry ORDER BY Industry NULLS LAST"
    records = soql(q).records
    assert [(r["Industry"], r["n"], r["expr0"], r["expr1"]) for r in records] == [
        ("Finance", 1, None, None),
        ("Manufacturing", 1, 250, 250),
        (None, 2, 40, 52),
    ]
    err = soql_error("SELECT Name, COUNT(Id) FROM Account GROUP BY Industry")
    assert err.code == "MALFORMED_QUERY" and "Field must be grouped or aggregated: Name" in err.message


def test_fields_macros(soql, soql_error):
    standard = soql("SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Acme'")
    assert "Name" in standard.columns and "Tags__c" not in standard.columns
    custom = soql("SELECT Id, FIELDS(CUSTOM) FROM Account LIMIT 10")
    assert custom.columns == ["Id", "Tags__c", "External_Id__c"]
    assert soql_error("SELECT FIELDS(ALL) FROM Account").code == "MALFORMED_QUERY"
    assert len(soql("SELECT FIELDS(ALL) FROM Account LIMIT 200").columns) == len(standard.columns) + 2


def test_unknown_object_field_and_relationship_messages(soql_error):
    err = soql_error("SELECT Id FROM Leed")
    assert err.code == "INVALID_TYPE"
    assert err.message == (
        "\nSELECT Id FROM Leed\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Leed' is not supported. If you are attempting to use a custom object, be sure to "
        "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
        "appropriate names."
    )
    err = soql_error("SELECT Id, Emial FROM Lead")
    assert err.code == "INVALID_FIELD"
    assert err.message.startswith("\nSELECT Id, Emial FROM Lead\n           ^\nERROR at Row:1:Column:12\n")
    assert (
        "No such column 'Emial' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c'"
        in err.message
    )
    err = soql_error("SELECT Account.Nme FROM Contact")
    assert err.code == "INVALID_FIELD" and "No such column 'Nme' on entity 'Account'" in err.message
    err = soql_error("SELECT Acount.Name FROM Contact")
    assert (
        err.code == "INVALID_FIELD" and "Didn't understand relationship 'Acount' in field path" in err.message
    )
    err = soql_error("SELECT Id FROM Contact ORDER BY Nope")
    assert err.code == "INVALID_FIELD"
    err = soql_error("SELECT Id FROM Contact WHERE Account.Nope = 'x'")
    assert err.code == "INVALID_FIELD"


def test_duplicate_field_is_refused(soql_error):
    err = soql_error("SELECT Id, Name, id FROM Account")
    assert err.code == "MALFORMED_QUERY" and "duplicate field selected: Id" in err.message


def test_object_alias_and_object_name_prefix(names):
    assert names("SELECT a.Name FROM Account a WHERE a.Name = 'Acme' ORDER BY a.Name") == ["Acme"]
    assert names("SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'") == ["Acme"]


def test_more_than_five_parent_levels_is_refused(soql_error, names):
    assert names(
        "SELECT Name FROM Account WHERE Parent.Parent.Parent.Parent.Parent.Name = null ORDER BY Name"
    )
    err = soql_error("SELECT Parent.Parent.Parent.Parent.Parent.Parent.Name FROM Account")
    assert err.code == "MALFORMED_QUERY"


def test_functions_other_than_aggregates_are_refused_in_queries(soql_error):
    assert soql_error("SELECT Id FROM Contact WHERE LEN(Phone) < 7").code == "MALFORMED_QUERY"
    assert soql_error("SELECT UPPER(Name) FROM Account").code == "MALFORMED_QUERY"


def test_aggregate_answer_must_fit_one_batch(fresh_org, soql, soql_error):
    for i in range(2001):
        fresh_org.add("Opportunity", Name=f"Deal {i}", StageName="Prospecting", Amount=i)
    err = soql_error("SELECT Name, SUM(Amount) FROM Opportunity GROUP BY Name", fresh_org)
    assert err.code == "EXCEEDED_ID_LIMIT"
    result = soql(
        "SELECT Name, SUM(Amount) FROM Opportunity GROUP BY Name ORDER BY SUM(Amount) DESC LIMIT 3", fresh_org
    )
    assert [(r["Name"], r["expr0"]) for r in result.records] == [
        ("Deal 2000", 2000),
        ("Deal 1999", 1999),
        ("Deal 1998", 1998),
    ]
