"""Salesforce Bulk API 2.0: query jobs for large reads and ingest jobs for large writes, every HTTP
request of simple-salesforce's Bulk 2.0 client counted by the caller. A mixin of `SalesforceConnector`
(salesforce.py)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from simple_salesforce import format_soql
from simple_salesforce.util import call_salesforce

from .bulk_csv import bulk_columns, bulk_csv, bulk_job_slices, ingest_results, parse_csv
from .errors import CrmError
from .outcome import WriteResult
from .salesforce_reads import SalesforceReads
from .settings import SalesforceSettings

BULK_DONE = {"JobComplete", "Failed", "Aborted"}
BULK_QUERY_PAGE = 50_000
# objects assignment rules route ("Create a Job", assignmentRuleId: "for a Case or a Lead") and the
# operations that save records
ASSIGNABLE = frozenset({"Lead", "Case"})
SAVING = frozenset({"insert", "update", "upsert"})


class SalesforceBulk(SalesforceReads):
    """Bulk 2.0 jobs: created, uploaded or paged, and polled every `bulk_poll_s` at most."""

    settings: SalesforceSettings
    bulk_poll_s: float
    _assignment_rules: dict[str, str | None]

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
        rule = self.assignment_rule_id(sobject) if operation in SAVING else None
        job = self.call(
            "bulk2.ingest.create",
            lambda: self._create_ingest_job(sobject, operation, external_id_field, rule),
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

    def assignment_rule_id(self, sobject: str) -> str | None:
        """With the mapping's `salesforce.assignment_rules: true`, the org's active assignment rule for a Lead
        or Case job (one query per object, kept by the connector), so Bulk creates are routed as REST ones are:
        REST runs the active rule unless `Sforce-Auto-Assign: FALSE` is sent, whereas a Bulk 2.0 job runs
        a rule only when it names its id. None when rules are off, the object has none, or the org refuses."""
        if not self.settings.assignment_rules or sobject not in ASSIGNABLE:
            return None
        rules = self._assignment_rules
        if sobject not in rules:
            soql = format_soql(
                "SELECT Id FROM AssignmentRule WHERE SobjectType = {} AND Active = true LIMIT 1", sobject
            )
            try:
                rows = [r for page in self.query_pages(soql) for r in page]
            except CrmError:
                rows = []  # the user may not read AssignmentRule: the job runs no rule, as before
            rules[sobject] = str(rows[0]["Id"]) if rows else None
        return rules[sobject]

    def _create_ingest_job(
        self, sobject: str, operation: str, external_id_field: str | None, assignment_rule_id: str | None
    ) -> dict[str, Any]:
        client = self._bulk(sobject)
        if assignment_rule_id is None:
            return client.create_job(operation, external_id_field=external_id_field)
        # simple-salesforce's create_job has no assignmentRuleId: the same request, on the client's session
        payload = {"operation": operation, "object": sobject, "contentType": "CSV", "columnDelimiter": "COMMA",
                   "lineEnding": "LF", "assignmentRuleId": assignment_rule_id}  # fmt: skip
        if external_id_field:
            payload["externalIdFieldName"] = external_id_field
        answer = call_salesforce(
            url=client._construct_request_url(None, False),
            method="POST",
            session=client.session,
            headers=client._get_headers(client.JSON_CONTENT_TYPE, client.JSON_CONTENT_TYPE),
            data=json.dumps(payload),
        )
        return answer.json()

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
