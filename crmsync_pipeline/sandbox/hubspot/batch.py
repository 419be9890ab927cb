"""CRM v3 batch endpoints: read, create, update, upsert, archive (at most 100 inputs each).

Validation is all-or-nothing, as in HubSpot: one invalid property fails the whole batch with 400.
Missing records and injected per-record failures are reported per input in a 207. A read asking for
property history takes at most 50 inputs, and results come back in no particular order (settings
`history_read_max_inputs`, `batch_results_order`; docs/sandbox.md, "Batch answers").
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .http import bool_param, json_body, json_response, no_content
from .schema import ObjectType
from .validation import clean_properties

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

MAX_INPUTS = 100
HISTORY_LIMIT = "The maximum number of inputs supported in a batch request for property histories is {n}"


class BatchRoutes:
    """Handlers for `/crm/v3/objects/{type}/batch/*`."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self._order = random.Random(0)

    def add(self, router: web.UrlDispatcher) -> None:
        base = "/crm/v3/objects/{type}/batch/"
        router.add_post(base + "read", self.read)
        router.add_post(base + "create", self.create)
        router.add_post(base + "update", self.update)
        router.add_post(base + "upsert", self.upsert)
        router.add_post(base + "archive", self.archive)

    async def _inputs(self, request: web.Request) -> tuple[ObjectType, dict[str, Any], list[dict[str, Any]]]:
        otype = self.em.registry.resolve(request.match_info["type"])
        body = await json_body(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            raise errors.validation("Invalid input JSON: inputs must be an array")
        if len(inputs) > MAX_INPUTS:
            raise errors.validation(
                f"Too many inputs: {len(inputs)}; batch operations are limited to {MAX_INPUTS} inputs",
                context={"inputs": [str(len(inputs))]},
            )
        return otype, body, inputs

    def _answer(self, started: str, results: list, errs: list, success: int) -> web.Response:
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": self._ordered(results),
            "startedAt": started,
            "completedAt": iso_z(self.em.clock.now()),
        }
        if errs:
            body.update(numErrors=len(errs), errors=errs)
        return json_response(body, 207 if errs else success)

    def _ordered(self, results: list) -> list:
        """HubSpot promises no order: shuffled, and never left in input order when there are two or
        more, so a client that matches results by position fails every time rather than now and then."""
        if self.em.settings.batch_results_order == "input" or len(results) < 2:
            return results
        shuffled = list(results)
        self._order.shuffle(shuffled)
        if shuffled == results:
            shuffled = shuffled[1:] + shuffled[:1]
        return shuffled

    def _injected(self, otype: ObjectType, key: str, trace: str | None = None) -> dict[str, Any]:
        error = errors.batch_error(
            "INTERNAL_ERROR", f"Failed to process {otype.upper} {key}: internal error", [key]
        )
        if trace is not None:
            # a failed input that sent an objectWriteTraceId is named by it (observed on batch upsert
            # 207s by RudderStack's HubSpot destination: `context.objectWriteTraceId`)
            error["context"] = {"objectWriteTraceId": [trace]}
        return error

    def _traced(self, body: dict[str, Any], trace: str | None) -> dict[str, Any]:
        if trace is not None and self.em.settings.echo_object_write_trace_id:
            body["objectWriteTraceId"] = trace
        return body

    async def read(self, request: web.Request) -> web.Response:
        started = iso_z(self.em.clock.now())
        otype, body, inputs = await self._inputs(request)
        id_property, archived = body.get("idProperty"), bool_param(request, "archived")
        properties = body.get("properties") or None
        history = body.get("propertiesWithHistory") or None
        cap = self.em.settings.history_read_max_inputs
        if history and cap and len(inputs) > cap:
            raise errors.validation(HISTORY_LIMIT.format(n=cap))
        results, missing, errs = [], [], []
        for item in inputs:
            key = str(item.get("id", ""))
            if self.em.faults.record_fails():
                errs.append(self._injected(otype, key))
                continue
            record = self.em.records.find(otype, key, id_property, archived=archived)
            if record is None:
                missing.append(key)
            else:
                results.append(self.em.records.to_api(otype, record, properties, history))
        if missing:
            errs.insert(
                0,
                errors.batch_error(
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {otype.upper} objects, they may be deleted or not exist. "
                    "Check that ids are valid.",
                    missing,
                ),
            )
        return self._answer(started, results, errs, 200)

    async def create(self, request: web.Request) -> web.Response:
        started = iso_z(self.em.clock.now())
        otype, _, inputs = await self._inputs(request)
        routes = self.em.object_routes
        prepared = []
        for item in inputs:
            changes = clean_properties(self.em, otype, (item or {}).get("properties"), None)
            links = routes.parse_associations(otype, (item or {}).get("associations") or [])
            prepared.append((changes, links, _trace(item)))
        self._check_unique_within(otype, [c for c, _, _ in prepared], [None] * len(prepared))
        results, errs = [], []
        for index, (changes, links, trace) in enumerate(prepared):
            if self.em.faults.record_fails():
                errs.append(self._injected(otype, f"input {index}", trace))
                continue
            record = self.em.records.create(otype, changes, "INTEGRATION")
            for to_type, to_id, specs in links:
                self.em.associations.add(otype.type_id, record["id"], to_type, to_id, specs)
            results.append(self._traced(self.em.records.to_api(otype, record, list(changes)), trace))
        return self._answer(started, results, errs, 201)

    def _check_unique_within(self, otype: ObjectType, changes: list[dict], own_ids: list[str | None]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for index, (change, own) in enumerate(zip(changes, own_ids, strict=True)):
            self.em.records.conflicts(otype, change, own)
            for prop in self.em.registry.unique_properties(otype.type_id):
                value = change.get(prop)
                if value is None:
                    continue
                key = (prop, value.strip().lower() if prop == "email" else value)
                if key in seen:
                    raise errors.validation(
                        f"Duplicate value {value} for unique property {prop} in inputs "
                        f"{seen[key]} and {index}"
                    )
                seen[key] = index

    def _no_duplicate_ids(self, inputs: list[dict[str, Any]]) -> None:
        keys = [str(i.get("id", "")) for i in inputs]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise errors.validation(f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")

    async def update(self, request: web.Request) -> web.Response:
        started = iso_z(self.em.clock.now())
        otype, _, inputs = await self._inputs(request)
        self._no_duplicate_ids(inputs)
        found, missing, prepared = [], [], []
        for item in inputs:
            key = str(item.get("id", ""))
            record = self.em.records.find(otype, key, item.get("idProperty"))
            if record is None:
                missing.append(key)
                continue
            changes = clean_properties(self.em, otype, item.get("properties"), record["p"])
            prepared.append((key, record, changes))
        self._check_unique_within(otype, [c for _, _, c in prepared], [r["id"] for _, r, _ in prepared])
        errs = []
        for key, record, changes in prepared:
            if self.em.faults.record_fails():
                errs.append(self._injected(otype, key))
                continue
            updated = self.em.records.update(otype, record, changes, "INTEGRATION")
            found.append(self.em.records.to_api(otype, updated, list(changes)))
        if missing:
            errs.insert(
                0,
                errors.batch_error(
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {otype.upper} objects, they may be deleted or not exist. "
                    "Check that ids are valid.",
                    missing,
                ),
            )
        return self._answer(started, found, errs, 200)

    async def upsert(self, request: web.Request) -> web.Response:
        started = iso_z(self.em.clock.now())
        otype, _, inputs = await self._inputs(request)
        self._no_duplicate_ids(inputs)
        prepared = []
        for item in inputs:
            key, id_property = str(item.get("id", "")), item.get("idProperty")
            if not id_property or id_property not in self.em.registry.unique_properties(otype.type_id):
                raise errors.validation(
                    f"idProperty {id_property!r} is not a unique property of {otype.name}; "
                    "upsert needs email (contacts) or a property with hasUniqueValue"
                )
            record = self.em.records.find(otype, key, id_property)
            raw = dict(item.get("properties") or {})
            if record is None:
                raw.setdefault(id_property, key)
            changes = clean_properties(self.em, otype, raw, record["p"] if record else None)
            prepared.append((key, record, changes, _trace(item)))
        self._check_unique_within(
            otype, [c for _, _, c, _ in prepared], [r["id"] if r else None for _, r, _, _ in prepared]
        )
        results, errs = [], []
        for key, record, changes, trace in prepared:
            if self.em.faults.record_fails():
                errs.append(self._injected(otype, key, trace))
                continue
            if record is None:
                written = self.em.records.create(otype, changes, "INTEGRATION")
            else:
                written = self.em.records.update(otype, record, changes, "INTEGRATION")
            answer = {**self.em.records.to_api(otype, written, list(changes)), "new": record is None}
            results.append(self._traced(answer, trace))
        return self._answer(started, results, errs, 200)

    async def archive(self, request: web.Request) -> web.Response:
        otype, _, inputs = await self._inputs(request)
        for item in inputs:
            record = self.em.records.find(otype, str(item.get("id", "")), follow_merges=False)
            if record is not None:
                self.em.records.archive(otype, record)
        return no_content()


def _trace(item: Any) -> str | None:
    trace = item.get("objectWriteTraceId") if isinstance(item, dict) else None
    return str(trace) if trace is not None else None
