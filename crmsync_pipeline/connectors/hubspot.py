"""HubSpot through `hubspot-api-client`: reads page by page, writes in batches of 100, every call
counted by the CrmCaller. Results are plain dicts; per-record failures keep HubSpot's category."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)

from .calls import CallMeter, CrmCaller
from .clients import hubspot_client
from .errors import CrmError
from .outcome import WriteResult
from .settings import HubSpotSettings

BATCH = 100
PAGE = 100
SEARCH_PAGE = 200
SEARCH_CAP = 10_000  # HubSpot answers 400 past 10,000 results of one search


def last_modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type in ("contacts", "0-1") else "hs_lastmodifieddate"


class HubSpotConnector:
    crm = "hubspot"

    def __init__(self, settings: HubSpotSettings, meter: CallMeter, **caller_options: Any):
        self.client = hubspot_client(settings.access_token.get_secret_value(), settings.base_url)
        self.call = CrmCaller("hubspot", meter, **caller_options)

    # reads -------------------------------------------------------------------------------------
    def list_pages(self, object_type: str, properties: list[str]) -> Iterator[list[dict[str, Any]]]:
        after = None
        while True:
            page = self.call(
                f"{object_type}.list",
                self.client.crm.objects.basic_api.get_page,
                object_type,
                limit=PAGE,
                after=after,
                properties=properties,
                archived=False,
            )
            yield [r.to_dict() for r in page.results]
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

    def search_modified_pages(
        self, object_type: str, since: datetime, properties: list[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Records modified at or after `since`, oldest first. Past the 10,000-result cap of one search,
        the filter is re-anchored at the last time seen (records at that very time are read twice and
        de-duplicated)."""
        modified = last_modified_property(object_type)
        anchor, seen = since, set()
        while True:
            after, read_in_window, last_time = 0, 0, None
            while True:
                request = PublicObjectSearchRequest(
                    filter_groups=[
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
                    sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
                    properties=properties,
                    limit=SEARCH_PAGE,
                    after=str(after),
                )
                page = self.call(
                    f"{object_type}.search",
                    self.client.crm.objects.search_api.do_search,
                    object_type,
                    request,
                )
                records = [r.to_dict() for r in page.results]
                fresh = [r for r in records if r["id"] not in seen]
                seen.update(r["id"] for r in records)
                if fresh:
                    yield fresh
                read_in_window += len(records)
                if records:
                    last_time = records[-1]["updated_at"]
                if page.paging is None or page.paging.next is None:
                    return
                after = int(page.paging.next.after)
                if after + SEARCH_PAGE > SEARCH_CAP:
                    break
            if last_time is None or last_time <= anchor:
                raise CrmError(
                    "hubspot",
                    "SEARCH_WINDOW_FULL",
                    f"more than {SEARCH_CAP} {object_type} share one modification time; use a full extract",
                )
            anchor = last_time

    def property_times(
        self, object_type: str, ids: list[str], properties: list[str]
    ) -> dict[tuple[str, str], datetime]:
        """When each property of each record last changed (from property history; 100 records a call)."""
        out: dict[tuple[str, str], datetime] = {}
        for start in range(0, len(ids), BATCH):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in ids[start : start + BATCH]],
                properties=properties,
                properties_with_history=properties,
            )
            response = self.call(
                f"{object_type}.batch.read.history", self.client.crm.objects.batch_api.read, object_type, body
            )
            for record in response.results:
                for name, versions in (record.properties_with_history or {}).items():
                    if versions:
                        out[(str(record.id), name)] = max(v.timestamp for v in versions)
        return out

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> list[tuple[str, str, list[int]]]:
        out = []
        for start in range(0, len(ids), 1000):
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in ids[start : start + 1000]]
            )
            page = self.call(
                f"associations.{from_type}.{to_type}.read",
                self.client.crm.associations.v4.batch_api.get_page,
                from_type,
                to_type,
                body,
            )
            for result in page.results:
                for to in result.to:
                    out.append(
                        (
                            str(result._from.id),
                            str(to.to_object_id),
                            [t.type_id for t in to.association_types],
                        )
                    )
        return out

    def create_associations(self, from_type: str, to_type: str, pairs: list[tuple[str, str, int]]) -> int:
        """Associate (from id, to id) with a HUBSPOT_DEFINED type id; returns how many were created."""
        created = 0
        for start in range(0, len(pairs), BATCH):
            body = BatchInputPublicAssociationMultiPost(
                inputs=[
                    PublicAssociationMultiPost(
                        _from=PublicObjectId(id=f),
                        to=PublicObjectId(id=t),
                        types=[
                            AssociationSpec(
                                association_category="HUBSPOT_DEFINED", association_type_id=type_id
                            )
                        ],
                    )
                    for f, t, type_id in pairs[start : start + BATCH]
                ]
            )
            response = self.call(
                f"associations.{from_type}.{to_type}.create",
                self.client.crm.associations.v4.batch_api.create,
                from_type,
                to_type,
                body,
            )
            created += len(response.results or [])
        return created

    def owners(self) -> list[dict[str, Any]]:
        owners, after = [], None
        while True:
            page = self.call(
                "owners.list", self.client.crm.owners.owners_api.get_page, limit=100, after=after
            )
            owners += [o.to_dict() for o in page.results]
            if page.paging is None or page.paging.next is None:
                return owners
            after = page.paging.next.after

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        page = self.call(
            f"{object_type}.properties", self.client.crm.properties.core_api.get_all, object_type
        )
        return [p.to_dict() for p in page.results]

    def pipelines(self, object_type: str) -> dict[str, list[str]]:
        """Pipeline id -> its stage ids."""
        page = self.call(
            f"{object_type}.pipelines", self.client.crm.pipelines.pipelines_api.get_all, object_type
        )
        return {p.id: [s.id for s in p.stages] for p in page.results}

    def create_property(self, object_type: str, definition: dict[str, Any]) -> dict[str, Any]:
        created = self.call(
            f"{object_type}.properties.create",
            self.client.crm.properties.core_api.create,
            object_type,
            definition,
        )
        return created.to_dict()

    # writes ------------------------------------------------------------------------------------
    def upsert(self, object_type: str, id_property: str, records: list[dict[str, str]]) -> list[WriteResult]:
        """Create-or-update keyed on a unique property: a repeated create finds its record."""

        def send(batch: list[dict[str, str]]) -> list[WriteResult]:
            body = BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[
                    SimplePublicObjectBatchInputUpsert(
                        id=r[id_property], id_property=id_property, properties=r
                    )
                    for r in batch
                ]
            )
            response = self.call(
                f"{object_type}.batch.upsert", self.client.crm.objects.batch_api.upsert, object_type, body
            )
            by_key = {r.properties.get(id_property): r for r in response.results}
            failed = _errors_by_id(response)
            return [
                _result(by_key.get(r[id_property]), failed.get(r[id_property]), created_flag=True)
                for r in batch
            ]

        return _in_batches(records, send)

    def update(self, object_type: str, records: list[dict[str, str]]) -> list[WriteResult]:
        def send(batch: list[dict[str, str]]) -> list[WriteResult]:
            body = BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(
                        id=r["id"], properties={k: v for k, v in r.items() if k != "id"}
                    )
                    for r in batch
                ]
            )
            response = self.call(
                f"{object_type}.batch.update", self.client.crm.objects.batch_api.update, object_type, body
            )
            by_id = {r.id: r for r in response.results}
            failed = _errors_by_id(response)
            return [_result(by_id.get(r["id"]), failed.get(r["id"])) for r in batch]

        return _in_batches(records, send)


def _in_batches(records: list[dict[str, str]], send: Any) -> list[WriteResult]:
    out: list[WriteResult] = []
    for start in range(0, len(records), BATCH):
        out += _isolating(records[start : start + BATCH], send)
    return out


def _isolating(batch: list[dict[str, str]], send: Any) -> list[WriteResult]:
    """HubSpot rejects a whole batch for one invalid value: split it until the offenders stand alone,
    so the rest of the batch still syncs and each failure keeps its own error."""
    try:
        return send(batch)
    except CrmError as err:
        if err.status != 400 and err.status != 409:
            raise
        if len(batch) == 1:
            return [WriteResult(None, False, error_code=_detail_code(err), error_message=err.message)]
        middle = len(batch) // 2
        return _isolating(batch[:middle], send) + _isolating(batch[middle:], send)


def _detail_code(err: CrmError) -> str:
    """HubSpot nests the precise reason (INVALID_OPTION, PROPERTY_DOESNT_EXIST ...) inside the message."""
    start = err.message.find("[")
    if err.code == "VALIDATION_ERROR" and start >= 0:
        try:
            details = json.loads(err.message[start:])
            if details and isinstance(details[0], dict) and details[0].get("error"):
                return str(details[0]["error"])
        except ValueError:
            pass
    return err.code


def _errors_by_id(response: Any) -> dict[str, Any]:
    failed: dict[str, Any] = {}
    for error in getattr(response, "errors", None) or []:
        for record_id in (error.context or {}).get("ids", []) or []:
            failed[str(record_id)] = error
    return failed


def _result(record: Any, error: Any, created_flag: bool = False) -> WriteResult:
    if record is not None:
        return WriteResult(
            str(record.id), True, created=bool(getattr(record, "new", False)) if created_flag else False
        )
    if error is not None:
        return WriteResult(None, False, error_code=error.category, error_message=error.message)
    return WriteResult(
        None, False, error_code="MISSING_RESULT", error_message="HubSpot returned no result for it"
    )
