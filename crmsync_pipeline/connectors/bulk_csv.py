"""Bulk API 2.0 CSV: the upload file crmsync sends (`#N/A` clears a field, an empty cell leaves it),
job slicing under the upload limit, and matching the three result files back to the input records."""

from __future__ import annotations

import csv
import io
from typing import Any

from .outcome import WriteResult

BULK_NULL = "#N/A"  # an empty cell leaves a field unchanged; this marker clears it
MAX_UPLOAD_BYTES = 90 * 1024 * 1024  # Bulk 2.0 takes at most 100 MB of CSV per job


def bulk_columns(records: list[dict[str, Any]], operation: str) -> list[str]:
    """Every key any record has, in first-seen order (`id` spelled `Id`); deletes take `Id` alone."""
    if operation in ("delete", "hardDelete"):
        return ["Id"]  # Bulk 2.0 refuses any other column on deletes
    return list(dict.fromkeys("Id" if k == "id" else k for r in records for k in r))


def bulk_csv(records: list[dict[str, Any]], operation: str) -> tuple[str, list[str]]:
    """The upload CSV and its columns."""
    columns = bulk_columns(records, operation)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        row = {"Id" if k == "id" else k: v for k, v in record.items()}
        writer.writerow([_bulk_cell(row, c) for c in columns])
    return out.getvalue(), columns


def bulk_job_slices(records: list[dict[str, Any]], operation: str) -> list[tuple[int, int]]:
    """(start, end) slices of `records`, one Bulk 2.0 job each, every CSV under the upload limit."""
    columns = bulk_columns(records, operation)
    header = len(",".join(columns)) + 1
    slices, start, size = [], 0, header
    for index, record in enumerate(records):
        row = {"Id" if k == "id" else k: v for k, v in record.items()}
        line = sum(len(_bulk_cell(row, c).encode()) + 3 for c in columns)  # quotes and comma, at most
        if size + line > MAX_UPLOAD_BYTES and index > start:
            slices.append((start, index))
            start, size = index, header
        size += line
    if start < len(records):
        slices.append((start, len(records)))
    return slices


def _bulk_cell(row: dict[str, Any], column: str) -> str:
    if column not in row:
        return ""
    value = row[column]
    if value is None or value == "":
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_csv(text: str) -> list[dict[str, str | None]]:
    """Bulk CSV rows keyed by header; an empty cell (Salesforce's null) becomes None."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return []
    return [{h: (v if v != "" else None) for h, v in zip(header, row, strict=False)} for row in reader if row]


def ingest_results(
    records: list[dict[str, Any]], columns: list[str], files: dict[str, str]
) -> list[WriteResult]:
    """Match result rows to input records by the cells we uploaded (Salesforce echoes them and keeps no
    order across the three files); identical rows are interchangeable, so first come first served."""
    waiting: dict[tuple[str, ...], list[int]] = {}
    for index, record in enumerate(records):
        row = {"Id" if k == "id" else k: v for k, v in record.items()}
        waiting.setdefault(tuple(_bulk_cell(row, c) for c in columns), []).append(index)
    out: list[WriteResult | None] = [None] * len(records)

    def place(row: list[str], result: WriteResult) -> None:
        slots = waiting.get(tuple(row[: len(columns)]))
        if slots:
            out[slots.pop(0)] = result

    for kind, text in files.items():
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None) or []
        skip = 0 if kind == "unprocessedRecords" else 2
        for row in reader:
            if not row:
                continue
            if kind == "successfulResults":
                result = WriteResult.ok(row[0] or None, created=row[1].lower() == "true")
            elif kind == "failedResults":
                code, message, fields = _bulk_error(row[1])
                result = WriteResult.failed(row[0] or None, code, message, fields)
            else:
                result = WriteResult.failed(None, "UNPROCESSED", "not processed by the job")
            place(_in_order(header[skip:], row[skip:], columns), result)
    missing = WriteResult.failed(None, "MISSING_RESULT", "no result row for this record")
    return [r or missing for r in out]


def _in_order(header: list[str], row: list[str], columns: list[str]) -> list[str]:
    by_name = dict(zip(header, row, strict=False))
    return [by_name.get(c, "") for c in columns]


def _bulk_error(cell: str) -> tuple[str, str, tuple[str, ...]]:
    """`CODE:message:fields --` or `CODE:message:--` (the message may itself hold colons)."""
    code, _, rest = cell.partition(":")
    fields: tuple[str, ...] = ()
    if rest.endswith("--"):
        message, _, tail = rest[:-2].rstrip().rpartition(":")
        fields = tuple(f.strip() for f in tail.split(",") if f.strip())
        rest = message
    return code, rest, fields
