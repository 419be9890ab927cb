"""HubSpot creates and updates that carry associations (a lookup set or moved on the Salesforce side):
HubSpot keeps associations apart from properties, so a planned record is split into its property upsert
or update and the v4 association adds and removals, each batched across the records of the call. A
record fails when any part of its write fails, with that part's error code; the properties and
associations HubSpot took before another part failed are named in the failure (`applied`), so the audit
log calls them confirmed (and a create HubSpot took is linked: sql/write/apply_outcomes.sql)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hubspot.crm.associations.v4 import (
    BatchInputPublicAssociationMultiArchive,
    PublicAssociationMultiArchive,
    PublicObjectId,
)

from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import BATCH, HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.plan.lookups import ADD, REMOVE


def create_with_associations(
    connector: HubSpotConnector, object_name: str, key_field: str, records: list[dict[str, str]]
) -> list[WriteResult]:
    """Upsert the records on `key_field`, then give each new record its associations (`association:`
    keys). A record whose association HubSpot refused fails with that code, but HubSpot holds the record
    and its properties: the failure names them (and the associations it did take) as applied, so the
    record is linked and audited as HubSpot holds it, and the next run adds the association to the
    linked record, as an update."""
    properties = [{k: v for k, v in r.items() if not k.startswith(ADD)} for r in records]
    results = connector.upsert(object_name, key_field, properties)
    ids = [str(r.record_id) for r in results]
    wanted: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for i, (record, result) in enumerate(zip(records, results, strict=True)):
        if not (result.succeeded and result.record_id):
            continue
        for key, value in record.items():
            if key.startswith(ADD) and value:
                to_object, type_id = key.removeprefix(ADD).rsplit(":", 1)
                wanted[(to_object, int(type_id))].append((i, value))
    taken = {i: set(_properties_taken(properties[i], r)) for i, r in enumerate(results) if r.succeeded}
    for (to_object, type_id), items in wanted.items():
        pairs = [(ids[i], other, type_id) for i, other in items]
        _settle_taking(
            results,
            items,
            lambda p=pairs, t=to_object, w=items: fail_unconfirmed(
                results, w, connector.associate(object_name, t, p), ids
            ),
            lambda i, _other, key=f"{ADD}{to_object}:{type_id}": taken[i].add(key),
        )
    return [
        result.partly_applied(frozenset(taken[i])) if not result.succeeded and i in taken else result
        for i, result in enumerate(results)
    ]


def update_with_associations(
    connector: HubSpotConnector, object_name: str, records: list[dict[str, str]]
) -> list[WriteResult]:
    """`records` hold `id`, properties, and `association:` / `association-remove:` keys (lookups.py)."""
    properties = [{k: v for k, v in r.items() if not _is_association(k)} for r in records]
    results: list[WriteResult] = [WriteResult.ok(str(r["id"])) for r in records]
    with_properties = [i for i, p in enumerate(properties) if len(p) > 1]
    if with_properties:
        written = connector.update(object_name, [properties[i] for i in with_properties])
        for i, result in zip(with_properties, written, strict=True):
            results[i] = result
    ids = [str(r["id"]) for r in records]
    adds: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    removes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    keys: dict[tuple[str, int, str], str] = {}  # (object, record index, other id) -> the record's key
    for i, record in enumerate(records):
        if not results[i].succeeded:
            continue
        for key, value in record.items():
            if key.startswith(ADD) and value:
                to_object, type_id = key.removeprefix(ADD).rsplit(":", 1)
                adds[(to_object, int(type_id))].append((i, value))
                keys[(to_object, i, value)] = key
            elif key.startswith(REMOVE):
                to_object, _, other = key.removeprefix(REMOVE).split(":", 2)
                removes[to_object].append((i, other))
                keys[(to_object, i, other)] = key
    taken = {
        i: set(_properties_taken(properties[i], results[i])) for i in with_properties if results[i].succeeded
    }
    for (to_object, type_id), wanted in adds.items():
        pairs = [(records[i]["id"], other, type_id) for i, other in wanted]
        _settle_taking(
            results,
            wanted,
            lambda p=pairs, t=to_object, w=wanted: fail_unconfirmed(
                results, w, connector.associate(object_name, t, p), ids
            ),
            lambda i, other, t=to_object: taken.setdefault(i, set()).add(keys[(t, i, other)]),
        )
    for to_object, wanted in removes.items():
        # a record whose new association failed keeps its old one: it is never left with none
        wanted = [(i, other) for i, other in wanted if results[i].succeeded]
        pairs = [(records[i]["id"], other) for i, other in wanted]
        if pairs:
            _settle_taking(
                results,
                wanted,
                lambda p=pairs, t=to_object: archive_associations(connector, object_name, t, p),
                lambda i, other, t=to_object: taken.setdefault(i, set()).add(keys[(t, i, other)]),
            )
    return [
        result.partly_applied(frozenset(taken[i])) if not result.succeeded and taken.get(i) else result
        for i, result in enumerate(results)
    ]


def _properties_taken(written: dict[str, str], result: WriteResult) -> frozenset[str]:
    """The properties of a property update HubSpot took: those its answer shows (a property it left out
    was kept, not written: write/batch.py), or every one sent when the answer lists none."""
    sent = frozenset(k for k in written if k != "id")
    return sent if result.answered is None else sent & result.answered


def fail_unconfirmed(
    results: list[WriteResult],
    wanted: list[tuple[int, str]],
    answer: tuple[set[tuple[str, str]], str | None],
    ids: list[str] | None = None,
) -> None:
    """Mark failed the records (index, associated id) whose association HubSpot did not confirm."""
    confirmed, code = answer
    for i, other in wanted:
        record_id = ids[i] if ids is not None else results[i].record_id
        if (str(record_id), str(other)) not in confirmed:
            results[i] = WriteResult.failed(
                results[i].record_id,
                code or "ASSOCIATION_FAILED",
                f"HubSpot did not confirm the association with {other}",
            )


def archive_associations(
    connector: HubSpotConnector, from_type: str, to_type: str, pairs: list[tuple[str, str]]
) -> None:
    """Remove every association between each (from id, to id) pair, 100 pairs a call."""
    for start in range(0, len(pairs), BATCH):
        body = BatchInputPublicAssociationMultiArchive(
            inputs=[
                PublicAssociationMultiArchive(_from=PublicObjectId(id=f), to=[PublicObjectId(id=t)])
                for f, t in pairs[start : start + BATCH]
            ]
        )
        connector.call(
            f"associations.{from_type}.{to_type}.archive",
            connector.client.crm.associations.v4.batch_api.archive,
            from_type,
            to_type,
            body,
        )


def _settle_taking(results: list[WriteResult], wanted: list[tuple[int, str]], call: Any, took: Any) -> None:
    """Run one batched association call and fail the records it did not take; `took(i, other)` for each
    pair it did, so a record that fails in another part still names this one as applied."""
    before = list(results)
    try:
        call()
    except CrmError as err:
        if err.status is not None and err.status >= 500:
            raise  # the caller's retries are spent: the run stops and the next one tries again
        for i, _ in wanted:
            results[i] = WriteResult.failed(results[i].record_id, err.code, err.message)
        return
    for i, other in wanted:
        if results[i] is before[i]:  # this call did not fail the record: HubSpot confirmed the pair
            took(i, other)


def _is_association(key: str) -> bool:
    return key.startswith(ADD) or key.startswith(REMOVE)
