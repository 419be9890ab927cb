"""WHERE: operators, literals, null handling, ids, type checks, relative dates, semi-joins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.sandbox.salesforce.soql import SoqlOptions


def test_equality_on_text_is_case_insensitive(names):
    assert names("SELECT Name FROM Account WHERE Name = 'ACME'") == ["Acme"]
    assert sorted(names("SELECT Name FROM Account WHERE Name IN ('acme', 'ACME LABS')")) == [
        "Acme",
        "acme labs",
    ]


def test_not_equal_both_spellings(names):
    everyone = "SELECT LastName FROM Contact WHERE LastName != 'hopper' ORDER BY LastName"
    assert names(everyone, "LastName") == ["O'Brien", "Turing"]
    assert names(everyone.replace("!=", "<>"), "LastName") == ["O'Brien", "Turing"]


def test_angle_not_equal_can_be_switched_off(soql_error):
    err = soql_error(
        "SELECT Id FROM Contact WHERE LastName <> 'x'", options=SoqlOptions(allow_angle_not_equal=False)
    )
    assert err.code == "MALFORMED_QUERY" and err.message.endswith("unexpected token: '<>'")


def test_number_comparisons(names):
    q = "SELECT Name FROM Account WHERE NumberOfEmployees {} ORDER BY Name"
    assert names(q.format("> 40")) == ["Acme"]
    assert names(q.format(">= 40")) == ["100% Natural_Foods", "Acme"]
    assert names(q.format("< 40")) == ["acme labs"]
    assert names(q.format("<= 12")) == ["acme labs"]
    assert names(q.format("= 250")) == ["Acme"]
    assert names(q.format("IN (12, 40)")) == ["100% Natural_Foods", "acme labs"]
    assert names("SELECT Name FROM Account WHERE AnnualRevenue > 1000000.50") == ["Acme"]
    assert names("SELECT Name FROM Account WHERE AnnualRevenue > -1") == ["Acme"]


def test_null_tests(names):
    assert names("SELECT LastName FROM Contact WHERE FirstName = null", "LastName") == ["O'Brien"]
    assert sorted(names("SELECT LastName FROM Contact WHERE FirstName != null", "LastName")) == [
        "Hopper",
        "Turing",
    ]
    # SOQL spells an empty text field '' as well as null
    assert names("SELECT LastName FROM Contact WHERE FirstName = ''", "LastName") == ["O'Brien"]


def test_comparisons_against_null_fields_never_match(names):
    assert names("SELECT Name FROM Account WHERE NumberOfEmployees < 1000000 ORDER BY Name") == [
        "100% Natural_Foods",
        "Acme",
        "acme labs",
    ]


def test_not_equal_and_not_in_include_null_values_by_default(names):
    q = "SELECT Name FROM Account WHERE Industry != 'Finance' ORDER BY Name"
    assert names(q) == ["100% Natural_Foods", "Acme", "acme labs"]
    q2 = "SELECT Name FROM Account WHERE Industry NOT IN ('Finance') ORDER BY Name"
    assert names(q2) == ["100% Natural_Foods", "Acme", "acme labs"]


def test_not_equal_null_matching_can_be_switched_off(names):
    strict = SoqlOptions(not_equal_matches_null=False)
    assert names("SELECT Name FROM Account WHERE Industry != 'Finance'", options=strict) == ["Acme"]
    assert names("SELECT Name FROM Account WHERE Industry NOT IN ('Finance')", options=strict) == ["Acme"]


def test_in_list_may_contain_null(names):
    q = "SELECT Name FROM Account WHERE Industry IN ('Finance', null) ORDER BY Name"
    assert names(q) == ["100% Natural_Foods", "acme labs", "Globex Holdings"]


def test_like_wildcards_case_and_escapes(names):
    assert sorted(names("SELECT Name FROM Account WHERE Name LIKE 'acme%'")) == ["Acme", "acme labs"]
    assert names("SELECT Name FROM Account WHERE Name LIKE '_cme'") == ["Acme"]
    assert names("SELECT Name FROM Account WHERE Name LIKE '%labs'") == ["acme labs"]
    assert names(r"SELECT Name FROM Account WHERE Name LIKE '100\% natural\_%'") == ["100% Natural_Foods"]
    # an unescaped % is a wildcard, an escaped one only matches a literal percent sign
    assert names(r"SELECT Name FROM Account WHERE Name LIKE '%\%%'") == ["100% Natural_Foods"]
    assert names(r"SELECT Name FROM Account WHERE Name LIKE 'acme\_labs'") == []
    assert names("SELECT Name FROM Account WHERE Name LIKE 'acme.labs'") == []  # no regex leaks


def test_like_on_a_number_field_is_refused(soql_error):
    err = soql_error("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'")
    assert err.code == "INVALID_QUERY_FILTER_OPERATOR"


def test_string_escapes_decode(fresh_org, soql):
    fresh_org.add("Contact", LastName="Tab\there", Email='quote"back\\slash')
    fresh_org.add("Contact", LastName="Ünïcode")
    found = soql(r"SELECT LastName FROM Contact WHERE LastName = 'tab\There'", fresh_org).records
    assert [r["LastName"] for r in found] == ["Tab\there"]
    found = soql(r"SELECT LastName FROM Contact WHERE Email = 'QUOTE\"BACK\\SLASH'", fresh_org).records
    assert len(found) == 1
    found = soql(r"SELECT LastName FROM Contact WHERE LastName = '\u00dcn\u00efcode'", fresh_org).records
    assert len(found) == 1


def test_escaped_quote_stays_inside_the_literal(names):
    assert names(r"SELECT LastName FROM Contact WHERE LastName = 'O\'Brien'", "LastName") == ["O'Brien"]
    # the injection payload, properly escaped (as format_soql does), is just an odd last name
    assert names(r"SELECT LastName FROM Contact WHERE LastName = 'x\' OR Id != null'", "LastName") == []
    assert (
        names(r"SELECT LastName FROM Contact WHERE LastName = 'x\\\' OR LastName != \'y'", "LastName") == []
    )


def test_booleans(names):
    assert names("SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = true", "LastName") == ["Turing"]
    assert len(names("SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = FALSE", "LastName")) == 2
    assert len(names("SELECT LastName FROM Contact WHERE HasOptedOutOfEmail != true", "LastName")) == 2


@pytest.mark.parametrize(
    ("where", "label", "quotes"),
    [
        ("NumberOfEmployees = '5'", "integer", "should not be enclosed in quotes"),
        ("AnnualRevenue > 'big'", "currency", "should not be enclosed in quotes"),
        ("Name = 5", "string", "should be enclosed in quotes"),
        ("Name = true", "string", "should be enclosed in quotes"),
        ("CreatedDate > 2024-01-01", "dateTime", "should not be enclosed in quotes"),
        ("CreatedDate > '2024-01-01T00:00:00Z'", "dateTime", "should not be enclosed in quotes"),
        ("IsDeleted = 'false'", "boolean", "should not be enclosed in quotes"),
        ("IsDeleted = 0", "boolean", "should not be enclosed in quotes"),
    ],
)
def test_literal_of_the_wrong_type_is_invalid_field(soql_error, where, label, quotes):
    err = soql_error(f"SELECT Id FROM Account WHERE {where}")
    assert err.code == "INVALID_FIELD"
    field = where.split()[0]
    assert err.message.endswith(
        f"value of filter criterion for field '{field}' must be of type {label} and {quotes}"
    )
    assert "ERROR at Row:1:Column:" in err.message


def test_date_field_refuses_datetime_and_accepts_date(soql_error, names):
    err = soql_error("SELECT Id FROM Contact WHERE Birthdate = 1906-12-09T00:00:00Z")
    assert err.code == "INVALID_FIELD" and "must be of type date" in err.message
    assert names("SELECT LastName FROM Contact WHERE Birthdate = 1906-12-09", "LastName") == ["Hopper"]
    assert names("SELECT LastName FROM Contact WHERE Birthdate < 1950-01-01", "LastName") == ["Hopper"]


def test_impossible_date_is_malformed(soql_error):
    assert soql_error("SELECT Id FROM Contact WHERE Birthdate = 2024-02-30").code == "MALFORMED_QUERY"


def test_datetime_literals_in_every_offset_form(names):
    # Acme was modified at 2024-03-10T12:00:00Z
    q = "SELECT Name FROM Account WHERE LastModifiedDate = {}"
    for literal in [
        "2024-03-10T12:00:00Z",
        "2024-03-10T12:00:00.000Z",
        "2024-03-10T14:00:00+02:00",
        "2024-03-10T07:30:00-04:30",
        "2024-03-10t12:00:00z",
    ]:
        assert names(q.format(literal)) == ["Acme"], literal
    assert names(q.format("2024-03-10T12:00:00.001Z")) == []
    assert names("SELECT Name FROM Account WHERE LastModifiedDate > 2024-03-10T11:59:59.999Z") == ["Acme"]


def test_fractional_seconds_can_be_switched_off(soql_error, names):
    off = SoqlOptions(allow_fractional_seconds=False)
    err = soql_error("SELECT Id FROM Account WHERE LastModifiedDate > 2024-03-10T11:59:59.5Z", options=off)
    assert err.code == "MALFORMED_QUERY"
    assert names("SELECT Name FROM Account WHERE LastModifiedDate > 2024-03-10T11:59:59Z", options=off) == [
        "Acme"
    ]


def test_ids_match_in_15_and_18_char_forms(org, soql, row_of):
    acme = row_of("Account", "Name", "Acme")["Id"]
    for literal in (acme, acme[:15], acme.lower()):
        found = soql(f"SELECT Name FROM Account WHERE Id = '{literal}'").records
        assert [r["Name"] for r in found] == ["Acme"], literal
    # a 15-char id is case-sensitive: flipping a letter names another record
    assert soql(f"SELECT Name FROM Account WHERE Id = '{acme[:15].swapcase()}'").records == []
    contacts = soql(f"SELECT LastName FROM Contact WHERE AccountId = '{acme[:15]}' ORDER BY LastName").records
    assert [r["LastName"] for r in contacts] == ["Hopper", "Turing"]


def test_id_lookup_does_not_scan(fresh_org, soql):
    target = fresh_org.add("Account", Name="Needle")
    calls_before = fresh_org.get_by_id_calls
    found = soql(f"SELECT Name FROM Account WHERE Id IN ('{target['Id']}', '{target['Id'][:15]}')", fresh_org)
    assert [r["Name"] for r in found.records] == ["Needle"]
    assert fresh_org.get_by_id_calls - calls_before == 2


def test_id_lookup_still_applies_the_rest_of_the_filter(soql, row_of):
    acme = row_of("Account", "Name", "Acme")["Id"]
    assert soql(f"SELECT Id FROM Account WHERE Id = '{acme}' AND Name = 'nope'").records == []
    assert soql(f"SELECT Id FROM Contact WHERE Id = '{acme}'").records == []


@pytest.mark.parametrize("bad", ["abc", "001R00000064wd", "001R00000064wdt!", "001R00000064wdtIAAX"])
def test_malformed_id_literal_is_invalid_filter(soql_error, bad):
    err = soql_error(f"SELECT Id FROM Contact WHERE AccountId = '{bad}'")
    assert err.code == "INVALID_QUERY_FILTER_OPERATOR"
    assert err.message.endswith(f"invalid ID field: {bad}")


def test_multipicklist_includes_excludes(names):
    q = "SELECT Name FROM Account WHERE Tags__c {} ORDER BY Name"
    assert names(q.format("INCLUDES ('gold')")) == ["100% Natural_Foods", "Acme"]
    assert names(q.format("INCLUDES ('Gold;Partner')")) == ["Acme"]
    assert names(q.format("INCLUDES ('Partner;Silver', 'silver')")) == ["acme labs"]
    assert names(q.format("EXCLUDES ('Gold')")) == ["acme labs", "Globex Holdings"]
    # = on a multipicklist compares the whole set, in any order
    assert names(q.format("= 'partner;GOLD'")) == ["Acme"]


def test_includes_needs_a_multipicklist(soql_error):
    assert (
        soql_error("SELECT Id FROM Account WHERE Name INCLUDES ('a')").code == "INVALID_QUERY_FILTER_OPERATOR"
    )


def test_not_and_parentheses(names):
    q = "SELECT Name FROM Account WHERE NOT (Name LIKE 'acme%' OR Industry = 'Finance')"
    assert names(q) == ["100% Natural_Foods"]
    q = "SELECT Name FROM Account WHERE NumberOfEmployees > 10 AND (NOT Name LIKE 'acme%') AND Tags__c != null"
    assert names(q) == ["100% Natural_Foods"]
    q = "SELECT Name FROM Account WHERE (Industry = 'Finance' OR Industry = 'Manufacturing') AND Owner.Name != null"
    assert sorted(names(q)) == ["Acme", "Globex Holdings"]


def test_filter_on_parent_paths_and_null_parents(names):
    assert sorted(names("SELECT LastName FROM Contact WHERE Account.Name = 'acme'", "LastName")) == [
        "Hopper",
        "Turing",
    ]
    assert names("SELECT LastName FROM Contact WHERE Account.Name = null", "LastName") == ["O'Brien"]
    assert names("SELECT Name FROM Account WHERE Parent.Owner.Email LIKE 'ada@%'") == ["Acme"]


def test_filter_on_polymorphic_parent(names):
    assert names("SELECT LastName FROM Lead WHERE Owner.Name = 'inbound queue'", "LastName") == ["Queue Lead"]


def test_deleted_rows_only_with_include_deleted(soql):
    assert soql("SELECT Id FROM Account WHERE Name = 'Old Corp'").records == []
    found = soql("SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true", include_deleted=True).records
    assert [(r["Name"], r["IsDeleted"]) for r in found] == [("Old Corp", True)]
    assert soql("SELECT COUNT() FROM Contact", include_deleted=True).total_size == 4
    assert soql("SELECT COUNT() FROM Contact").total_size == 3


def test_semi_join_and_anti_join(names):
    with_contacts = (
        "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Email LIKE '%acme.com')"
    )
    assert names(with_contacts) == ["Acme"]
    without = "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name"
    assert names(without) == ["100% Natural_Foods", "acme labs", "Globex Holdings"]


def test_semi_join_ignores_deleted_inner_rows(fresh_org, soql):
    lonely = fresh_org.add("Account", Name="Only a deleted contact")
    fresh_org.add("Contact", LastName="Gone", AccountId=lonely["Id"], IsDeleted=True)
    q = "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name"
    assert [r["Name"] for r in soql(q, fresh_org).records] == ["Acme"]


def test_semi_join_must_select_an_id(soql_error):
    err = soql_error("SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)")
    assert err.code == "INVALID_QUERY_FILTER_OPERATOR"
    err = soql_error("SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact)")
    assert err.code == "INVALID_QUERY_FILTER_OPERATOR"


NOW = datetime(2024, 5, 15, 9, 30, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def dated(fresh_org):
    for day in [
        "2024-05-15",
        "2024-05-14",
        "2024-05-16",
        "2024-05-12",
        "2024-05-11",
        "2024-04-30",
        "2024-01-02",
    ]:
        fresh_org.add("Opportunity", Name=day, CloseDate=day, LastModifiedDate=f"{day}T23:59:59.999+0000")
    return fresh_org


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("TODAY", ["2024-05-15"]),
        ("YESTERDAY", ["2024-05-14"]),
        ("TOMORROW", ["2024-05-16"]),
        ("LAST_N_DAYS:3", ["2024-05-12", "2024-05-14", "2024-05-15"]),
        ("NEXT_N_DAYS:1", ["2024-05-16"]),
        ("N_DAYS_AGO:4", ["2024-05-11"]),
        ("THIS_WEEK", ["2024-05-12", "2024-05-14", "2024-05-15", "2024-05-16"]),
        ("LAST_WEEK", ["2024-05-11"]),
        ("THIS_MONTH", ["2024-05-11", "2024-05-12", "2024-05-14", "2024-05-15", "2024-05-16"]),
        ("LAST_MONTH", ["2024-04-30"]),
        ("LAST_N_MONTHS:4", ["2024-01-02", "2024-04-30"]),
        (
            "THIS_QUARTER",
            ["2024-04-30", "2024-05-11", "2024-05-12", "2024-05-14", "2024-05-15", "2024-05-16"],
        ),
        ("LAST_QUARTER", ["2024-01-02"]),
        (
            "this_year",
            [
                "2024-01-02",
                "2024-04-30",
                "2024-05-11",
                "2024-05-12",
                "2024-05-14",
                "2024-05-15",
                "2024-05-16",
            ],
        ),
        ("LAST_YEAR", []),
    ],
)
@pytest.mark.parametrize("field", ["CloseDate", "LastModifiedDate"])
def test_relative_date_ranges(dated, names, literal, expected, field):
    q = f"SELECT Name FROM Opportunity WHERE {field} = {literal} ORDER BY Name"
    assert names(q, catalog=dated, now=NOW) == expected


def test_relative_dates_with_ordering_operators(dated, names):
    q = "SELECT Name FROM Opportunity WHERE CloseDate {} ORDER BY Name"
    assert names(q.format("< THIS_WEEK"), catalog=dated, now=NOW) == [
        "2024-01-02",
        "2024-04-30",
        "2024-05-11",
    ]
    assert names(q.format("> TODAY"), catalog=dated, now=NOW) == ["2024-05-16"]
    assert names(q.format("<= YESTERDAY"), catalog=dated, now=NOW)[-1] == "2024-05-14"
    assert names(q.format(">= TOMORROW"), catalog=dated, now=NOW) == ["2024-05-16"]
    assert len(names(q.format("!= TODAY"), catalog=dated, now=NOW)) == 6


def test_today_defaults_to_the_monkeypatchable_clock(dated, names, monkeypatch):
    from crmsync_pipeline.sandbox.salesforce.soql import relative_dates

    monkeypatch.setattr(relative_dates, "utc_now", lambda: datetime(2024, 4, 30, 18, 0, tzinfo=UTC))
    assert names("SELECT Name FROM Opportunity WHERE CloseDate = TODAY", catalog=dated) == ["2024-04-30"]


def test_relative_date_on_a_text_field_or_unknown_word_is_refused(soql_error):
    assert soql_error("SELECT Id FROM Account WHERE Name = TODAY").code == "INVALID_FIELD"
    assert (
        soql_error("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_FORTNIGHTS:2").code
        == "MALFORMED_QUERY"
    )
    assert soql_error("SELECT Id FROM Opportunity WHERE CloseDate = TODAY:3").code == "MALFORMED_QUERY"
    assert soql_error("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS").code == "MALFORMED_QUERY"
