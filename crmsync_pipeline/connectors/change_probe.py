"""Cheap questions for the change sensor: "has a person changed anything since this time?".

Salesforce: ONE `/composite/batch` call per tick holds a `queryAll ... LIMIT 1` subrequest per sObject
(the whole batch is one API call). `/composite` itself allows only 5 query subrequests, `/composite/batch`
takes 25 of any kind, so every mapped sObject fits. Changes by the integration user are excluded by
`LastModifiedById`; queryAll also sees deletes and merges (they move SystemModstamp).

HubSpot: one search per object type (limit 1, only `total` matters). HubSpot search cannot filter on
who changed a record, so crmsync's own writes are excluded by time instead: every crmsync write to
HubSpot happens inside a write step of a sync run, and Dagster knows when those steps ran. The probe
asks for records modified after the cursor but outside those windows (one filter group per gap)."""

from __future__ import annotations

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

SALESFORCE_PROBE_ROUTE = "composite.batch.change_probe"
BATCH_SUBREQUESTS = 25
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


def salesforce_changed(
    salesforce: SalesforceConnector, sobjects: list[str], since: datetime, integration_user: str
) -> list[str]:
    """The sObjects with a record changed after `since` by someone other than the integration user."""
    changed: list[str] = []
    for start in range(0, len(sobjects), BATCH_SUBREQUESTS):
        chunk = sobjects[start : start + BATCH_SUBREQUESTS]
        requests = [
            {
                "method": "GET",
                "url": f"v{SALESFORCE_API_VERSION}/queryAll?q={quote(_probe_soql(s, since, integration_user))}",
            }
            for s in chunk
        ]
        answer = salesforce.call(
            SALESFORCE_PROBE_ROUTE,
            lambda b={"batchRequests": requests}: salesforce.sf.restful(
                "composite/batch", method="POST", json=b
            ),
        )
        for sobject, result in zip(chunk, answer["results"], strict=True):
            body = result.get("result")
            if result.get("statusCode", 500) >= 400:
                error = body[0] if isinstance(body, list) and body else {}
                raise CrmError(
                    "salesforce",
                    str(error.get("errorCode") or "PROBE_FAILED"),
                    f"{sobject}: {error.get('message', body)}",
                    status=int(result.get("statusCode", 500)),
                )
            if body.get("totalSize", 0) > 0:
                changed.append(sobject)
    return changed


def _probe_soql(sobject: str, since: datetime, integration_user: str) -> str:
    # milliseconds, as SystemModstamp holds them: format_soql would cut to the second and find again, one
    # tick later, an edit the last sync already carried
    at = since.astimezone(UTC)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return format_soql(
        "SELECT Id FROM {:literal} WHERE SystemModstamp > {:literal} AND LastModifiedById != {} LIMIT 1",
        sobject,
        stamp,
        integration_user,
    )


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
