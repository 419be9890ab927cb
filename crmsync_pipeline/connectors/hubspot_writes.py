"""HubSpot batch writes (upsert, update, create, archive) and association creates: 100 inputs a call,
several calls in flight at once when a caller hands over more than one batch (parallel.py), one
`WriteResult` per input in input order, keeping HubSpot's own error category. Bodies go as the JSON the
API takes and answers are read as JSON (hubspot_json.py): the client's models cost more CPU than the
calls' own time on large writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hubspot import HubSpot

from . import hubspot_json
from .calls import CrmCaller
from .hubspot_batches import BATCH, Properties, errors_by_id, in_batches, write_result
from .hubspot_results import MatchKey, SentInput, match_results
from .outcome import WriteResult
from .parallel import in_parallel


class HubSpotWrites:
    client: HubSpot
    call: CrmCaller
    parallel: int

    def _batch(self, route: str, method: Callable[..., Any], object_type: str, inputs: list[dict]) -> Any:
        response = self.call(route, method, object_type, {"inputs": inputs}, _preload_content=False)
        return hubspot_json.batch_response(hubspot_json.body(response))

    def batch_upsert(
        self, object_type: str, inputs: list[Properties], id_property: str, isolate_rejects: bool = True
    ) -> list[WriteResult]:
        """Create-or-update keyed on a unique property (each input holds its value), so a repeated
        create finds its record. `created` is HubSpot's `new`. Results are matched to inputs by that
        key (hubspot_results.py), never by position."""
        key = MatchKey(id_property, _unique_key(id_property))

        def send(batch: list[Properties]) -> list[WriteResult]:
            sent = _sent(batch)
            body = [
                {
                    "id": str(r[id_property]),
                    "idProperty": id_property,
                    "properties": s.properties,
                    "objectWriteTraceId": s.trace,
                }
                for r, s in zip(batch, sent, strict=True)
            ]
            response = self._batch(
                f"{object_type}.batch.upsert", self.client.crm.objects.batch_api.upsert, object_type, body
            )
            return match_results(sent, response, key, lambda r: write_result(r, None, upsert=True))

        return in_batches(inputs, send, isolate_rejects, self.parallel)

    def batch_update(
        self, object_type: str, inputs: list[Properties], isolate_rejects: bool = True
    ) -> list[WriteResult]:
        """Each input is `{"id": record id, <property>: value ...}`; "" clears a value."""

        def send(batch: list[Properties]) -> list[WriteResult]:
            body = [
                {"id": str(r["id"]), "properties": _strings({k: v for k, v in r.items() if k != "id"})}
                for r in batch
            ]
            response = self._batch(
                f"{object_type}.batch.update", self.client.crm.objects.batch_api.update, object_type, body
            )
            by_id = {str(r.id): r for r in response.results}
            failed = errors_by_id(response, str)
            return [write_result(by_id.get(str(r["id"])), failed.get(str(r["id"]))) for r in batch]

        return in_batches(inputs, send, isolate_rejects, self.parallel)

    def batch_create(
        self,
        object_type: str,
        inputs: list[Properties],
        isolate_rejects: bool = True,
        key: str | None = None,
    ) -> list[WriteResult]:
        """Plain creates (prefer batch_upsert where a unique key exists: a retried create duplicates).
        HubSpot answers the new records in no particular order: each is matched to its input by `key`, a
        property every input sets to a value of its own (refused here otherwise), or without one by the
        values it was sent (hubspot_results.py)."""
        match = MatchKey(key, _unique_key(key)) if key is not None else None
        if match is not None:
            _check_unique(inputs, match)

        def send(batch: list[Properties]) -> list[WriteResult]:
            sent = _sent(batch)
            body = [
                {"properties": s.properties, "associations": [], "objectWriteTraceId": s.trace} for s in sent
            ]
            response = self._batch(
                f"{object_type}.batch.create", self.client.crm.objects.batch_api.create, object_type, body
            )
            return match_results(sent, response, match, lambda r: write_result(r, None))

        return in_batches(inputs, send, isolate_rejects, self.parallel)

    def batch_archive(self, object_type: str, ids: list[str]) -> list[WriteResult]:
        """Move records to the recycle bin. HubSpot answers 204 without detail (unknown ids included)."""

        def archive(chunk: list[str]) -> list[WriteResult]:
            body = {"inputs": [{"id": i} for i in chunk]}
            self.call(
                f"{object_type}.batch.archive", self.client.crm.objects.batch_api.archive, object_type, body
            )
            return [WriteResult.ok(str(i)) for i in chunk]

        chunks = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
        return [r for done in in_parallel(archive, chunks, self.parallel) for r in done]

    def upsert(self, object_type: str, id_property: str, records: list[Properties]) -> list[WriteResult]:
        """batch_upsert with the key first (the apply stage's signature)."""
        return self.batch_upsert(object_type, records, id_property)

    def update(self, object_type: str, records: list[Properties]) -> list[WriteResult]:
        return self.batch_update(object_type, records)

    def create_associations(self, from_type: str, to_type: str, pairs: list[tuple[str, str, int]]) -> int:
        """Associate (from id, to id, HUBSPOT_DEFINED type id) pairs, 100 a call; returns how many
        HubSpot confirmed."""
        return len(self.associate(from_type, to_type, pairs)[0])

    def associate(
        self, from_type: str, to_type: str, pairs: list[tuple[str, str, int]]
    ) -> tuple[set[tuple[str, str]], str | None]:
        """Associate (from id, to id, type id) pairs, 100 a call. Returns the (from, to) pairs HubSpot
        confirmed and the first error code: a 207 answer fails some pairs only, and a pair it did not
        confirm is not done."""

        def create(chunk: list[tuple[str, str, int]]) -> tuple[set[tuple[str, str]], str | None]:
            inputs = [
                {
                    "from": {"id": f},
                    "to": {"id": t},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
                }
                for f, t, type_id in chunk
            ]
            response = self.call(
                f"associations.{from_type}.{to_type}.create",
                self.client.crm.associations.v4.batch_api.create,
                from_type,
                to_type,
                {"inputs": inputs},
                _preload_content=False,
            )
            body = hubspot_json.body(response)
            done = {(str(r.get("fromObjectId")), str(r.get("toObjectId"))) for r in body.get("results") or []}
            codes = [
                str(e.get("category") or e.get("subCategory") or "ASSOCIATION_FAILED")
                for e in body.get("errors") or []
            ]
            return done, (codes[0] if codes else None)

        chunks = [pairs[start : start + BATCH] for start in range(0, len(pairs), BATCH)]
        confirmed: set[tuple[str, str]] = set()
        first_error: str | None = None
        for done, error in in_parallel(create, chunks, self.parallel):
            confirmed |= done
            first_error = first_error or error
        return confirmed, first_error


def _sent(batch: list[Properties]) -> list[SentInput]:
    """Each input's trace id (its place in this request) and its properties as HubSpot takes them."""
    return [SentInput(str(n), _strings(r)) for n, r in enumerate(batch)]


def _check_unique(inputs: list[Properties], key: MatchKey) -> None:
    seen: dict[str, int] = {}
    for n, record in enumerate(inputs):
        value = key.of(_strings(record))
        if value is None:
            raise ValueError(f"create input {n} has no value for its matching key {key.prop}")
        if value in seen:
            raise ValueError(f"create inputs {seen[value]} and {n} share the {key.prop} value {value!r}")
        seen[value] = n


def _strings(record: Properties) -> dict[str, str]:
    """HubSpot takes every value as a string and clears a value with ''."""
    return {k: "" if v is None else str(v) for k, v in record.items()}


def _unique_key(id_property: str) -> Callable[[Any], str]:
    """HubSpot stores emails lowercased; other unique values compare exactly."""
    if id_property == "email":
        return lambda v: str(v or "").strip().lower()
    return lambda v: str(v or "")
