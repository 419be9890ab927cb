"""Standard HubSpot object types the sandbox does not emulate answer like a token without their scopes,
so generic extractors that discover every type (meltano-tap-hubspot) skip them instead of failing."""

from __future__ import annotations

import pytest
from hs_sandbox import Sandbox
from hubspot.crm.properties.exceptions import ApiException


@pytest.mark.parametrize("object_type", ["calls", "line_items", "tickets", "postal_mail"])
def test_properties_of_an_unmodelled_type_are_refused_for_missing_scopes(
    sandbox: Sandbox, object_type: str
) -> None:
    with pytest.raises(ApiException) as refused:
        sandbox.client.crm.properties.core_api.get_all(object_type)
    assert refused.value.status == 403
    assert '"category": "MISSING_SCOPES"' in refused.value.body


def test_modelled_and_unknown_types_answer_as_before(sandbox: Sandbox) -> None:
    names = {p.name for p in sandbox.client.crm.properties.core_api.get_all("contacts").results}
    assert "email" in names
    with pytest.raises(ApiException) as unknown:
        sandbox.client.crm.properties.core_api.get_all("spaceships")
    assert unknown.value.status == 400
