"""The side-by-side results as verdicts (crmsync against each tap, per CRM and mode) and Markdown."""

from __future__ import annotations

from typing import Any


def verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per CRM and mode: does crmsync's extract (records only, as the taps) spend no more calls and no
    more time than the tap?"""
    out = []
    for crm, tap in (("hubspot", "tap-hubspot"), ("salesforce", "tap-salesforce")):
        for mode in ("full", "incremental"):
            ours = next(r for r in rows if (r["tool"], r["crm"], r["mode"]) == ("crmsync", crm, mode))
            theirs = next(r for r in rows if (r["tool"], r["crm"], r["mode"]) == (tap, crm, mode))
            out.append(
                {
                    "crm": crm,
                    "mode": mode,
                    "peer": tap,
                    "calls": [ours["api_calls"], theirs["api_calls"]],
                    "seconds": [ours["seconds"], theirs["seconds"]],
                    "fewer_or_equal_calls": ours["api_calls"] <= theirs["api_calls"],
                    "as_fast_or_faster": ours["seconds"] <= theirs["seconds"],
                }
            )
    return out


def report(results: dict[str, Any]) -> list[str]:
    lines = [
        f"## Extraction side by side at {results['people_per_side']:,} people per side",
        "",
        "Same sandbox, same objects and fields (HubSpot contacts, companies, deals; Salesforce Account, "
        "Contact, Lead, Opportunity); API calls counted by the sandbox; incremental after editing "
        f"{results['edited_for_incremental']['hubspot']} HubSpot and "
        f"{results['edited_for_incremental']['salesforce']} Salesforce records. A tap's seconds are its whole "
        "process (start included) writing Singer messages to a pipe; crmsync's are the extract functions "
        "writing snapshot tables in DuckDB, and 'of which HTTP' is the part spent waiting on the sandbox. "
        "HubSpot runs each start with an empty 10 s rate-limit window; search is limited to 5 a second "
        "(Professional tier), which is where the taps' 429s come from.",
        "",
        "| tool | CRM | mode | seconds | of which HTTP | API calls | records | calls by status |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results["rows"]:
        status = ", ".join(f"{k}: {v}" for k, v in r["calls_by_status"].items())
        lines.append(
            f"| {r['tool']} | {r['crm']} | {r['mode']} | {r['seconds']} | {r.get('seconds_waiting_on_http', '-')} "
            f"| {r['api_calls']} | "
            f"{r['records'] or '-'} | {status} |"
        )
    lines += [
        "",
        "| CRM | mode | calls crmsync / tap | seconds crmsync / tap | met |",
        "|---|---|---|---|---|",
    ]
    for v in results["verdicts"]:
        met = "yes" if v["fewer_or_equal_calls"] and v["as_fast_or_faster"] else "NO"
        lines.append(
            f"| {v['crm']} | {v['mode']} | {v['calls'][0]} / {v['calls'][1]} | "
            f"{v['seconds'][0]} / {v['seconds'][1]} | {met} |"
        )
    return [*lines, ""]
