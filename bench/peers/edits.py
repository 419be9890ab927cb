"""About 1% of each side's records edited as a user would, through the sandbox admin routes (never
counted as API calls), so every tool's incremental run has the same changes to find."""

from __future__ import annotations

import random

import requests

HUBSPOT_EDITS = {  # object type -> a property every tool extracts
    "contacts": ("jobtitle", "Edited title {n}"),
    "companies": ("name", "Edited company {n}"),
    "deals": ("dealname", "Edited deal {n}"),
}
SALESFORCE_EDITS = {
    "Account": ("Name", "Edited account {n}"),
    "Contact": ("Title", "Edited title {n}"),
    "Lead": ("Title", "Edited title {n}"),
    "Opportunity": ("Name", "Edited opportunity {n}"),
}


def sample(ids: list[str], share: float, rng: random.Random) -> list[str]:
    """`share` of `ids` (at least one when there are any), in a reproducible order."""
    if not ids:
        return []
    return rng.sample(sorted(ids), max(1, round(len(ids) * share)))


def edit_hubspot(url: str, ids: dict[str, list[str]], share: float, seed: int = 6) -> int:
    rng, done, session = random.Random(seed), 0, requests.Session()
    for object_type, (prop, template) in HUBSPOT_EDITS.items():
        for n, record_id in enumerate(sample(ids.get(object_type, []), share, rng)):
            answer = session.post(
                f"{url}/_sandbox/hubspot/objects/{object_type}/{record_id}/edit",
                json={"properties": {prop: template.format(n=n)}},
                timeout=30,
            )
            answer.raise_for_status()
            done += 1
    session.post(f"{url}/_sandbox/hubspot/search/flush", timeout=30).raise_for_status()
    return done


def edit_salesforce(url: str, ids: dict[str, list[str]], share: float, seed: int = 6) -> int:
    rng, done, session = random.Random(seed), 0, requests.Session()
    for sobject, (field, template) in SALESFORCE_EDITS.items():
        for n, record_id in enumerate(sample(ids.get(sobject, []), share, rng)):
            answer = session.post(
                f"{url}/_sandbox/salesforce/edit",
                json={"object": sobject, "id": record_id, "fields": {field: template.format(n=n)}},
                timeout=30,
            )
            answer.raise_for_status()
            done += 1
    return done
