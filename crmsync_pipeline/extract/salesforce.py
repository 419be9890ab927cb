"""Extract Salesforce sObjects into `salesforce_<pair_name>_snapshot`: queryAll (deleted and merged rows
included) on every row the first time, through a Bulk API 2.0 query when the object is large, then
`queryAll ... WHERE SystemModstamp >= cursor` so later deletes and merges are seen too. Values are kept
as text in the form the REST API sends them, whichever API read them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simple_salesforce import format_soql

from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.cursors import ExtractStats, Incremental
from crmsync_pipeline.extract.salesforce_edit_times import remember_edit_times, remember_field_changes
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import quoted
from crmsync_pipeline.state.run_context import Clock, utc_now
from crmsync_pipeline.state.snapshots import ensure_snapshot

# A transaction may commit with a SystemModstamp just before our start; read a little further back.
SALESFORCE_OVERLAP = timedelta(seconds=5)
# Below this many rows REST pages (2,000 a call) beat a Bulk job (create, polls, results).
BULK_QUERY_THRESHOLD = 20_000
SALESFORCE_SYSTEM = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted", "LastModifiedById")
SALESFORCE_OPTIONAL_SYSTEM = ("MasterRecordId",)
NUMBER_TYPES = {"int", "double", "currency", "percent", "long"}


@db.held_open
def extract_salesforce_pair(
    state_path: Path,
    connector: SalesforceConnector,
    pair_name: str,
    sobjects: Mapping[str, list[str]],
    run_id: str,
    bulk_threshold: int = BULK_QUERY_THRESHOLD,
    clock: Clock = utc_now,
) -> ExtractStats:
    """Every sObject of a pair (e.g. Lead and Contact) into one snapshot table; stats summed. The state
    file stays open throughout (`held_open`): opening it costs ~15 ms and its first write after each
    open more, once per pair rather than per sObject."""
    total = ExtractStats()
    for sobject, fields in sobjects.items():
        total = total.add(
            extract_salesforce(
                state_path, connector, pair_name, sobject, fields, run_id, bulk_threshold, clock
            )
        )
    return total


@db.held_open
def extract_salesforce(
    state_path: Path,
    connector: SalesforceConnector,
    pair_name: str,
    sobject: str,
    fields: list[str],
    run_id: str,
    bulk_threshold: int = BULK_QUERY_THRESHOLD,
    clock: Clock = utc_now,
) -> ExtractStats:
    """One sObject into `salesforce_<pair_name>_snapshot` (rows tagged with `_sobject`); its cursor is
    `<pair_name>:<sobject>`. A no-change cycle costs one call (the describe comes from the connector's
    cache)."""
    table = f"salesforce_{pair_name}_snapshot"
    cursor = Incremental("salesforce", f"{pair_name}:{sobject}", SALESFORCE_OVERLAP)
    with cursor.window(state_path, connector.call.meter, run_id, clock) as window:
        types = connector.field_types(sobject)
        present, select = _select(sobject, fields, types)
        window.stats.missing_fields = sorted(set(fields) - set(present))
        with db.connect(state_path) as con:
            if ensure_snapshot(
                con,
                table,
                fields,
                ("_created_at", "_modified_at", "_system_modstamp"),
                ("_deleted",),
                extra_text=("_sobject", "_master_record_id", "_last_modified_by_id"),
            ):
                window.read_everything()
            window.keep_current(con, present)
        sizes: list[int] = []  # the query's total size, from its first page
        soql = _soql(sobject, select, window.since)
        pages = _pages(
            connector, soql, types, window.stats, bulk_threshold if window.since is None else None, sizes
        )
        seen: list[tuple[str, str | None, datetime | None]] = []  # who last changed each record, when

        def rows() -> Iterator[list[dict[str, Any]]]:
            for page in pages:
                batch = [_salesforce_row(r, sobject, fields, window.started, run_id) for r in page]
                seen.extend((r["id"], r["_last_modified_by_id"], r["_modified_at"]) for r in batch)
                yield batch

        window.write(
            state_path,
            table,
            rows(),
            then=lambda con: remember_edit_times(con, seen),  # with the last rows, in their transaction
            before=lambda con: remember_field_changes(con, table, present),  # before a page replaces them
            total=lambda: sizes[0] if sizes else None,
        )
    return window.stats


def _select(sobject: str, fields: list[str], types: dict[str, str]) -> tuple[list[str], list[str]]:
    """The mapped fields the org has, and the SOQL select list (Id, those fields, the system fields).
    A mapped field missing from the org (before `crmsync setup`) is left out, not fatal: `crmsync check`
    names it, and writes to it are stopped by preflight as INVALID_FIELD."""
    system = [f for f in SALESFORCE_SYSTEM + SALESFORCE_OPTIONAL_SYSTEM if f in types]
    present = [f for f in fields if f in types or ("." in f and f.split(".")[0] + "Id" in types)]
    select = ["Id", *dict.fromkeys(f for f in present if f not in system and f != "Id"), *system]
    for name in select:
        quoted(name)  # field names reach SOQL unquoted: only plain identifiers pass
    quoted(sobject)
    return present, select


def _soql(sobject: str, select: list[str], since: datetime | None) -> str:
    """Every row (queryAll includes deleted and merged ones), or those changed since `since`."""
    soql = f"SELECT {', '.join(select)} FROM {sobject}"
    if since is not None:
        soql += format_soql(" WHERE SystemModstamp >= {}", since.astimezone(UTC).replace(microsecond=0))
    return soql


def _pages(
    connector: SalesforceConnector,
    soql: str,
    types: dict[str, str],
    stats: ExtractStats,
    bulk_threshold: int | None,
    sizes: list[int],
) -> Iterator[list[dict[str, Any]]]:
    """REST pages; when the first page says the whole read is larger than `bulk_threshold`, the rest
    comes from one Bulk 2.0 query job instead (the first page is kept; rows are upserted by id).
    `sizes` receives the query's total size."""
    rest = connector.query_pages(soql, include_deleted=True, on_total_size=sizes.append)
    for page in rest:
        yield page
        if bulk_threshold is not None and sizes and sizes[0] > bulk_threshold and not stats.bulk:
            stats.bulk = True
            rest.close()
            for bulk_page in connector.bulk_query(soql, include_deleted=True):
                yield as_rest_values(bulk_page, types)
            return


def as_rest_values(rows: list[dict[str, str | None]], types: dict[str, str]) -> list[dict[str, Any]]:
    """Bulk CSV text in the shape REST JSON gives: booleans and numbers typed, datetimes as
    `2024-01-05T10:11:12.000+0000`, so a record reads the same whichever API fetched it."""
    out = []
    for row in rows:
        record: dict[str, Any] = {}
        for name, text in row.items():
            kind = types.get(name)
            if text is None:
                record[name] = None
            elif kind == "boolean":
                record[name] = text.lower() == "true"
            elif kind in NUMBER_TYPES:
                record[name] = float(text)
            elif kind == "datetime":
                record[name] = rest_datetime(text)
            else:
                record[name] = text
        out.append(record)
    return out


def rest_datetime(text: str) -> str:
    moment = parse_salesforce_time(text)
    assert moment is not None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _salesforce_row(
    record: dict[str, Any], sobject: str, fields: list[str], now: datetime, run_id: str
) -> dict[str, Any]:
    row = {"id": record["Id"], "_sobject": sobject}
    row.update({f: salesforce_text(_dig(record, f)) for f in fields})
    row.update(
        {
            "_created_at": parse_salesforce_time(record.get("CreatedDate")),
            "_modified_at": parse_salesforce_time(record.get("LastModifiedDate")),
            "_system_modstamp": parse_salesforce_time(record.get("SystemModstamp")),
            "_deleted": bool(record.get("IsDeleted")),
            "_master_record_id": record.get("MasterRecordId"),
            "_last_modified_by_id": record.get("LastModifiedById"),
            "_extracted_at": now,
            "_run_id": run_id,
        }
    )
    return row


def salesforce_text(value: Any) -> str | None:
    """Salesforce JSON values as text: booleans true/false, whole numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _dig(record: dict[str, Any], path: str) -> Any:
    if path in record:  # Bulk rows carry `Account.Name` as one key
        return record[path]
    value: Any = record
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def parse_salesforce_time(value: str | None) -> datetime | None:
    """`2024-01-05T10:11:12.000+0000` (REST), `...Z` or `...+00:00` as an aware datetime."""
    if not value:
        return None
    text = value[:-5] + value[-5:-2] + ":" + value[-2:] if value[-5] in "+-" and value[-3] != ":" else value
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
