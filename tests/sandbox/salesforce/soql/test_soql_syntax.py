"""Parsing: what is valid SOQL, and how Salesforce words the refusal of what is not."""

from __future__ import annotations

import pytest

from crmsync_pipeline.sandbox.salesforce.soql import SoqlError, parse_soql
from crmsync_pipeline.sandbox.salesforce.soql.nodes import FieldPath, SelectCall, SelectSubquery


def malformed(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        parse_soql(text)
    assert caught.value.code == "MALFORMED_QUERY"
    return caught.value


def test_misspelt_keyword_points_at_the_token_with_row_and_column():
    err = malformed("SELECT Id FRM Account")
    assert (
        err.message
        == "\nSELECT Id FRM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"
    )


def test_error_on_a_later_line_reports_that_row():
    err = malformed("SELECT Id\nFROM Account\nWHERE Name = 'x' LIMT 5")
    assert "ERROR at Row:3:Column:18" in err.message
    assert "\nWHERE Name = 'x' LIMT 5\n" in err.message
    assert err.message.endswith("unexpected token: 'LIMT'")


def test_truncated_query_is_unexpected_eof():
    assert malformed("SELECT Id FROM Account WHERE").message.endswith("unexpected token: '<EOF>'")
    assert malformed("   ").code == "MALFORMED_QUERY"


def test_keywords_are_case_insensitive_and_names_keep_their_spelling():
    query = parse_soql(
        "select id, account.name from contact where lastname = 'x' order by lastname desc limit 1"
    )
    assert query.sobject == "contact"
    assert query.select[1] == FieldPath(("account", "name"), query.select[1].pos)
    assert query.order_by[0].descending and query.limit == 1


def test_words_that_are_keywords_elsewhere_can_be_field_names():
    query = parse_soql("SELECT First, Last, Nulls FROM Thing ORDER BY Last DESC NULLS LAST")
    assert [item.parts[0] for item in query.select] == ["First", "Last", "Nulls"]
    assert query.order_by[0].nulls_first is False


def test_double_quoted_strings_are_refused():
    err = malformed('SELECT Id FROM Contact WHERE Email = "a@b.com"')
    assert err.message == "line 1:37 no viable alternative at character '\"'"


def test_quoted_field_names_are_refused():
    malformed("SELECT 'Name' FROM Account")
    malformed('SELECT "Name" FROM Account')


def test_select_star_is_refused():
    malformed("SELECT * FROM Account")


def test_unescaped_quote_from_user_data_is_malformed_not_another_query():
    # the classic injection: the value O'Brien pasted between quotes without escaping
    err = malformed("SELECT Id FROM Contact WHERE LastName = 'O'Brien'")
    assert err.message.endswith("unexpected token: 'Brien'")
    # a payload that would widen the filter if it escaped the literal
    malformed("SELECT Id FROM Contact WHERE LastName = 'x' OR Id != null'")
    malformed("SELECT Id FROM Contact WHERE LastName = 'x'' OR Id != null")


def test_unterminated_string_is_malformed():
    err = malformed("SELECT Id FROM Contact WHERE LastName = 'abc")
    assert "expecting '''" in err.message


@pytest.mark.parametrize("bad", [r"\q", r"\%", r"\_", r"\u12", r"\x41", "\\"])
def test_escapes_outside_the_documented_set_are_malformed(bad):
    err = malformed(f"SELECT Id FROM Contact WHERE LastName = 'a{bad}'")
    assert (
        "Illegal character sequence" in err.message
        or "unexpected" in err.message
        or "expecting" in err.message
    )


def test_like_accepts_wildcard_escapes():
    parse_soql(r"SELECT Id FROM Account WHERE Name LIKE '100\% natural\_%'")


def test_bind_variables_are_apex_only():
    err = malformed("SELECT Id FROM Contact WHERE Email = :email")
    assert err.message.endswith("Bind variables only allowed in Apex code")


def test_mixing_and_with_or_needs_parentheses():
    err = malformed("SELECT Id FROM Contact WHERE Email = null AND Phone = null OR LastName = 'x'")
    assert err.message.endswith("unexpected token: 'OR'")
    err = malformed("SELECT Id FROM Contact WHERE Email = null OR Phone = null AND LastName = 'x'")
    assert err.message.endswith("unexpected token: 'AND'")
    parse_soql("SELECT Id FROM Contact WHERE (Email = null AND Phone = null) OR LastName = 'x'")
    parse_soql("SELECT Id FROM Contact WHERE Email = null AND Phone = null AND LastName = 'x'")


def test_not_after_and_must_open_a_group():
    err = malformed("SELECT Id FROM Contact WHERE Email != null AND NOT Phone = null")
    assert err.message.endswith("unexpected token: 'NOT'")
    parse_soql("SELECT Id FROM Contact WHERE Email != null AND (NOT Phone = null)")
    parse_soql("SELECT Id FROM Contact WHERE NOT Phone = null")


def test_clause_order_is_enforced():
    malformed("SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'")
    malformed("SELECT Id FROM Account OFFSET 5 LIMIT 5")
    malformed("SELECT Id FROM Account LIMIT -1")
    malformed("SELECT Id FROM Account LIMIT 5.5")


def test_datetime_literals_must_carry_a_zone():
    parse_soql("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00Z")
    parse_soql("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00+02:00")
    parse_soql("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00.250-05:30")
    malformed("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00")
    malformed("SELECT Id FROM Account WHERE CreatedDate > 2024-01-01 00:00:00Z")


def test_select_list_items_are_told_apart():
    query = parse_soql("SELECT Id, COUNT(Id) total, (SELECT Id FROM Contacts) FROM Account")
    assert isinstance(query.select[0], FieldPath)
    assert isinstance(query.select[1], SelectCall) and query.select[1].alias == "total"
    assert isinstance(query.select[2], SelectSubquery) and query.select[2].query.sobject == "Contacts"


def test_parse_results_are_cached_by_text():
    text = "SELECT Id FROM Account WHERE Name = 'cached'"
    assert parse_soql(text) is parse_soql(text)
