"""Merging two records (contacts, companies, deals) and GDPR-deleting contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from .http import json_body, json_response, no_content
from .records import merged_table
from .schema import ObjectType

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


class MergeRoutes:
    """`POST /crm/v3/objects/{type}/merge` and `POST /crm/v3/objects/contacts/gdpr-delete`."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        router.add_post("/crm/v3/objects/{type}/merge", self.merge_route)
        router.add_post("/crm/v3/objects/{type}/gdpr-delete", self.gdpr_delete)

    async def merge_route(self, request: web.Request) -> web.Response:
        otype = self.em.registry.resolve(request.match_info["type"])
        body = await json_body(request)
        survivor = self.merge(
            otype, str(body.get("primaryObjectId", "")), str(body.get("objectIdToMerge", ""))
        )
        return json_response(self.em.records.to_api(otype, survivor))

    def merge(
        self, otype: ObjectType, primary_id: str, other_id: str, source: str = "MERGE"
    ) -> dict[str, Any]:
        if not otype.mergeable:
            raise errors.validation(f"Merging is not supported for {otype.name}")
        if primary_id == other_id:
            raise errors.validation("Cannot merge an object with itself")
        records = self.em.records
        primary = records.find(otype, primary_id, follow_merges=False)
        other = records.find(otype, other_id, follow_merges=False)
        if primary is None or other is None:
            raise errors.not_found(
                f"Could not find {otype.singular} {primary_id if primary is None else other_id}"
            )
        skip = {*otype.always_props, "hs_merged_object_ids", "hs_object_id", "hs_additional_emails"}
        skip |= set(self.em.registry.unique_properties(otype.type_id))
        fill = {k: v for k, v in other["p"].items() if k not in skip and primary["p"].get(k) is None}
        merged_ids = [
            i for r in (primary, other) for i in (r["p"].get("hs_merged_object_ids") or "").split(";") if i
        ]
        if otype.type_id == "0-1" and other["p"].get("email"):
            extra = [e for e in (primary["p"].get("hs_additional_emails") or "").split(";") if e]
            fill["hs_additional_emails"] = ";".join([*extra, other["p"]["email"]])
        records.purge_for_merge(otype, other)
        if self.em.settings.merge_assigns_new_id:
            changes = {k: v for k, v in primary["p"].items() if k not in otype.always_props}
            changes |= fill
            changes["hs_merged_object_ids"] = ";".join([*merged_ids, primary_id, other_id])
            survivor = records.create(otype, changes, source)
            records.purge_for_merge(otype, primary)
            self.em.associations.move_all(otype.type_id, primary_id, survivor["id"])
            self.em.associations.move_all(otype.type_id, other_id, survivor["id"])
            self._redirect(otype, [primary_id, other_id], survivor["id"])
            return survivor
        fill["hs_merged_object_ids"] = ";".join([*merged_ids, other_id])
        self.em.associations.move_all(otype.type_id, other_id, primary_id)
        self._redirect(otype, [other_id], primary_id)
        return records.update(otype, primary, fill, source)

    def _redirect(self, otype: ObjectType, old_ids: list[str], survivor_id: str) -> None:
        table_name = merged_table(otype.type_id)
        table = self.em.store.table(table_name)
        for key, entry in list(table.items()):
            if entry["survivor"] in old_ids:
                self.em.store.put(table_name, key, {"survivor": survivor_id})
        for old in old_ids:
            self.em.store.put(table_name, old, {"survivor": survivor_id})

    async def gdpr_delete(self, request: web.Request) -> web.Response:
        otype = self.em.registry.resolve(request.match_info["type"])
        if otype.type_id != "0-1":
            raise errors.validation("GDPR delete is only available for contacts")
        body = await json_body(request)
        key, id_property = str(body.get("objectId", "")), body.get("idProperty")
        records = self.em.records
        record = records.find(otype, key, id_property, follow_merges=False) or records.find(
            otype, key, id_property, archived=True, follow_merges=False
        )
        if record is None:
            raise errors.not_found()
        records.purge(otype, record)
        return no_content()
