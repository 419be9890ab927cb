"""Salesforce through `simple-salesforce`: describe, SOQL pages, Bulk 2.0 queries and ingest, and writes
through sObject Collections (200 records a call), every HTTP request counted by the CrmCaller.

Every call resolves `self.sf` when it runs, so a retry after a session renewal (salesforce_auth.py,
OAuth client credentials, shared by the process) uses the new session. Values reach SOQL only through `format_soql`."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from simple_salesforce import Salesforce, format_soql

from .bulk_csv import bulk_columns, bulk_csv, bulk_job_slices, ingest_results, parse_csv
from .calls import CallMeter, CrmCaller
from .clients import SALESFORCE_API_VERSION, salesforce_session
from .errors import CrmError
from .outcome import WriteResult
from .salesforce_auth import SessionLease, can_log_in, client_credentials_login, settings_key
from .sessions import SHARED_SESSIONS, Session, SessionPool
from .settings import SalesforceSettings

COLLECTION = 200  # sObject Collections take at most 200 records
NUMBER_TYPES = {"int": int, "double": float, "currency": float, "percent": float, "long": int}
BULK_DONE = {"JobComplete", "Failed", "Aborted"}
BULK_QUERY_PAGE = 50_000
SOBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class SalesforceConnector:
    """Every Salesforce call the pipeline makes. Route names (`query`, `Contact.collection.upsert`,
    `bulk2.ingest.create` ...) are what the CallMeter counts."""

    crm = "salesforce"

    def __init__(
        self,
        settings: SalesforceSettings,
        meter: CallMeter,
        describe_cache: Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]] | None = None,
        bulk_poll_s: float = 1.0,
        sessions: SessionPool | None = None,
        run_id: str | None = None,
        **caller_options: Any,
    ):
        """`describe_cache(sobject, fetch)` may answer describes from a cache instead of calling fetch.
        With client credentials the session comes from `sessions` (default: the process's shared pool);
        connectors of one Dagster run (`run_id`) share one cap on session renewals."""
        self.settings = settings
        self.describe_cache = describe_cache
        self.bulk_poll_s = bulk_poll_s
        self.call = CrmCaller("salesforce", meter, **caller_options)
        self.call.limit_info = self.api_usage  # Sforce-Limit-Info feeds pacing and the budget
        self._describes: dict[str, dict[str, Any]] = {}
        static = (
            Session(settings.instance_url, settings.access_token.get_secret_value())
            if settings.access_token is not None and settings.instance_url
            else None
        )
        if can_log_in(settings):
            token_call = CrmCaller("salesforce", meter, **caller_options)
            pool = sessions or SHARED_SESSIONS
            lease = SessionLease(
                settings_key(settings),
                lambda: client_credentials_login(settings, token_call),
                pool,
                pool.renewals(run_id),
                self._adopt,
            )
            self.call.session = lease
            lease.start(static)
        elif static is not None:
            self._adopt(static)
        else:
            raise CrmError(
                "salesforce",
                "INVALID_SESSION_ID",
                "no Salesforce session: set SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN, or "
                "SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL",
            )

    # sessions ----------------------------------------------------------------------------------
    def _adopt(self, session: Session) -> None:
        self.sf = Salesforce(
            instance_url=session.instance_url,
            session_id=session.access_token,
            version=SALESFORCE_API_VERSION,
            session=salesforce_session(session.instance_url),
        )

    # reads -------------------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, Any]:
        if sobject not in self._describes:

            def fetch() -> dict[str, Any]:
                return self.call(f"{sobject}.describe", lambda: getattr(self.sf, sobject).describe())

            self._describes[sobject] = self.describe_cache(sobject, fetch) if self.describe_cache else fetch()
        return self._describes[sobject]

    def describe_global(self) -> dict[str, Any]:
        return self.call("describe.global", lambda: self.sf.describe())

    def forget_describes(self) -> None:
        self._describes.clear()

    def field_types(self, sobject: str) -> dict[str, str]:
        return {f["name"]: f["type"] for f in self.describe(sobject)["fields"]}

    def query_pages(
        self, soql: str, include_deleted: bool = False, on_total_size: Callable[[int], None] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """REST query (queryAll with include_deleted) following nextRecordsUrl: one call a page of up to
        2,000 records, each record as Salesforce sends it (with `attributes`). `on_total_size` hears the
        query's totalSize once the first page is in."""
        page = self.call(
            "queryAll" if include_deleted else "query",
            lambda: self.sf.query(soql, include_deleted=include_deleted),
        )
        if on_total_size is not None:
            on_total_size(int(page.get("totalSize") or 0))
        while True:
            yield page["records"]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            next_url = page["nextRecordsUrl"]
            page = self.call("queryMore", lambda u=next_url: self.sf.query_more(u, identifier_is_url=True))

    def count(self, sobject: str, include_deleted: bool = False) -> int:
        """`SELECT COUNT()` of an object (queryAll with include_deleted): one call."""
        if not SOBJECT_NAME.match(sobject):
            raise ValueError(f"not an sObject name: {sobject!r}")
        page = self.call(
            "queryAll" if include_deleted else "query",
            lambda: self.sf.query(f"SELECT COUNT() FROM {sobject}", include_deleted=include_deleted),
        )
        return int(page["totalSize"])

    def bulk_query(self, soql: str, include_deleted: bool = False) -> Iterator[list[dict[str, str | None]]]:
        """A Bulk API 2.0 query job: yields pages of rows as text keyed by CSV header (an empty cell is
        None). Costs create + polls + one call per 50,000 rows, so it pays off only on large reads."""
        operation = "queryAll" if include_deleted else "query"
        job = self.call("bulk2.query.create", lambda: self._bulk("Query").create_job(operation, query=soql))
        self._wait_for_job(job["id"], is_query=True)
        locator = ""
        while True:
            page = self.call(
                "bulk2.query.results",
                lambda loc=locator: self._bulk("Query").get_query_results(job["id"], loc, BULK_QUERY_PAGE),
            )
            rows = parse_csv(page["records"])
            if rows:
                yield rows
            locator = page["locator"]
            if not locator:
                return

    def users(self) -> list[dict[str, Any]]:
        soql = "SELECT Id, Email, Username, FirstName, LastName, IsActive FROM User"
        return [r for page in self.query_pages(soql) for r in page]

    def limits(self) -> dict[str, Any]:
        return self.call("limits", lambda: self.sf.limits())

    def api_usage(self) -> tuple[int, int] | None:
        """(used, allocation) from the last Sforce-Limit-Info header seen; no call is made."""
        usage = self.sf.api_usage.get("api-usage")
        return (usage.used, usage.total) if usage is not None else None

    def create_custom_field(self, full_name: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """A custom field through the Tooling API, e.g. `Contact.CrmSync_HubSpot_Id__c`."""
        return self.call(
            "tooling.CustomField.create",
            lambda: self.sf.toolingexecute(
                "sobjects/CustomField", method="POST", data={"FullName": full_name, "Metadata": metadata}
            ),
        )

    # writes through sObject Collections ----------------------------------------------------------
    def upsert(
        self, sobject: str, external_id_field: str, records: list[dict[str, Any]]
    ) -> list[WriteResult]:
        """Create-or-update keyed on an external id: a repeated create finds its record."""
        path = f"composite/sobjects/{sobject}/{external_id_field}"
        return self._collections(sobject, records, f"{sobject}.collection.upsert", path, "PATCH", upsert=True)

    def create(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Plain inserts, for objects without an external id (junctions): callers dedupe by natural key."""
        return self._collections(
            sobject, records, f"{sobject}.collection.create", "composite/sobjects", "POST"
        )

    def update(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Each record holds its `Id` (or `id`) and the fields to set; None clears a field."""
        return self._collections(
            sobject, records, f"{sobject}.collection.update", "composite/sobjects", "PATCH"
        )

    def delete(self, ids: list[str]) -> list[WriteResult]:
        """Soft deletes (Recycle Bin), 200 ids a call, any mix of objects."""
        out: list[WriteResult] = []
        for start in range(0, len(ids), COLLECTION):
            chunk = ids[start : start + COLLECTION]
            params = {"ids": ",".join(chunk), "allOrNone": "false"}
            answers = self.call(
                "collection.delete",
                lambda p=params: self.sf.restful("composite/sobjects", method="DELETE", params=p),
            )
            out += [_result(a, {"Id": i}, upsert=False) for a, i in zip(answers, chunk, strict=True)]
        return out

    def _collections(
        self,
        sobject: str,
        records: list[dict[str, Any]],
        route: str,
        path: str,
        method: str,
        upsert: bool = False,
    ) -> list[WriteResult]:
        types = self.field_types(sobject)
        out: list[WriteResult] = []
        for start in range(0, len(records), COLLECTION):
            chunk = [self.typed(sobject, r, types) for r in records[start : start + COLLECTION]]
            body = {"allOrNone": False, "records": chunk}
            answers = self.call(route, lambda b=body: self.sf.restful(path, method=method, json=b))
            out += [_result(a, r, upsert) for a, r in zip(answers, chunk, strict=True)]
        return out

    def typed(
        self, sobject: str, record: dict[str, Any], types: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Text values from the plan in the field's JSON type; None or '' clears the field."""
        types = types or self.field_types(sobject)
        body: dict[str, Any] = {"attributes": {"type": sobject}}
        for name, value in record.items():
            kind = types.get(name)
            if name == "id":
                name = "Id"
            if value is None or value == "":
                body[name] = None
            elif kind in NUMBER_TYPES:
                number = float(value)
                body[name] = int(number) if NUMBER_TYPES[kind] is int or number.is_integer() else number
            elif kind == "boolean":
                body[name] = str(value).lower() == "true"
            else:
                body[name] = value
        return body

    # Bulk API 2.0 ingest -----------------------------------------------------------------------
    def bulk_ingest(
        self,
        operation: str,
        sobject: str,
        records: list[dict[str, Any]],
        external_id_field: str | None = None,
        on_job_created: Callable[[str], None] | None = None,
    ) -> list[WriteResult]:
        """Bulk 2.0 ingest (insert, update, upsert, delete, hardDelete) for large writes; one WriteResult
        per record, in input order. One job per `bulk_job_slices` slice (a single job unless the CSV
        passes ~90 MB). `on_job_created(job_id)` runs BEFORE each upload so the caller can store the id
        and reconcile after a crash (`bulk_ingest_results`). None clears a field (`#N/A`); a key a
        record lacks leaves that field unchanged (empty cell)."""
        out: list[WriteResult] = []
        for start, end in bulk_job_slices(records, operation):
            out += self._ingest_job(operation, sobject, records[start:end], external_id_field, on_job_created)
        return out

    def _ingest_job(
        self,
        operation: str,
        sobject: str,
        records: list[dict[str, Any]],
        external_id_field: str | None,
        on_job_created: Callable[[str], None] | None,
    ) -> list[WriteResult]:
        text, _ = bulk_csv(records, operation)
        job = self.call(
            "bulk2.ingest.create",
            lambda: self._bulk(sobject).create_job(operation, external_id_field=external_id_field),
        )
        job_id = job["id"]
        if on_job_created is not None:
            on_job_created(job_id)
        try:
            self.call("bulk2.ingest.upload", lambda: self._bulk(sobject).upload_job_data(job_id, text))
            self.call("bulk2.ingest.close", lambda: self._bulk(sobject).close_job(job_id))
        except Exception:
            # Best effort: a job left Open is reconciled from its stored id.
            with contextlib.suppress(CrmError):
                self.call("bulk2.ingest.abort", lambda: self._bulk(sobject).abort_job(job_id, False))
            raise
        return self.bulk_ingest_results(sobject, job_id, records, operation)

    def bulk_ingest_results(
        self, sobject: str, job_id: str, records: list[dict[str, Any]], operation: str
    ) -> list[WriteResult]:
        """Wait for an ingest job and match its successful / failed / unprocessed rows to `records`
        (the job's slice of the input, as `bulk_job_slices` cut it)."""
        job = self._wait_for_job(job_id, is_query=False)
        if job["state"] != "JobComplete":
            message = str(job.get("errorMessage") or job["state"])
            return [WriteResult(None, False, error_code="BULK_JOB_" + job["state"].upper(), error_message=message)
                    for _ in records]  # fmt: skip
        files = {
            kind: self.call(
                f"bulk2.ingest.{kind}", lambda k=kind: self._bulk(sobject).get_ingest_results(job_id, k)
            )
            for kind in ("successfulResults", "failedResults", "unprocessedRecords")
        }
        return ingest_results(records, bulk_columns(records, operation), files)

    def _bulk(self, sobject: str) -> Any:
        # simple-salesforce's Bulk 2.0 client, one HTTP request a method, so each goes through the caller.
        return getattr(self.sf.bulk2, sobject)._client

    def _wait_for_job(self, job_id: str, is_query: bool) -> dict[str, Any]:
        kind = "query" if is_query else "ingest"
        delay = self.bulk_poll_s / 4
        while True:
            job = self.call(f"bulk2.{kind}.status", lambda: self._bulk("Job").get_job(job_id, is_query))
            if job["state"] in BULK_DONE:
                if is_query and job["state"] != "JobComplete":
                    raise CrmError(
                        "salesforce", "BULK_QUERY_" + job["state"].upper(), str(job.get("errorMessage"))
                    )
                return job
            time.sleep(delay)
            delay = min(self.bulk_poll_s, delay * 2)


def soql_in(field: str, values: list[str]) -> str:
    """A `field IN (...)` clause with every value quoted by simple-salesforce (no injection)."""
    return format_soql(f"{field} IN {{}}", values)


def _result(answer: dict[str, Any], record: dict[str, Any], upsert: bool) -> WriteResult:
    record_id = answer.get("id") or record.get("Id") or record.get("id")
    if answer.get("success"):
        return WriteResult(record_id, True, created=bool(answer.get("created", False)) if upsert else False)
    first = (answer.get("errors") or [{}])[0]
    return WriteResult(
        record_id,
        False,
        error_code=first.get("statusCode", "UNKNOWN"),
        error_message=first.get("message"),
        error_fields=tuple(first.get("fields") or ()),
    )
