"""A sync's two query shapes over an org of a few thousand Contacts, checked against the rows themselves:
the incremental cursor filter with ORDER BY LastModifiedDate, Id, and a selective filter ordered by a
parent path with a LIMIT. Their speed over 100,000 rows is a benchmark (bench/soql_evaluator.py)."""

from __future__ import annotations

import pytest

ROWS = 3_000
ACCOUNTS = 50
SINCE = "2024-08-01T00:00:00Z"


@pytest.fixture(scope="module")
def many(new_catalog):
    """Contacts over nine months of edits (so many share a LastModifiedDate), a quarter without email, one
    in 50 deleted; last names are a permutation of Name00000..Name02999."""
    org = new_catalog()
    accounts = [org.add("Account", Name=f"Account {i:02d}") for i in range(ACCOUNTS)]
    for i in range(ROWS):
        org.add(
            "Contact",
            LastName=f"Name{(i * 7919) % ROWS:05d}",
            Email=f"p{i}@example.com" if i % 4 else None,
            AccountId=accounts[i % ACCOUNTS]["Id"],
            LastModifiedDate=f"2024-{1 + i % 9:02d}-{1 + i % 28:02d}T10:00:{i % 60:02d}.000+0000",
            IsDeleted=i % 50 == 0,
        )
    return org


def live_contacts(org) -> list[dict]:
    return [row for row in org.tables["Contact"].values() if not row["IsDeleted"]]


def test_incremental_filter_returns_every_later_contact_in_cursor_order(many, soql):
    result = soql(
        "SELECT Id, LastName, Email, LastModifiedDate FROM Contact "
        f"WHERE LastModifiedDate > {SINCE} ORDER BY LastModifiedDate, Id",
        many,
    )
    later = [row for row in live_contacts(many) if row["LastModifiedDate"] > "2024-08-01T00:00:00.000+0000"]
    expected = sorted(later, key=lambda row: (row["LastModifiedDate"], row["Id"]))
    assert [r["Id"] for r in result.records] == [row["Id"] for row in expected]
    assert result.total_size == len(expected) > 500
    # ties on LastModifiedDate exist, so the Id tie-break is exercised
    assert len({row["LastModifiedDate"] for row in expected}) < len(expected)
    assert any(r["Email"] is None for r in result.records)


def test_selective_filter_ordered_by_parent_path_stops_at_limit(many, soql):
    result = soql(
        "SELECT Id, LastName, Account.Name FROM Contact WHERE Email != null AND LastName LIKE 'Name01%' "
        "ORDER BY Account.Name DESC, LastName LIMIT 200",
        many,
    )
    account_name = {row["Id"]: row["Name"] for row in many.tables["Account"].values()}
    matching = [row for row in live_contacts(many) if row["Email"] and row["LastName"].startswith("Name01")]
    by_last_name = sorted(matching, key=lambda row: row["LastName"])
    expected = sorted(by_last_name, key=lambda row: account_name[row["AccountId"]], reverse=True)[:200]
    assert len(matching) > 200  # the LIMIT cuts the answer
    assert [r["Id"] for r in result.records] == [row["Id"] for row in expected]
    assert [r["Account"]["Name"] for r in result.records] == [
        account_name[row["AccountId"]] for row in expected
    ]
    assert result.total_size == 200
