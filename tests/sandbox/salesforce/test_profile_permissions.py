"""The integration user's profile: field-level security and object permissions show in describe, as
they do in Salesforce, and writes past them are refused with Salesforce's codes."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def code_of(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.content[0]["errorCode"]


def test_a_field_read_only_by_field_level_security(sf, sandbox) -> None:
    sandbox.settings(profile_read_only_fields={"Lead": ["Phone"]})
    phone = next(f for f in sf.Lead.describe()["fields"] if f["name"] == "Phone")
    assert (phone["createable"], phone["updateable"]) == (False, False)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "x", "Company": "y", "Phone": "555 0100"})
    assert code_of(exc) == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert sf.Lead.create({"LastName": "x", "Company": "y"})["success"]


def test_an_object_permission_the_profile_lacks(sf, sandbox) -> None:
    sandbox.settings(profile_denied_object_permissions={"Account": ["create"]})
    describe = sf.Account.describe()
    assert (describe["createable"], describe["updateable"], describe["queryable"]) == (False, True, True)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Name": "Acme"})
    assert code_of(exc) == "INSUFFICIENT_ACCESS_OR_READONLY"
