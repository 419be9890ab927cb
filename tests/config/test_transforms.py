"""Canonical transforms: both sides' spellings of one value compare equal, and writes round-trip."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmsync_pipeline.config import (
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    TransformSpec,
    UnmappedValueError,
    ValueTooLongError,
    canonical_text,
    fit_length,
    same_canonical,
)

HS, SF = Side.HUBSPOT, Side.SALESFORCE


def build(kind: str, **options):
    return TransformSpec(kind=kind, **options).build()


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("http://acme.com:8080", "acme.com"),
        ("acme.com/", "acme.com"),
        ("WWW.ACME.CO.UK", "acme.co.uk"),
        ("  https://user@shop.acme.io/#top ", "shop.acme.io"),
        ("", None),
        (None, None),
    ],
)
def test_a_website_url_and_a_bare_domain_compare_as_the_domain(url, domain):
    assert build("domain").to_canonical(SF, url) == domain


def test_domains_are_written_back_as_a_url_only_where_asked():
    transform = build("domain", url_on="salesforce")
    assert transform.from_canonical(SF, "acme.com") == "https://acme.com"
    assert transform.from_canonical(HS, "acme.com") == "acme.com"
    assert transform.to_canonical(SF, transform.from_canonical(SF, "acme.com")) == "acme.com"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("17", 17),
        ("1,200.50", 1200.5),
        (" 3 000 ", 3000),
        ("$99.90", 99.9),
        (17.0, 17),
        (2.5, 2.5),
        ("-4", -4),
    ],
)
def test_numbers_compare_as_numbers(raw, number):
    value = build("number").to_canonical(HS, raw)
    assert value == number and type(value) is type(number)


def test_numbers_go_to_hubspot_as_text_and_to_salesforce_as_numbers():
    transform = build("number")
    assert transform.from_canonical(HS, 1200.5) == "1200.5"
    assert transform.from_canonical(HS, 17) == "17"
    assert transform.from_canonical(SF, 17) == 17
    assert same_canonical(transform.to_canonical(HS, "1200.50"), transform.to_canonical(SF, 1200.5))
    with pytest.raises(TransformError):
        transform.to_canonical(HS, "twelve")


@pytest.mark.parametrize(
    ("raw", "flag"), [("true", True), ("FALSE", False), ("yes", True), (0, False), (True, True)]
)
def test_yes_no_values_compare_as_booleans(raw, flag):
    assert build("bool").to_canonical(HS, raw) is flag


def test_booleans_round_trip_on_both_sides():
    transform = build("bool")
    assert transform.from_canonical(HS, True) == "true"
    assert transform.from_canonical(SF, False) is False
    with pytest.raises(TransformError):
        transform.to_canonical(HS, "maybe")


def test_emails_compare_trimmed_and_lower_cased():
    transform = build("email")
    assert transform.to_canonical(HS, "  Ann.Lee@Acme.COM ") == transform.to_canonical(SF, "ann.lee@acme.com")
    assert transform.to_canonical(SF, "   ") is None


@pytest.mark.parametrize(
    "hubspot",
    [
        "2026-03-14T00:00:00Z",
        "2026-03-14T00:00:00.000Z",
        "2026-03-14T17:45:00Z",
        "1773446400000",
        "2026-03-14",
    ],
)
def test_a_hubspot_datetime_and_a_salesforce_date_compare_by_day(hubspot):
    transform = build("date")
    assert (
        transform.to_canonical(HS, hubspot) == transform.to_canonical(SF, "2026-03-14") == date(2026, 3, 14)
    )


def test_dates_are_written_as_midnight_to_hubspot_and_as_a_date_to_salesforce():
    transform = build("date")
    day = date(2026, 3, 14)
    assert transform.from_canonical(HS, day) == "2026-03-14T00:00:00.000Z"
    assert transform.from_canonical(SF, day) == "2026-03-14"
    assert transform.to_canonical(HS, transform.from_canonical(HS, day)) == day
    assert transform.to_canonical(SF, datetime(2026, 3, 14, 23, 30, tzinfo=UTC)) == day


def test_the_day_of_a_datetime_is_taken_in_the_configured_timezone():
    transform = build("date", timezone="America/New_York")
    # 02:00 UTC on the 15th is still the evening of the 14th in New York
    assert transform.to_canonical(HS, "2026-03-15T02:00:00Z") == date(2026, 3, 14)
    written = transform.from_canonical(HS, date(2026, 3, 14))
    assert written == "2026-03-14T04:00:00.000Z"
    assert transform.to_canonical(HS, written) == date(2026, 3, 14)


def test_text_ignores_surrounding_whitespace_and_empty_means_none():
    transform = build("text")
    assert transform.to_canonical(HS, " Acme ") == transform.to_canonical(SF, "Acme")
    assert transform.to_canonical(HS, "") is None


@pytest.mark.parametrize("kind", ["text", "email", "domain", "date", "number", "bool"])
def test_each_side_is_cleared_its_own_way(kind):
    transform = build(kind)
    assert transform.to_canonical(HS, "") is None
    assert transform.to_canonical(SF, None) is None
    assert transform.from_canonical(HS, None) == ""  # HubSpot clears a property with an empty string
    assert transform.from_canonical(SF, None) is None  # Salesforce with null


def test_owners_compare_by_email():
    owners = OwnerDirectory(hubspot={"101": "Sam@Corp.example"}, salesforce={"005A": "sam@corp.example"})
    ctx = TransformContext(owners=owners)
    transform = build("owner")
    assert transform.to_canonical(HS, "101", ctx) == transform.to_canonical(SF, "005A", ctx)
    assert transform.from_canonical(SF, transform.to_canonical(HS, "101", ctx), ctx) == "005A"
    assert transform.from_canonical(HS, "sam@corp.example", ctx) == "101"
    with pytest.raises(UnmappedValueError):
        transform.to_canonical(HS, "999", ctx)
    with pytest.raises(UnmappedValueError):
        transform.from_canonical(SF, "nobody@corp.example", ctx)


def test_canonical_text_is_what_the_base_table_stores():
    assert canonical_text(date(2026, 3, 14)) == "2026-03-14"
    assert canonical_text(1200.5) == "1200.5"
    assert canonical_text(17) == "17"
    assert canonical_text(True) == "true"
    assert canonical_text(None) is None


def test_a_value_too_long_fails_unless_the_field_says_truncate(default_mapping):
    title = default_mapping.pair("contacts").field("jobtitle")
    assert title.truncate
    assert fit_length("x" * 130, 128, truncate=title.truncate) == ("x" * 128, True)
    assert fit_length("short", 128, truncate=False) == ("short", False)
    with pytest.raises(ValueTooLongError) as caught:
        fit_length("x" * 130, 128, truncate=False)
    assert caught.value.code == "STRING_TOO_LONG"
