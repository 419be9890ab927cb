"""The CRM automation the soak switches on in its sandbox (docs/soak.md), and what it does to the values the
oracle expects. Everyday rules of a real org that settle: Salesforce formats a person's phone before save,
running as the saving user (so a write crmsync makes carries the integration user's stamp), and a HubSpot
workflow upper-cases a company's city. A hostile pair (rules that turn each other's value around) is left
out: crmsync holds such a field for review instead of settling it, which tests/integration covers.

Plain data and plain functions: nothing here imports crmsync or its sandbox."""

from __future__ import annotations

import re
from typing import Any

RULES: dict[str, list[dict[str, Any]]] = {
    "salesforce": [
        {"name": f"soak_format_{obj.lower()}_phone", "object": obj, "on": "save", "when_changed": "Phone",
         "action": "format_phone", "field": "Phone", "run_as": "integration_user"}
        for obj in ("Contact", "Lead")
    ],
    "hubspot": [
        {"name": "soak_upper_company_city", "object": "companies", "on": "save", "when_changed": "city",
         "action": "upper_case", "field": "city"},
    ],
}  # fmt: skip

_NOT_DIGITS = re.compile(r"\D")


def phone_digits(value: str | None) -> str | None:
    """A phone as its national digits: "+1 555 0000012" and "(555) 000-0012" are the same number."""
    if value is None:
        return None
    digits = _NOT_DIGITS.sub("", value)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def comparable(pair: str, hs_field: str, value: str | None, expected: bool) -> str | None:
    """The form in which the oracle compares a field's value. A phone by its digits, both what a CRM holds
    and what the model expects (the CRMs format phones; crmsync's `phone` transform compares digits). A
    company's city as HubSpot's workflow leaves it: the model's value upper-cased, compared exactly with what
    each CRM holds, so a Salesforce Account still holding the lower-case value is a discrepancy (crmsync must
    carry the workflow's write across). Any other field as it is."""
    if value is None:
        return None
    if hs_field in ("phone", "mobilephone"):  # companies too: a Lead conversion copies the formatted phone
        return phone_digits(value)
    if pair == "companies" and hs_field == "city" and expected:
        return value.upper()
    return value
