"""Associations v4 endpoints and the v3 `?associations=` embedding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .association_store import Spec
from .http import int_param, json_body, json_response, no_content
from .schema import ObjectType

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

MAX_BATCH_READ = 1_000
MAX_BATCH_WRITE = 2_000  # [?] HubSpot documents no number for writes


class AssociationRoutes:
    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        one = "/crm/v4/objects/{type}/{id}/associations"
        router.add_get(one + "/{to}", self.list_for_record)
        router.add_put(one + "/default/{to}/{to_id}", self.put_default)
        router.add_put(one + "/{to}/{to_id}", self.put_labelled)
        router.add_delete(one + "/{to}/{to_id}", self.delete_pair)
        batch = "/crm/v4/associations/{type}/{to}"
        router.add_get(batch + "/labels", self.labels)
        router.add_post(batch + "/batch/read", self.batch_read)
        router.add_post(batch + "/batch/create", self.batch_create)
        router.add_post(batch + "/batch/associate/default", self.batch_default)
        router.add_post(batch + "/batch/archive", self.batch_archive)
        router.add_post(batch + "/batch/labels/archive", self.batch_labels_archive)

    def _types(self, request: web.Request) -> tuple[ObjectType, ObjectType]:
        reg = self.em.registry
        return reg.resolve(request.match_info["type"]), reg.resolve(request.match_info["to"])

    def _spec_out(self, a: ObjectType, b: ObjectType, spec: Spec) -> dict[str, Any]:
        return {
            "category": spec[0],
            "typeId": spec[1],
            "label": self.em.associations.label_of(a.type_id, b.type_id, spec[1]),
        }

    def _require(self, otype: ObjectType, record_id: str) -> None:
        if self.em.records.find(otype, record_id, follow_merges=False) is None:
            raise errors.not_found(f"{otype.singular} {record_id} does not exist")

    def _pair(self, a: ObjectType, a_id: str, b: ObjectType, b_id: str, specs: list[Spec]) -> dict[str, Any]:
        labels = [
            label for _, t in specs if (label := self.em.associations.label_of(a.type_id, b.type_id, t))
        ]
        return {
            "fromObjectTypeId": a.type_id,
            "fromObjectId": a_id,
            "toObjectTypeId": b.type_id,
            "toObjectId": b_id,
            "labels": labels,
        }

    def _parse_specs(self, items: Any) -> list[Spec]:
        if not isinstance(items, list) or not items:
            raise errors.validation("Expected a non-empty array of association specs")
        return [
            (str(i.get("associationCategory", "HUBSPOT_DEFINED")), int(i.get("associationTypeId", 0)))
            for i in items
        ]

    def _page(
        self, a: ObjectType, b: ObjectType, record_id: str, limit: int, after: str | None
    ) -> dict[str, Any]:
        found = self.em.associations.associated(a.type_id, record_id, b.type_id)
        start = int(after) if after and after.isdigit() else 0
        chunk = found[start : start + limit]
        body: dict[str, Any] = {
            "results": [
                {"toObjectId": int(oid), "associationTypes": [self._spec_out(a, b, s) for s in specs]}
                for oid, specs in chunk
            ]
        }
        if start + limit < len(found):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return body

    async def list_for_record(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        limit = int_param(request, "limit", 500, maximum=500)
        return json_response(self._page(a, b, request.match_info["id"], limit, request.query.get("after")))

    async def put_labelled(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        a_id, b_id = request.match_info["id"], request.match_info["to_id"]
        specs = self._parse_specs(await json_body(request))
        self._require(a, a_id)
        self._require(b, b_id)
        merged = self.em.associations.add(a.type_id, a_id, b.type_id, b_id, specs)
        return json_response(self._pair(a, a_id, b, b_id, merged), 201)

    def _default(self, a: ObjectType, a_id: str, b: ObjectType, b_id: str) -> dict[str, Any]:
        row = self.em.associations.default_type(a.type_id, b.type_id)
        self.em.associations.add(a.type_id, a_id, b.type_id, b_id, [(row["category"], row["typeId"])])
        return {
            "from": {"id": a_id},
            "to": {"id": b_id},
            "associationSpec": {"associationCategory": row["category"], "associationTypeId": row["typeId"]},
        }

    async def put_default(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        a_id, b_id = request.match_info["id"], request.match_info["to_id"]
        self._require(a, a_id)
        self._require(b, b_id)
        started = iso_z(self.em.clock.now())
        result = self._default(a, a_id, b, b_id)
        return json_response(
            {
                "status": "COMPLETE",
                "results": [result],
                "startedAt": started,
                "completedAt": iso_z(self.em.clock.now()),
            }
        )

    async def delete_pair(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        self.em.associations.remove(
            a.type_id, request.match_info["id"], b.type_id, request.match_info["to_id"]
        )
        return no_content()

    async def labels(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        rows = self.em.associations.types_between(a.type_id, b.type_id)
        return json_response(
            {
                "results": [
                    {"category": r["category"], "typeId": r["typeId"], "label": r["label"]} for r in rows
                ]
            }
        )

    async def _inputs(self, request: web.Request, maximum: int) -> list[dict[str, Any]]:
        body = await json_body(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            raise errors.validation("Invalid input JSON: inputs must be an array")
        if len(inputs) > maximum:
            raise errors.validation(f"Too many inputs: {len(inputs)}; the limit is {maximum}")
        return inputs

    def _answer(self, started: str, results: list, errs: list, success: int) -> web.Response:
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": iso_z(self.em.clock.now()),
        }
        if errs:
            body.update(numErrors=len(errs), errors=errs)
        return json_response(body, 207 if errs else success)

    async def batch_read(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        started, inputs = iso_z(self.em.clock.now()), await self._inputs(request, MAX_BATCH_READ)
        results, errs = [], []
        for item in inputs:
            record_id = str(item.get("id", ""))
            page = self._page(a, b, record_id, 500, item.get("after"))
            if not page["results"]:
                err = errors.batch_error(
                    "OBJECT_NOT_FOUND", f"No {b.singular} is associated with {a.singular} {record_id}.", []
                )
                err.update(
                    subCategory="crm.associations.NO_ASSOCIATIONS_FOUND",
                    context={"fromObjectId": [record_id], "toObjectType": [b.upper]},
                )
                errs.append(err)
                continue
            results.append(
                {
                    "from": {"id": record_id},
                    "to": page["results"],
                    **({"paging": page["paging"]} if "paging" in page else {}),
                }
            )
        return self._answer(started, results, errs, 200)

    def _missing(self, a: ObjectType, a_id: str, b: ObjectType, b_id: str) -> dict[str, Any] | None:
        for otype, rid in ((a, a_id), (b, b_id)):
            if self.em.records.find(otype, rid, follow_merges=False) is None:
                return errors.batch_error("OBJECT_NOT_FOUND", f"{otype.singular} {rid} does not exist", [rid])
        if self.em.faults.record_fails():
            return errors.batch_error(
                "INTERNAL_ERROR", f"Failed to associate {a_id} with {b_id}: internal error", [a_id]
            )
        return None

    async def batch_create(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        started, inputs = iso_z(self.em.clock.now()), await self._inputs(request, MAX_BATCH_WRITE)
        results, errs = [], []
        for item in inputs:
            a_id, b_id = (
                str((item.get("from") or {}).get("id", "")),
                str((item.get("to") or {}).get("id", "")),
            )
            specs = self._parse_specs(item.get("types"))
            problem = self._missing(a, a_id, b, b_id)
            if problem:
                errs.append(problem)
                continue
            merged = self.em.associations.add(a.type_id, a_id, b.type_id, b_id, specs)
            results.append(self._pair(a, a_id, b, b_id, merged))
        return self._answer(started, results, errs, 201)

    async def batch_default(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        started, inputs = iso_z(self.em.clock.now()), await self._inputs(request, MAX_BATCH_WRITE)
        results, errs = [], []
        for item in inputs:
            a_id, b_id = (
                str((item.get("from") or {}).get("id", "")),
                str((item.get("to") or {}).get("id", "")),
            )
            problem = self._missing(a, a_id, b, b_id)
            if problem:
                errs.append(problem)
                continue
            results.append(self._default(a, a_id, b, b_id))
        return self._answer(started, results, errs, 200)

    async def batch_archive(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        for item in await self._inputs(request, MAX_BATCH_WRITE):
            a_id = str((item.get("from") or {}).get("id", ""))
            for target in item.get("to") or []:
                self.em.associations.remove(a.type_id, a_id, b.type_id, str(target.get("id", "")))
        return no_content()

    async def batch_labels_archive(self, request: web.Request) -> web.Response:
        a, b = self._types(request)
        for item in await self._inputs(request, MAX_BATCH_WRITE):
            a_id, b_id = (
                str((item.get("from") or {}).get("id", "")),
                str((item.get("to") or {}).get("id", "")),
            )
            self.em.associations.remove(
                a.type_id, a_id, b.type_id, b_id, self._parse_specs(item.get("types"))
            )
        return no_content()


def embedded(em: HubSpotEmulator, otype: ObjectType, record_id: str, wanted: list[str]) -> dict[str, Any]:
    """The v3 `associations` block: one entry per label, keyed by the plural object name."""
    out: dict[str, Any] = {}
    for name in wanted:
        to = em.registry.maybe(name)
        if to is None:
            continue
        items = [
            {
                "id": oid,
                "type": em.associations.v3_name(otype.singular, to.singular, otype.type_id, to.type_id, t),
            }
            for oid, specs in em.associations.associated(otype.type_id, record_id, to.type_id)
            for _, t in specs
        ]
        if items:
            out[to.name] = {"results": items}
    return out
