"""HubSpot record reads: list pages (first loads), searches on last-modified time (later loads), batch
reads (with property history) and v4 association reads. Bodies are read as JSON (hubspot_json.py); batch
reads and association reads of many ids go a few requests at a time (parallel.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from hubspot import HubSpot

from . import hubspot_json
from .calls import CrmCaller
from .errors import CrmError
from .hubspot_batches import BATCH
from .parallel import in_parallel

PAGE = 100  # list endpoint maximum
SEARCH_PAGE = 200  # search maximum
SEARCH_CAP = 10_000  # HubSpot answers 400 past 10,000 results of one search
ASSOCIATION_READ_BATCH = 1_000  # v4 batch read limit since 2025-02
HISTORY_READS = 3  # property history: a record a batch read answered with an error is asked again, twice
# A batch read asking for property history takes at most 50 inputs (HubSpot answers more with 400
# VALIDATION_ERROR "The maximum number of inputs supported in a batch request for property histories is
# 50"); without history the batch maximum of 100 applies.
HISTORY_BATCH = 50


def last_modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type in ("contacts", "0-1") else "hs_lastmodifieddate"


class HubSpotRecordReads:
    client: HubSpot
    call: CrmCaller
    parallel: int

    def list_pages(
        self, object_type: str, properties: list[str], archived: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record (or, with archived=True, only the archived ones), 100 a call."""
        after = None
        while True:
            page = hubspot_json.body(
                self.call(
                    f"{object_type}.list",
                    self.client.crm.objects.basic_api.get_page,
                    object_type,
                    limit=PAGE,
                    after=after,
                    properties=properties,
                    archived=archived,
                    _preload_content=False,
                )
            )
            yield [hubspot_json.record(r) for r in page.get("results") or []]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                return

    def search_modified_pages(
        self, object_type: str, since: datetime, properties: list[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Records modified at or after `since`, oldest first, 200 a call. Past the 10,000-result cap of
        one search, the filter is re-anchored at the last modification time seen; the overlap (records at
        that very time) is read twice and yielded once. Archived records never appear in search."""
        modified = last_modified_property(object_type)
        anchor, seen = since, set()
        while True:
            after, last_time = 0, None
            while True:
                page = hubspot_json.body(
                    self.call(
                        f"{object_type}.search",
                        self.client.crm.objects.search_api.do_search,
                        object_type,
                        _modified_since(modified, anchor, properties, after),
                        _preload_content=False,
                    )
                )
                records = [hubspot_json.record(r) for r in page.get("results") or []]
                fresh = [r for r in records if (r["id"], r["updated_at"]) not in seen]
                seen.update((r["id"], r["updated_at"]) for r in records)
                if fresh:
                    yield fresh
                if records:
                    last_time = records[-1]["updated_at"]
                next_after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if next_after is None:
                    return
                after = int(next_after)
                if after + SEARCH_PAGE > SEARCH_CAP:
                    break
            if last_time is None or last_time <= anchor:
                raise CrmError(
                    "hubspot",
                    "SEARCH_WINDOW_FULL",
                    f"more than {SEARCH_CAP} {object_type} share one modification time; use a full extract",
                )
            anchor = last_time

    def batch_read(
        self,
        object_type: str,
        ids: list[str],
        properties: list[str],
        with_history: list[str] | None = None,
        id_property: str | None = None,
        not_read: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """The records that exist among `ids` (100 a call); missing ones are left out. With
        `with_history`, each record carries `properties_with_history` for those properties (50 a call). A
        record the answer left out with an error other than OBJECT_NOT_FOUND (a 207's INTERNAL_ERROR ...)
        exists but was not read: with `not_read`, its id goes there with HubSpot's error category."""
        route = f"{object_type}.batch.read" + (".history" if with_history else "")

        def read(chunk: list[str]) -> list[dict[str, Any]]:
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": properties}
            if with_history is not None:
                body["propertiesWithHistory"] = with_history
            if id_property is not None:
                body["idProperty"] = id_property
            response = self.call(
                route, self.client.crm.objects.batch_api.read, object_type, body, _preload_content=False
            )
            answer = hubspot_json.body(response)
            if not_read is not None:
                for error in answer.get("errors") or []:
                    if error.get("category") != "OBJECT_NOT_FOUND":
                        for key in (error.get("context") or {}).get("ids") or []:
                            not_read[str(key)] = str(error.get("category") or "ERROR")
            return [hubspot_json.record(r) for r in answer.get("results") or []]

        size = HISTORY_BATCH if with_history else BATCH
        chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
        return [r for found in in_parallel(read, chunks, self.parallel) for r in found]

    def property_times(
        self, object_type: str, ids: list[str], properties: list[str]
    ) -> dict[tuple[str, str], datetime]:
        """When each property of each record last changed (from property history; 50 records a call).
        A record missing from the answer (a 207 error for it) is asked again, twice: without its times a
        conflict would be judged by the record's last change, whatever field that was."""
        out: dict[tuple[str, str], datetime] = {}
        wanted = list(ids)
        for _ in range(HISTORY_READS):
            found = self.batch_read(object_type, wanted, properties, with_history=properties)
            for record in found:
                for name, versions in (record.get("properties_with_history") or {}).items():
                    if versions:
                        out[(str(record["id"]), name)] = max(v["timestamp"] for v in versions)
            answered = {str(r["id"]) for r in found}
            wanted = [i for i in wanted if i not in answered]
            if not wanted:
                break
        return out

    def property_versions(
        self, object_type: str, ids: list[str], properties: list[str]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The latest property-history entry (value, source_type, source_id, timestamp) of each property
        of each record: who or what set the value it holds (50 records a call, the cap with history)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for record in self.batch_read(object_type, ids, properties, with_history=properties):
            for name, versions in (record.get("properties_with_history") or {}).items():
                dated = [v for v in versions or [] if v["timestamp"] is not None]
                if dated:
                    out[(str(record["id"]), name)] = max(dated, key=lambda v: v["timestamp"])
        return out

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> list[tuple[str, str, list[int]]]:
        """(from id, to id, association type ids) for every association of `ids` (1,000 ids a call;
        a record with more associations than one page holds is followed with its own `after`)."""

        def read(chunk: list[tuple[str, str | None]]) -> dict[str, Any]:
            inputs = [{"id": i, **({"after": after} if after else {})} for i, after in chunk]
            response = self.call(
                f"associations.{from_type}.{to_type}.read",
                self.client.crm.associations.v4.batch_api.get_page,
                from_type,
                to_type,
                {"inputs": inputs},
                _preload_content=False,
            )
            return hubspot_json.body(response)

        out: list[tuple[str, str, list[int]]] = []
        pending: list[tuple[str, str | None]] = [(i, None) for i in ids]
        while pending:
            chunks = [
                pending[start : start + ASSOCIATION_READ_BATCH]
                for start in range(0, len(pending), ASSOCIATION_READ_BATCH)
            ]
            pending = []
            for page in in_parallel(read, chunks, self.parallel):
                for result in page.get("results") or []:
                    from_id = str(result["from"]["id"])
                    out += [
                        (
                            from_id,
                            str(to["toObjectId"]),
                            [t["typeId"] for t in to.get("associationTypes") or []],
                        )
                        for to in result.get("to") or []
                    ]
                    after = ((result.get("paging") or {}).get("next") or {}).get("after")
                    if after is not None:
                        pending.append((from_id, after))
        return out


def _modified_since(modified: str, anchor: datetime, properties: list[str], after: int) -> dict[str, Any]:
    return {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": modified,
                        "operator": "GTE",
                        "value": str(int(anchor.timestamp() * 1000)),
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": SEARCH_PAGE,
        "after": str(after),
    }
