"""HubSpot through `hubspot-api-client`: every call the pipeline makes, counted by the CrmCaller. Record
reads are in hubspot_reads.py, batch writes in hubspot_writes.py; this class joins them with the account's
metadata (owners, properties, pipelines, lists). Records come back as plain dicts (snake_case keys,
`properties` as strings or None, datetimes parsed); writes answer one `WriteResult` per input, in input
order, keeping HubSpot's own error category."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .calls import CallMeter, CrmCaller
from .clients import hubspot_client
from .errors import CrmError
from .hubspot_batches import BATCH, Properties
from .hubspot_reads import (
    ASSOCIATION_READ_BATCH,
    PAGE,
    SEARCH_CAP,
    SEARCH_PAGE,
    HubSpotRecordReads,
    last_modified_property,
)
from .hubspot_writes import HubSpotWrites
from .parallel import hubspot_parallel
from .settings import HubSpotSettings

MEMBERSHIP_PAGE = 250  # Lists v3 memberships maximum
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tasks": "0-27"}

__all__ = [
    "ASSOCIATION_READ_BATCH",
    "BATCH",
    "MEMBERSHIP_PAGE",
    "OBJECT_TYPE_IDS",
    "PAGE",
    "SEARCH_CAP",
    "SEARCH_PAGE",
    "HubSpotConnector",
    "Properties",
    "last_modified_property",
]


class HubSpotConnector(HubSpotRecordReads, HubSpotWrites):
    """Every HubSpot call the pipeline makes. Route names (`contacts.list`, `deals.batch.upsert` ...)
    are what the CallMeter counts. `parallel`: requests in flight at once when a call covers several
    batches (default env CRMSYNC_HUBSPOT_PARALLEL, else 4); the pacer keeps them inside the window."""

    crm = "hubspot"

    def __init__(
        self, settings: HubSpotSettings, meter: CallMeter, parallel: int | None = None, **caller_options: Any
    ):
        self.client = hubspot_client(settings.access_token.get_secret_value(), settings.base_url)
        self.call = CrmCaller("hubspot", meter, **caller_options)
        self.parallel = hubspot_parallel() if parallel is None else max(1, parallel)

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
