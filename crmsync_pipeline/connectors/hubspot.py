"""HubSpot through `hubspot-api-client`: reads page by page, writes in batches of 100, every call
counted by the CrmCaller. Records come back as plain dicts (the client model's `to_dict()`: snake_case
keys, `properties` as strings or None, datetimes parsed); writes answer one `WriteResult` per input, in
input order, keeping HubSpot's own error category."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)

from .calls import CallMeter, CrmCaller
from .clients import hubspot_client
from .errors import CrmError
from .hubspot_batches import BATCH, Properties, created_in_order, errors_by_id, in_batches, write_result
from .outcome import WriteResult
from .settings import HubSpotSettings

PAGE = 100  # list endpoint maximum
SEARCH_PAGE = 200  # search maximum
SEARCH_CAP = 10_000  # HubSpot answers 400 past 10,000 results of one search
ASSOCIATION_READ_BATCH = 1_000  # v4 batch read limit since 2025-02
MEMBERSHIP_PAGE = 250  # Lists v3 memberships maximum
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tasks": "0-27"}


def last_modified_property(object_type: str) -> str:
    return "lastmodifieddate" if object_type in ("contacts", "0-1") else "hs_lastmodifieddate"


class HubSpotConnector:
    """Every HubSpot call the pipeline makes. Route names (`contacts.list`, `deals.batch.upsert` ...)
    are what the CallMeter counts."""

    crm = "hubspot"

    def __init__(self, settings: HubSpotSettings, meter: CallMeter, **caller_options: Any):
        self.client = hubspot_client(settings.access_token.get_secret_value(), settings.base_url)
        self.call = CrmCaller("hubspot", meter, **caller_options)

    # reads -------------------------------------------------------------------------------------
    def list_pages(
        self, object_type: str, properties: list[str], archived: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record (or, with archived=True, only the archived ones), 100 a call."""
        after = None
        while True:
            page = self.call(
                f"{object_type}.list",
                self.client.crm.objects.basic_api.get_page,
                object_type,
                limit=PAGE,
                after=after,
                properties=properties,
                archived=archived,
            )
            yield [r.to_dict() for r in page.results]
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

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
                page = self.call(
                    f"{object_type}.search",
                    self.client.crm.objects.search_api.do_search,
                    object_type,
                    _modified_since(modified, anchor, properties, after),
                )
                records = [r.to_dict() for r in page.results]
                fresh = [r for r in records if (r["id"], r["updated_at"]) not in seen]
                seen.update((r["id"], r["updated_at"]) for r in records)
                if fresh:
                    yield fresh
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

    def batch_read(
        self,
        object_type: str,
        ids: list[str],
        properties: list[str],
        with_history: list[str] | None = None,
        id_property: str | None = None,
    ) -> list[dict[str, Any]]:
        """The records that exist among `ids` (100 a call); missing ones are left out. With
        `with_history`, each record carries `properties_with_history` for those properties."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            body = BatchReadInputSimplePublicObjectId(
                inputs=[SimplePublicObjectId(id=i) for i in ids[start : start + BATCH]],
                properties=properties,
                properties_with_history=with_history,
                id_property=id_property,
            )
            route = f"{object_type}.batch.read" + (".history" if with_history else "")
            response = self.call(route, self.client.crm.objects.batch_api.read, object_type, body)
            found += [_plain(r) for r in response.results]
        return found

    def property_times(
        self, object_type: str, ids: list[str], properties: list[str]
    ) -> dict[tuple[str, str], datetime]:
        """When each property of each record last changed (from property history; 100 records a call)."""
        out: dict[tuple[str, str], datetime] = {}
        for record in self.batch_read(object_type, ids, properties, with_history=properties):
            for name, versions in (record.get("properties_with_history") or {}).items():
                if versions:
                    out[(str(record["id"]), name)] = max(v["timestamp"] for v in versions)
        return out

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> list[tuple[str, str, list[int]]]:
        """(from id, to id, association type ids) for every association of `ids` (1,000 ids a call;
        a record with more associations than one page holds is followed with its own `after`)."""
        out: list[tuple[str, str, list[int]]] = []
        pending = [(i, None) for i in ids]
        while pending:
            chunk, pending = pending[:ASSOCIATION_READ_BATCH], pending[ASSOCIATION_READ_BATCH:]
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i, after=after) for i, after in chunk]
            )
            page = self.call(
                f"associations.{from_type}.{to_type}.read",
                self.client.crm.associations.v4.batch_api.get_page,
                from_type,
                to_type,
                body,
            )
            for result in page.results:
                from_id = str(result._from.id)
                out += [
                    (from_id, str(to.to_object_id), [t.type_id for t in to.association_types])
                    for to in result.to
                ]
                if result.paging is not None and result.paging.next is not None:
                    pending.append((from_id, result.paging.next.after))
        return out

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

    def create_property(self, object_type: str, definition: dict[str, Any]) -> dict[str, Any]:
        created = self.call(
            f"{object_type}.properties.create",
            self.client.crm.properties.core_api.create,
            object_type,
            definition,
        )
        return created.to_dict()

    def pipelines(self, object_type: str) -> dict[str, list[str]]:
        """Pipeline id -> its stage ids, in display order."""
        page = self.call(
            f"{object_type}.pipelines", self.client.crm.pipelines.pipelines_api.get_all, object_type
        )
        return {
            p.id: [s.id for s in sorted(p.stages, key=lambda s: s.display_order or 0)] for p in page.results
        }

    def find_list(self, object_type: str, list_ref: str) -> dict[str, Any] | None:
        """The list of this object type named `list_ref` (HubSpot compares names case-insensitively),
        else the list with that ILS id; None when there is neither. One call, two for an all-digit ref."""
        type_id = OBJECT_TYPE_IDS.get(object_type, object_type)
        lists = self.client.crm.lists.lists_api
        lookups = [("lists.by_name", lambda: lists.get_by_name(list_ref, type_id))]
        if list_ref.isdigit():
            lookups.append(("lists.get", lambda: lists.get_by_id(list_ref)))
        for route, fetch in lookups:
            try:
                found = self.call(route, fetch).list.to_dict()
            except CrmError as err:
                if err.status == 404:
                    continue
                raise
            if not type_id.startswith("0-") or found.get("object_type_id") == type_id:
                return found
        return None

    def list_member_pages(self, list_id: str) -> Iterator[list[str]]:
        """The record ids of a list's members, 250 a call (the memberships maximum)."""
        after = None
        while True:
            page = self.call(
                "lists.memberships",
                self.client.crm.lists.memberships_api.get_page,
                list_id,
                after=after,
                limit=MEMBERSHIP_PAGE,
            )
            yield [str(m.record_id) for m in page.results or []]
            if page.paging is None or page.paging.next is None:
                return
            after = page.paging.next.after

    def first_record(self, object_type: str) -> list[dict[str, Any]]:
        """One record of a type (an access probe: 403 MISSING_SCOPES when the token may not read it)."""
        page = self.call(
            f"{object_type}.list", self.client.crm.objects.basic_api.get_page, object_type, limit=1
        )
        return [r.to_dict() for r in page.results]

    # writes ------------------------------------------------------------------------------------
    def batch_upsert(
        self, object_type: str, inputs: list[Properties], id_property: str, isolate_rejects: bool = True
    ) -> list[WriteResult]:
        """Create-or-update keyed on a unique property (each input holds its value), so a repeated
        create finds its record. `created` is HubSpot's `new`."""

        def send(batch: list[Properties]) -> list[WriteResult]:
            body = BatchInputSimplePublicObjectBatchInputUpsert(
                inputs=[
                    SimplePublicObjectBatchInputUpsert(
                        id=str(r[id_property]), id_property=id_property, properties=_strings(r)
                    )
                    for r in batch
                ]
            )
            response = self.call(
                f"{object_type}.batch.upsert", self.client.crm.objects.batch_api.upsert, object_type, body
            )
            normal = _unique_key(id_property)
            by_key = {normal(r.properties.get(id_property)): r for r in response.results}
            failed = errors_by_id(response, normal)
            return [
                write_result(
                    by_key.get(normal(r[id_property])), failed.get(normal(r[id_property])), upsert=True
                )
                for r in batch
            ]

        return in_batches(inputs, send, isolate_rejects)

    def batch_update(
        self, object_type: str, inputs: list[Properties], isolate_rejects: bool = True
    ) -> list[WriteResult]:
        """Each input is `{"id": record id, <property>: value ...}`; "" clears a value."""

        def send(batch: list[Properties]) -> list[WriteResult]:
            body = BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(
                        id=str(r["id"]), properties=_strings({k: v for k, v in r.items() if k != "id"})
                    )
                    for r in batch
                ]
            )
            response = self.call(
                f"{object_type}.batch.update", self.client.crm.objects.batch_api.update, object_type, body
            )
            by_id = {str(r.id): r for r in response.results}
            failed = errors_by_id(response, str)
            return [write_result(by_id.get(str(r["id"])), failed.get(str(r["id"]))) for r in batch]

        return in_batches(inputs, send, isolate_rejects)

    def batch_create(
        self, object_type: str, inputs: list[Properties], isolate_rejects: bool = True
    ) -> list[WriteResult]:
        """Plain creates (prefer batch_upsert where a unique key exists: a retried create duplicates)."""

        def send(batch: list[Properties]) -> list[WriteResult]:
            body = BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[
                    SimplePublicObjectBatchInputForCreate(
                        properties=_strings(r), associations=[], object_write_trace_id=str(n)
                    )
                    for n, r in enumerate(batch)
                ]
            )
            response = self.call(
                f"{object_type}.batch.create", self.client.crm.objects.batch_api.create, object_type, body
            )
            return created_in_order(batch, response)

        return in_batches(inputs, send, isolate_rejects)

    def batch_archive(self, object_type: str, ids: list[str]) -> list[WriteResult]:
        """Move records to the recycle bin. HubSpot answers 204 without detail (unknown ids included)."""
        out: list[WriteResult] = []
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            body = BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=i) for i in chunk])
            self.call(
                f"{object_type}.batch.archive", self.client.crm.objects.batch_api.archive, object_type, body
            )
            out += [WriteResult(str(i), True) for i in chunk]
        return out

    def upsert(self, object_type: str, id_property: str, records: list[Properties]) -> list[WriteResult]:
        """batch_upsert with the key first (the apply stage's signature)."""
        return self.batch_upsert(object_type, records, id_property)

    def update(self, object_type: str, records: list[Properties]) -> list[WriteResult]:
        return self.batch_update(object_type, records)

    def create_associations(self, from_type: str, to_type: str, pairs: list[tuple[str, str, int]]) -> int:
        """Associate (from id, to id, HUBSPOT_DEFINED type id) pairs, 100 a call; returns how many
        HubSpot confirmed."""
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


def _modified_since(
    modified: str, anchor: datetime, properties: list[str], after: int
) -> PublicObjectSearchRequest:
    return PublicObjectSearchRequest(
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


def _plain(record: Any) -> dict[str, Any]:
    """`to_dict()` leaves the history entries (a dict of lists of models) as models."""
    out = record.to_dict()
    history = getattr(record, "properties_with_history", None)
    if history:
        out["properties_with_history"] = {
            name: [v.to_dict() if hasattr(v, "to_dict") else v for v in versions or []]
            for name, versions in history.items()
        }
    return out


def _strings(record: Properties) -> dict[str, str]:
    """HubSpot takes every value as a string and clears a value with ''."""
    return {k: "" if v is None else str(v) for k, v in record.items()}


def _unique_key(id_property: str) -> Callable[[Any], str]:
    """HubSpot stores emails lowercased; other unique values compare exactly."""
    if id_property == "email":
        return lambda v: str(v or "").strip().lower()
    return lambda v: str(v or "")
