"""Reading records of either CRM again just before a write, as text in the form their snapshot holds:
the source of a plan row that waited (is its value still the planned one?), and the target of an
update (did someone edit it since the snapshot?). See stale_plans.py."""

from __future__ import annotations

from typing import Any, Protocol

from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector, soql_in
from crmsync_pipeline.extract.salesforce import salesforce_text
from crmsync_pipeline.state.names import quoted

SOQL_IDS = 200  # ids per `Id IN (...)` query: keeps the query URL well under Salesforce's limit


class SourceReader(Protocol):
    """Reads the current values of source records, as text in the form their snapshot holds."""

    crm: str

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]: ...


READS = 3  # a record a HubSpot batch read answered with an error (not OBJECT_NOT_FOUND) is asked twice more


class HubSpotSource:
    crm = "hubspot"

    def __init__(self, connector: HubSpotConnector):
        self.connector = connector
        # records that exist but could not be read (id -> HubSpot's error category), after READS tries:
        # absent from read()'s answer like a deleted record, but not gone
        self.unread: dict[str, str] = {}

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        wanted = list(ids)
        for _ in range(READS):
            not_read: dict[str, str] = {}
            for r in self.connector.batch_read(object_name, wanted, fields, not_read=not_read):
                out[str(r["id"])] = r.get("properties") or {}
            wanted = [i for i in wanted if i in not_read and i not in out]
            if not wanted:
                break
        self.unread.update({i: not_read[i] for i in wanted})
        return out


class SalesforceSource:
    crm = "salesforce"

    def __init__(self, connector: SalesforceConnector):
        self.connector = connector

    def read(self, object_name: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        types = self.connector.field_types(object_name)
        # a field the org lacks (before `crmsync setup`) would fail the whole query; it reads as empty
        known = [f for f in fields if f in types or ("." in f and f.split(".")[0] + "Id" in types)]
        select = ", ".join(quoted(f)[1:-1] for f in ["Id", *dict.fromkeys(f for f in known if f != "Id")])
        quoted(object_name)  # refuses a name that is not a plain identifier before it enters the SOQL
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), SOQL_IDS):
            soql = f"SELECT {select} FROM {object_name} WHERE " + soql_in("Id", ids[start : start + SOQL_IDS])
            for page in self.connector.query_pages(soql):
                for record in page:
                    out[record["Id"]] = {f: salesforce_text(_dig(record, f)) for f in fields}
        return out


def _dig(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value
