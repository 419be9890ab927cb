"""Running a Bulk 2.0 ingest job: each CSV row is its own DML, with per-row success/failure."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..emulator import ApiError
from .bulk_csv import NULL_MARKER, read_rows, write_rows
from .errors import RecordError, SfError, batch_error, fail

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator


def process_ingest(org: SalesforceEmulator, job: dict[str, Any]) -> None:
    from .bulk2 import DATA, RESULTS

    data = org.store.get(DATA, job["id"]) or {"chunks": []}
    header: list[str] = []
    rows: list[list[str]] = []
    for chunk in data["chunks"]:
        h, r = read_rows(chunk, job["columnDelimiter"])
        if header and h and h != header:
            raise ApiError(
                400, "INVALIDBATCH", "InvalidBatch : All uploaded CSV files must have the same header"
            )
        header, rows = header or h, rows + r
    if not header:
        raise ApiError(400, "INVALIDBATCH", "InvalidBatch : No data was uploaded for this job")
    obj = org.records.object(job["object"])
    operation = job["operation"]
    columns = _columns(org, obj.name, header, operation)
    # a job that names an assignment rule runs it on every row, as the REST header naming a rule does; a job
    # without one runs none ("Create a Job", assignmentRuleId)
    org.assignment.choice = job.get("assignmentRuleId")
    try:
        ok_rows, failed_rows = _process_rows(org, job, obj.name, columns, rows)
    finally:
        org.assignment.choice = None
    org.stats.records_written += len(ok_rows)
    if org.settings.bulk_results_order == "shuffled":
        # Salesforce documents no order for result files; a client must match rows by content
        rng = random.Random(job["id"])
        rng.shuffle(ok_rows)
        rng.shuffle(failed_rows)
    delimiter, line_ending = job["columnDelimiter"], job["lineEnding"]
    org.store.put(
        RESULTS,
        f"{job['id']}:successful",
        {"csv": write_rows(["sf__Id", "sf__Created", *header], ok_rows, delimiter, line_ending)},
    )
    org.store.put(
        RESULTS,
        f"{job['id']}:failed",
        {"csv": write_rows(["sf__Id", "sf__Error", *header], failed_rows, delimiter, line_ending)},
    )
    org.store.put(
        RESULTS, f"{job['id']}:unprocessed", {"csv": write_rows(header, [], delimiter, line_ending)}
    )
    job.update(state="JobComplete", numberRecordsProcessed=len(rows), numberRecordsFailed=len(failed_rows))
    org.store.touch("_bulk_jobs", job["id"])


def _process_rows(
    org: SalesforceEmulator,
    job: dict[str, Any],
    sobject: str,
    columns: list[tuple[str, Any]],
    rows: list[list[str]],
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Each CSV row as its own DML: (successful rows, failed rows) of the result files, unshuffled."""
    operation, user = job["operation"], org.api_user_id
    ok_rows: list[list[Any]] = []
    failed_rows: list[list[Any]] = []
    for raw in rows:
        raw = raw + [""] * (len(columns) - len(raw))
        given_id = next((raw[i] for i, c in enumerate(columns) if c == ("Id", None)), "")
        try:
            if org.faults.record_fails():
                raise fail(
                    "UNABLE_TO_LOCK_ROW",
                    f"unable to obtain exclusive access to this record or 1 records: {given_id}",
                    [],
                )
            body = _body(org, columns, raw)
            rid, created = _apply(org, sobject, operation, job.get("externalIdFieldName"), body, user)
            ok_rows.append([rid, "true" if created else "false", *raw])
        except RecordError as err:
            error = batch_error(err.first, org.settings.missing_id_error)
            failed_rows.append([given_id if operation != "insert" else "", _cell(error), *raw])
    return ok_rows, failed_rows


def _cell(err: SfError) -> str:
    return err.bulk_cell()


def _columns(
    org: SalesforceEmulator, obj_name: str, header: list[str], operation: str
) -> list[tuple[str, Any]]:
    """(field, None) for plain columns; (reference field, (target object, external field)) for
    `Account.CrmSync_HubSpot_Id__c`-style parent lookups."""
    obj = org.schema.objects[obj_name]
    out: list[tuple[str, Any]] = []
    for name in header:
        if operation in ("delete", "hardDelete") and name.lower() != "id":
            raise ApiError(400, "INVALIDBATCH", f"InvalidBatch : Field name not found : {name}")
        if "." in name:
            rel_name, _, ext = name.partition(".")
            rel = obj.relationship(rel_name)
            target = org.schema.get(rel.reference_to[0]) if rel else None
            ext_field = target.field(ext) if target else None
            if (
                rel is None
                or target is None
                or ext_field is None
                or not (ext_field.external_id or ext_field.id_lookup)
            ):
                raise ApiError(400, "INVALIDBATCH", f"InvalidBatch : Field name not found : {name}")
            out.append((rel.name, (target.name, ext_field.name)))
            continue
        f = obj.field(name)
        if f is None:
            raise ApiError(400, "INVALIDBATCH", f"InvalidBatch : Field name not found : {name}")
        out.append((f.name, None))
    return out


def _body(org: SalesforceEmulator, columns: list[tuple[str, Any]], raw: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for (name, lookup), value in zip(columns, raw, strict=False):
        if value == "":
            continue  # an empty cell leaves the field unchanged
        if value == NULL_MARKER:
            body[name] = None
            continue
        if lookup is not None:
            target, ext = lookup
            matches = org.records.find(target, ext, value)
            if len(matches) != 1:
                raise fail(
                    "INVALID_FIELD",
                    f"Foreign key external ID: {value} not found for field {ext} in entity {target}",
                    [],
                )
            value = matches[0]
        body[name] = value
    return body


def _apply(
    org: SalesforceEmulator, obj: str, operation: str, ext: str | None, body: dict[str, Any], user: str
) -> tuple[str, bool]:
    records = org.records
    if operation == "insert":
        return records.insert(obj, body, user, csv=True), True
    if operation in ("update", "delete", "hardDelete"):
        rid = body.pop("Id", None)
        if not rid:
            raise fail("MISSING_ARGUMENT", "Id not specified in an update call", [])
        if operation == "update":
            return records.update(obj, rid, body, user, csv=True), False
        return records.delete(obj, rid, hard=operation == "hardDelete"), False
    assert ext is not None
    value = body.pop(ext, None)
    if ext == "Id":
        return records.upsert(obj, "Id", value, body, user, csv=True)
    if value is None:
        raise fail("MISSING_ARGUMENT", f"{ext} not specified", [])
    return records.upsert(obj, ext, value, body, user, csv=True)
