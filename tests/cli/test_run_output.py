"""`crmsync sync` as a person reads it after things go wrong, against the sandbox CRMs: the run table's
errors column counts the records a CRM refused (the sandbox's own count of the refusals it injected,
and sync_errors), while records crmsync's preflight refused before sending are listed apart; and a run
that fails says which steps and pairs failed, with the CRM's code and what to do next, without a table
of zeros or Dagster's "Not executing" lines."""

from __future__ import annotations

import os
import re
import uuid

import duckdb
import pytest
import requests
from cli_helpers import TOKEN, hubspot_contact, sandbox_admin

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


def _row(output: str, pair: str, side: str) -> dict[str, int]:
    """One row of the run table, by column."""
    lines = output.splitlines()
    header = next(line for line in lines if "┃ pair" in line)
    columns = [c.strip() for c in header.strip("┃").split("┃")]
    for line in lines:
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[:2] == [pair, side]:
            return {c: int(v) for c, v in zip(columns[2:], cells[2:], strict=True)}
    raise AssertionError(f"no row {pair}/{side} in:\n{output}")


def _state(sql: str, *params):  # type: ignore[no-untyped-def]
    con = duckdb.connect(os.environ["CRMSYNC_STATE_DB"], read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _salesforce_with_email(sandbox, email: str) -> list:
    url = f"{sandbox.salesforce.url}/services/data/v59.0/query/"
    found = []
    for sobject in ("Contact", "Lead"):
        q = f"SELECT Id FROM {sobject} WHERE Email = '{email}'"
        found += requests.get(url, headers=TOKEN, params={"q": q}, timeout=10).json()["records"]
    return found


def test_errors_count_only_what_a_crm_refused_and_preflight_is_listed_apart(sandbox, crmsync):
    assert crmsync("sync").exit_code == 0
    tag = uuid.uuid4().hex[:6]
    refused = [f"refused-{n}-{tag}@errors-column.org" for n in range(2)]
    too_long = f"too-long-{tag}@errors-column.org"
    for email in refused:
        hubspot_contact(
            sandbox,
            email=email,
            firstname="Rita",
            lastname="Refused",
            lifecyclestage="marketingqualifiedlead",
        )
    # Lead.FirstName holds 40 characters and the mapping does not truncate it: preflight refuses it
    hubspot_contact(sandbox, email=too_long, firstname="L" * 60, lastname="Long", lifecyclestage="marketingqualifiedlead")  # fmt: skip
    sandbox_admin(
        sandbox, "salesforce", "faults", {"record_failure_rate": 1.0, "path_contains": "composite/sobjects"}
    )
    try:
        result = crmsync("sync")
        injected = sandbox_admin(sandbox, "salesforce", "faults/injected", method="GET")
    finally:
        sandbox_admin(sandbox, "salesforce", "faults", method="DELETE")
    assert result.exit_code == 0, result.output
    assert injected.get("record_failure", 0) >= 2  # Salesforce itself refused both records
    assert all(_salesforce_with_email(sandbox, e) == [] for e in [*refused, too_long])

    row = _row(result.output, "contacts", "salesforce")
    assert row["errors"] == 2, result.output  # the two Salesforce refused; not the one never sent
    run_id = re.search(r"Synced \(run ([0-9a-f-]{36})\)", result.output).group(1)
    errors = _state(
        "SELECT error_code, error_message FROM sync_errors WHERE pair = 'contacts' AND target = 'salesforce' "
        "AND last_run_id = ?",
        run_id,
    )
    assert len([e for e in errors if not (e[1] or "").startswith("preflight:")]) == row["errors"]
    assert re.search(r"^  2 record\(s\) refused by Salesforce: \w+", result.output, re.M), result.output
    assert re.search(
        r"^  1 record\(s\) refused by crmsync's preflight, never sent to Salesforce: STRING_TOO_LONG",
        result.output,
        re.M,
    ), result.output


def test_a_failed_sync_says_what_failed_where_and_what_to_do(sandbox, crmsync):
    """A revoked HubSpot token: every step reading HubSpot fails with the CRM's 401."""
    tokens = sandbox_admin(sandbox, "hubspot", "settings", method="GET")["access_tokens"]
    sandbox_admin(sandbox, "hubspot", "settings", {"access_tokens": ["revoked-by-an-admin"]})
    try:
        result = crmsync("sync")
    finally:
        sandbox_admin(sandbox, "hubspot", "settings", {"access_tokens": tokens})
    output = result.output
    assert result.exit_code == 1, output
    assert "Not executing" not in output and "Dependencies for step" not in output, output
    assert "┃ pair" not in output, output  # no table of zeros: nothing was done
    assert "the run failed" in output and "nothing was written" in output
    assert re.search(r"\d+ step\(s\) failed, \d+ not run", output), output
    # where, with the CRM's code, once per cause
    assert output.count("CRM error hubspot INVALID_AUTHENTICATION") == 1, output
    assert "hubspot_contacts_snapshot" in output and "pairs: companies, contacts, deals, tasks" in output
    assert "HUBSPOT_ACCESS_TOKEN" in output
    assert "what to do:" in output and "run `crmsync sync` again" in output
    assert "crmsync sync -v" in output
    assert len(output.splitlines()) < 40, output
