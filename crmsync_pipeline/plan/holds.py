"""Field writes held out of the plan while a review item stands (a ping-pong loop, a write a CRM did not
apply): the planned writes of the held (link, field) pairs become skips with the hold's reason, and
what each kind of hold did this run is counted the same way."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from crmsync_pipeline.plan.merge import FieldDecision

WRITES = ("write_hubspot", "write_salesforce")


@dataclass(frozen=True)
class HeldFields:
    """What one kind of hold did this run: review items opened and settled, field writes held."""

    opened: int = 0
    held: int = 0
    settled: int = 0


def skip_held(
    decisions: list[FieldDecision], held: Collection[tuple[str, str]], reason: str
) -> tuple[list[FieldDecision], int]:
    """The decisions with every planned write of a held (HubSpot id, field) turned into a skip named
    `reason`, and how many were turned."""
    kept, skipped = [], 0
    for d in decisions:
        if d.decision in WRITES and (d.hubspot_id, d.field) in held:
            kept.append(replace(d, decision="skip", reason=reason))
            skipped += 1
        else:
            kept.append(d)
    return kept, skipped
