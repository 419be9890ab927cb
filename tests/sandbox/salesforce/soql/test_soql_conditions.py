"""compile_condition: WHERE-style conditions over one stored row, for validation and duplicate rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crmsync_pipeline.sandbox.salesforce.soql import SoqlError, compile_condition


def lead(**values) -> dict:
    row = {"Id": None, "FirstName": None, "LastName": "X", "Company": "C", "Email": None, "Phone": None}
    row |= {"Status": "Open", "IsConverted": False, "OwnerId": None, "ConvertedAccountId": None}
    return row | values


@pytest.mark.parametrize("function", ["LEN", "LENGTH", "len"])
def test_length_function(org, function):
    too_short = compile_condition("Lead", f"Phone != null AND {function}(Phone) < 7", org)
    assert too_short(lead(Phone="12345"))
    assert not too_short(lead(Phone="1234567"))
    assert not too_short(lead(Phone=None))


def test_isblank_alone_negated_and_compared(org):
    blank = compile_condition("lead", "ISBLANK(Email)", org)
    assert blank(lead(Email=None)) and blank(lead(Email=""))
    assert not blank(lead(Email="a@b.c"))
    filled = compile_condition("Lead", "NOT ISBLANK(Email)", org)
    assert filled(lead(Email="a@b.c")) and not filled(lead())
    assert compile_condition("Lead", "ISBLANK(Email) = false", org)(lead(Email="a@b.c"))


def test_the_emulators_default_phone_rule(org):
    rule = compile_condition("Lead", "Phone != null AND (NOT Phone LIKE '_______%')", org)
    assert rule(lead(Phone="555-01"))
    assert not rule(lead(Phone="555-0100"))
    assert not rule(lead())


def test_conditions_can_follow_lookups(org, row_of):
    acme = row_of("Account", "Name", "Acme")
    rule = compile_condition("Contact", "Account.Industry = 'manufacturing' AND Email = null", org)
    assert rule({"AccountId": acme["Id"], "Email": None})
    assert not rule({"AccountId": acme["Id"], "Email": "x@y.z"})
    assert not rule({"AccountId": None, "Email": None})


def test_conditions_may_mix_and_or_with_and_binding_tighter(org):
    rule = compile_condition("Lead", "Status = 'Closed' OR Email = null AND Phone = null", org)
    assert rule(lead(Status="Closed", Email="a@b.c"))
    assert rule(lead(Status="Open"))
    assert not rule(lead(Status="Open", Phone="1"))


def test_relative_dates_in_conditions(org):
    rule = compile_condition("Contact", "Birthdate > TODAY", org, now=datetime(2024, 1, 1, tzinfo=UTC))
    assert rule({"Birthdate": "2024-06-01"}) and not rule({"Birthdate": "2023-06-01"})


def test_bad_conditions_raise_soql_errors(org):
    with pytest.raises(SoqlError) as caught:
        compile_condition("Lead", "Phnoe = null", org)
    assert (
        caught.value.code == "INVALID_FIELD"
        and "No such column 'Phnoe' on entity 'Lead'" in caught.value.message
    )
    with pytest.raises(SoqlError) as caught:
        compile_condition("Lead", "Phone = ", org)
    assert caught.value.code == "MALFORMED_QUERY"
    with pytest.raises(SoqlError) as caught:
        compile_condition("Nope", "Phone = null", org)
    assert caught.value.code == "INVALID_TYPE"
    with pytest.raises(SoqlError) as caught:
        compile_condition("Lead", "UPPER(Phone) = 'X'", org)
    assert caught.value.code == "MALFORMED_QUERY"
