"""Salesforce Bulk API 2.0: query jobs for large reads and ingest jobs for large writes, every HTTP
request of simple-salesforce's Bulk 2.0 client counted by the caller. A mixin of `SalesforceConnector`
(salesforce.py)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from simple_salesforce import Salesforce

from .bulk_csv import bulk_columns, bulk_csv, bulk_job_slices, ingest_results, parse_csv
from .calls import CrmCaller
from .errors import CrmError
from .outcome import WriteResult

BULK_DONE = {"JobComplete", "Failed", "Aborted"}
BULK_QUERY_PAGE = 50_000


class SalesforceBulk:
    """Bulk 2.0 jobs: created, uploaded or paged, and polled every `bulk_poll_s` at most."""

    sf: Salesforce
    call: CrmCaller
    bulk_poll_s: float

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
            code = "BULK_JOB_" + job["state"].upper()
            return [WriteResult.failed(None, code, message) for _ in records]
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
