"""Cheap questions for the change sensor: "has a person changed anything since this time?".

Salesforce: one `/composite` call per tick and per five sObjects, each a `queryAll ... LIMIT 1`
subrequest. `/composite` is billed as ONE API call whatever it holds (at most 5 queries), whereas
`/composite/batch` bills every subrequest, so a batch would cost one call per sObject per tick. Changes
by the integration user are excluded by `LastModifiedById`; queryAll also sees deletes and merges (they
move SystemModstamp). SystemModstamp has second precision, so the probe asks from the start of the last
tick's second (>=) and skips the records the previous tick already reported in that second.

HubSpot: one search per object type (limit 1, only `total` matters). HubSpot search cannot filter on
who changed a record, so crmsync's own writes are excluded by time instead: every crmsync write to
HubSpot happens inside a write step of a sync run, and Dagster knows when those steps ran. The probe
asks for records modified after the cursor but outside those windows (one filter group per gap)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hubspot.crm.objects import PublicObjectSearchRequest
from simple_salesforce import format_soql

from .clients import SALESFORCE_API_VERSION
from .errors import CrmError
from .hubspot import HubSpotConnector, last_modified_property
from .salesforce import SalesforceConnector

SALESFORCE_PROBE_ROUTE = "composite.change_probe"
COMPOSITE_QUERIES = 5  # /composite takes at most 5 query subrequests; the whole request is one call
HUBSPOT_FILTER_GROUPS = 5
# HubSpot's clock is not ours: widen each write window so a write stamped a little early or late by the
# CRM still falls inside it.
CLOCK_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class WriteWindow:
    """When crmsync was writing to a CRM (a write step of a sync run)."""

    start: datetime
    end: datetime


def salesforce_integration_user(salesforce: SalesforceConnector) -> str:
    """The id of the user crmsync's session acts as (asked once; the sensor keeps it in its cursor)."""
    answer = salesforce.call("chatter.users.me", lambda: salesforce.sf.restful("chatter/users/me"))
    return str(answer["id"])


@dataclass(frozen=True)
class ProbeHit:
    """The latest change by a person to one sObject: the probe's answer and what the next tick skips."""

    sobject: str
    record_id: str
    stamp: str  # SystemModstamp as Salesforce answered it


def salesforce_changed(
    salesforce: SalesforceConnector,
    sobjects: list[str],
    since: datetime,
    integration_user: str,
    seen: Collection[str] = (),
) -> list[ProbeHit]:
    """For each sObject with a record changed at or after `since`'s second by someone other than the
    integration user, its latest change. `seen` are ids a previous tick already reported at that second:
    they are skipped within the second only, so a same-second edit is neither missed nor reported twice."""
    hits: list[ProbeHit] = []
    for start in range(0, len(sobjects), COMPOSITE_QUERIES):
        chunk = sobjects[start : start + COMPOSITE_QUERIES]
        requests = [
            {
                "method": "GET",
                "referenceId": f"probe{i}",
                "url": f"/services/data/v{SALESFORCE_API_VERSION}/queryAll?q="
                + quote(_probe_soql(s, since, integration_user, seen)),
            }
            for i, s in enumerate(chunk)
        ]
        answer = salesforce.call(
            SALESFORCE_PROBE_ROUTE,
            lambda b={"compositeRequest": requests}: salesforce.sf.restful(
                "composite", method="POST", json=b
            ),
        )
        for sobject, result in zip(chunk, answer["compositeResponse"], strict=True):
            body = result.get("body")
            if result.get("httpStatusCode", 500) >= 400:
                error = body[0] if isinstance(body, list) and body else {}
                raise CrmError(
                    "salesforce",
                    str(error.get("errorCode") or "PROBE_FAILED"),
                    f"{sobject}: {error.get('message', body)}",
                    status=int(result.get("httpStatusCode", 500)),
                )
            hits += [
                ProbeHit(sobject, str(r["Id"]), str(r["SystemModstamp"])) for r in body.get("records", [])
            ]
    return hits


def probe_calls_per_tick(sobject_count: int) -> int:
    """Billed Salesforce calls one probe tick makes: one `/composite` per five sObjects."""
    return -(-sobject_count // COMPOSITE_QUERIES)


def _probe_soql(sobject: str, since: datetime, integration_user: str, seen: Collection[str]) -> str:
    # SystemModstamp has second precision on a real org: ask from the start of `since`'s second (>=),
    # or an edit later in the same second as the last tick would never be found
    second = since.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    soql = format_soql(
        "SELECT Id, SystemModstamp FROM {:literal} WHERE SystemModstamp >= {:literal} "
        "AND LastModifiedById != {}",
        sobject,
        second,
        integration_user,
    )
    if seen:  # already reported: skipped unless stamped after `since` itself (edited again since)
        at = since.astimezone(UTC)
        exact = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        soql += format_soql(" AND (SystemModstamp > {:literal} OR Id NOT IN {})", exact, sorted(seen))
    return soql + " ORDER BY SystemModstamp DESC LIMIT 1"


def hubspot_changed(
    hubspot: HubSpotConnector, object_types: list[str], since: datetime, own_writes: list[WriteWindow]
) -> list[str]:
    """The object types with a record modified after `since`, outside crmsync's own write windows."""
    changed = []
    for object_type in object_types:
        modified = last_modified_property(object_type)
        request = PublicObjectSearchRequest(
            filter_groups=outside_windows(modified, since, own_writes), properties=[modified], limit=1
        )
        page = hubspot.call(
            f"{object_type}.search.change_probe",
            hubspot.client.crm.objects.search_api.do_search,
            object_type,
            request,
        )
        if (page.total or 0) > 0:
            changed.append(object_type)
    return changed


def outside_windows(prop: str, since: datetime, windows: list[WriteWindow]) -> list[dict[str, Any]]:
    """Search filter groups (ORed) covering (since, now] minus the write windows. Past HubSpot's five
    groups, the oldest windows are joined: a user edit inside a joined gap waits for the schedule."""
    spans = sorted(
        (
            WriteWindow(w.start - CLOCK_SLACK, w.end + CLOCK_SLACK)
            for w in windows
            if w.end + CLOCK_SLACK > since
        ),
        key=lambda w: w.start,
    )
    while len(spans) >= HUBSPOT_FILTER_GROUPS:
        spans[0:2] = [WriteWindow(spans[0].start, max(spans[0].end, spans[1].end))]
    groups, lower = [], since
    for span in spans:
        if span.start > lower:
            groups.append([_filter(prop, "GT", lower), _filter(prop, "LT", span.start)])
        lower = max(lower, span.end)
    groups.append([_filter(prop, "GT", lower)])
    return [{"filters": g} for g in groups]


def _filter(prop: str, operator: str, at: datetime) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(int(at.timestamp() * 1000))}
