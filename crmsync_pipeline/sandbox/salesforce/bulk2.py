"""Bulk API 2.0: ingest and query jobs. Jobs, uploaded data and results persist in the store, so a
restarted sandbox still answers about a job (and finishes one that was mid-flight)."""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

from ..clock import sf_datetime
from ..emulator import ApiError
from . import ids
from .bulk_csv import DELIMITERS, LINE_ENDINGS, cell, path_value, read_rows, write_rows
from .bulk_ingest import process_ingest
from .rest import Call, Reply, RouteTable

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

JOBS, DATA, RESULTS = "_bulk_jobs", "_bulk_data", "_bulk_results"
INGEST_OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete"}
RESULT_KINDS = {
    "successfulresults": "successful",
    "failedresults": "failed",
    "unprocessedrecords": "unprocessed",
}
TERMINAL = {"JobComplete", "Failed", "Aborted"}
# Salesforce's words when the user lacks the "Bulk API Hard Delete" permission (Data Loader's source
# matches on them; seen live through jsforce as FeatureNotEnabled)
HARD_DELETE_REFUSED = (
    "hardDelete operation requires special user profile permission, please contact your system administrator"
)


# Keys of an ingest job's info that a query job's lacks (Bulk API 2.0 guide, "Get Information About a Query
# Job": id ... numberRecordsProcessed, retries, totalProcessingTime; no failure counter, no Apex times, and
# the SOQL is not echoed)
INGEST_ONLY = frozenset({"numberRecordsFailed", "apiActiveProcessingTime", "apexProcessingTime", "query"})


def public(job: dict[str, Any]) -> dict[str, Any]:
    """The job info as the API answers it: internal keys (`_...`) dropped, and for query jobs the keys
    only ingest jobs document."""
    hidden = INGEST_ONLY if job.get("jobType") == "V2Query" else frozenset()
    return {k: v for k, v in job.items() if not k.startswith("_") and k not in hidden}


class BulkJobs:
    """Handlers for `/jobs/ingest...` and `/jobs/query...`."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org
        self._scheduled: set[str] = set()
        self._generation = 0  # bumped on reset: timers armed before a reset must not run new jobs

    def forget(self) -> None:
        self._scheduled.clear()
        self._generation += 1

    def register(self, table: RouteTable) -> None:
        table.add("GET POST", "/jobs/ingest", self.ingest_jobs)
        table.add("PUT", "/jobs/ingest/{id}/batches", self.upload)
        table.add("GET", "/jobs/ingest/{id}/{kind}", self.ingest_results)
        table.add("GET PATCH DELETE", "/jobs/ingest/{id}", lambda call: self.job(call, "V2Ingest"))
        table.add("GET POST", "/jobs/query", self.query_jobs)
        table.add("GET", "/jobs/query/{id}/results", self.query_results)
        table.add("GET PATCH DELETE", "/jobs/query/{id}", lambda call: self.job(call, "V2Query"))

    # ---- common ---------------------------------------------------------------------------------
    def _load(self, call: Call, kind: str) -> dict[str, Any]:
        rid = ids.normalize(call.params["id"]) or ""
        job = self.org.store.get(JOBS, rid)
        if job is None or job["jobType"] != kind:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        self._resume(job)
        return job

    def _new_job(self, call: Call, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
        rid = ids.make_id(ids.KEY_PREFIXES["BulkJob"], self.org.store.next_counter("id:750"))
        now = sf_datetime(self.org.clock.now())
        body = call.json_object()
        delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
        job = {
            "id": rid, "operation": body.get("operation"), "object": extra.pop("object", None), "createdById": self.org.api_user_id,
            "createdDate": now, "systemModstamp": now, "state": "Open", "concurrencyMode": "Parallel",
            "contentType": "CSV", "apiVersion": float(call.version), "jobType": kind, "lineEnding": line_ending,
            "columnDelimiter": delimiter, "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
            "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0, **extra,
        }  # fmt: skip
        self.org.store.put(JOBS, rid, job)
        return job

    def _set(self, job: dict[str, Any], **changes: Any) -> None:
        job.update(changes, systemModstamp=sf_datetime(self.org.clock.now()))
        self.org.store.touch(JOBS, job["id"])

    def job(self, call: Call, kind: str) -> Reply:
        job = self._load(call, kind)
        if call.method == "GET":
            if job["state"] == "InProgress":
                self._set(job, _in_progress_reads=job.get("_in_progress_reads", 0) + 1)
            return Reply(body=public(job))
        if call.method == "DELETE":
            if job["state"] not in TERMINAL | {"UploadComplete"}:
                raise ApiError(
                    400, "INVALIDJOBSTATE", f"Job is in state {job['state']} and cannot be deleted"
                )
            for table, key in ((JOBS, job["id"]), (DATA, job["id"])):
                self.org.store.delete(table, key)
            for suffix in ("successful", "failed", "unprocessed", "query"):
                self.org.store.delete(RESULTS, f"{job['id']}:{suffix}")
            return Reply(204)
        state = call.json_object().get("state")
        if state == "Aborted" and job["state"] in ("Open", "UploadComplete", "InProgress"):
            self._set(job, state="Aborted")
        elif state == "UploadComplete" and job["state"] == "Open" and job["jobType"] == "V2Ingest":
            self._set(job, state="UploadComplete")
            self._schedule(job)
        else:
            raise ApiError(400, "INVALIDJOBSTATE", f"Cannot change job state from {job['state']} to {state}")
        return Reply(body=public(job))

    def _schedule(self, job: dict[str, Any]) -> None:
        if job["id"] in self._scheduled:
            return
        self._scheduled.add(job["id"])
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._scheduled.discard(job["id"])
            return
        loop.call_later(self.org.settings.bulk_processing_delay_s, self._run, job["id"], self._generation)

    def _resume(self, job: dict[str, Any]) -> None:
        if job["state"] in ("UploadComplete", "InProgress"):
            self._schedule(job)

    def _run(self, job_id: str, generation: int) -> None:
        if generation != self._generation:
            return
        self._scheduled.discard(job_id)
        job = self.org.store.get(JOBS, job_id)
        if job is None or job["state"] not in ("UploadComplete", "InProgress"):
            return
        if (
            job["state"] == "UploadComplete"
            or job.get("_in_progress_reads", 0) < self.org.settings.bulk_in_progress_polls
        ):
            # a real job spends a while InProgress: a client that polls sees it at least once
            if job["state"] == "UploadComplete":
                self._set(job, state="InProgress", _in_progress_reads=0)
                self.org.store.commit()
            self._schedule(job)
            return
        try:
            if job["jobType"] == "V2Ingest":
                process_ingest(self.org, job)
            else:
                self._run_query(job)
        except ApiError as err:
            self._set(job, state="Failed", errorMessage=err.message)
        self.org.store.commit()

    # ---- ingest ---------------------------------------------------------------------------------
    def ingest_jobs(self, call: Call) -> Reply:
        if call.method == "GET":
            jobs = [public(j) for j in self.org.store.table(JOBS).values() if j["jobType"] == "V2Ingest"]
            return Reply(body={"done": True, "records": jobs, "nextRecordsUrl": None})
        body = call.json_object()
        operation = body.get("operation")
        if operation not in INGEST_OPERATIONS:
            raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        if operation == "hardDelete" and not self.org.settings.bulk_api_hard_delete:
            raise ApiError(400, "FEATURENOTENABLED", HARD_DELETE_REFUSED)
        obj = self.org.schema.get(str(body.get("object", "")))
        if obj is None:
            raise ApiError(
                400, "INVALIDJOB", f"Entity '{body.get('object')}' is not supported by the Bulk API."
            )
        extra: dict[str, Any] = {"object": obj.name}
        if operation == "upsert":
            ext = obj.field(str(body.get("externalIdFieldName") or ""))
            if ext is None or not (ext.external_id or ext.id_lookup):
                raise ApiError(400, "INVALIDJOB", f"External ID was blank or not valid for {obj.name}")
            extra["externalIdFieldName"] = ext.name
        rule = body.get("assignmentRuleId")
        if rule is not None and operation not in ("delete", "hardDelete"):
            # "Create a Job": the id of an assignment rule (active or not) to run for a Lead or Case; shown in
            # the job info only when given. The refusal of a malformed id is ours (wording unconfirmed).
            if not ids.looks_like_id(rule):
                raise ApiError(400, "INVALIDJOB", f"Invalid assignmentRuleId: {rule}")
            extra["assignmentRuleId"] = ids.to18(str(rule))
        job = self._new_job(call, "V2Ingest", extra)
        job["contentUrl"] = f"services/data/v{call.version}/jobs/ingest/{job['id']}/batches"
        return Reply(200, public(job))

    def upload(self, call: Call) -> Reply:
        job = self._load(call, "V2Ingest")
        if job["state"] != "Open":
            raise ApiError(409, "INVALIDJOBSTATE", "Upload is only allowed while the job is Open")
        stored = self.org.store.get(DATA, job["id"]) or {"chunks": []}
        stored["chunks"].append(call.text)
        self.org.store.put(DATA, job["id"], stored)
        return Reply(201)

    def ingest_results(self, call: Call) -> Reply:
        job = self._load(call, "V2Ingest")
        kind = RESULT_KINDS.get(call.params["kind"].lower())
        if kind is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if job["state"] not in TERMINAL and kind != "unprocessed":
            raise ApiError(400, "INVALIDJOBSTATE", "The job is not finished")
        stored = self.org.store.get(RESULTS, f"{job['id']}:{kind}")
        if stored is None:
            stored = {"csv": self._unprocessed(job) if kind == "unprocessed" else ""}
        return Reply(body=stored["csv"], csv=True)

    def _unprocessed(self, job: dict[str, Any]) -> str:
        data = self.org.store.get(DATA, job["id"]) or {"chunks": []}
        header: list[str] = []
        rows: list[list[str]] = []
        if job["state"] != "JobComplete":
            for chunk in data["chunks"]:
                h, r = read_rows(chunk, job["columnDelimiter"])
                header, rows = header or h, rows + r
        return write_rows(header, rows, job["columnDelimiter"], job["lineEnding"]) if header else ""

    # ---- query ----------------------------------------------------------------------------------
    def query_jobs(self, call: Call) -> Reply:
        if call.method == "GET":
            jobs = [public(j) for j in self.org.store.table(JOBS).values() if j["jobType"] == "V2Query"]
            return Reply(body={"done": True, "records": jobs, "nextRecordsUrl": None})
        body = call.json_object()
        operation = body.get("operation", "query")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        from .soql import SoqlError, parse_soql

        text = str(body.get("query") or "")
        try:
            parsed = parse_soql(text)
        except SoqlError as exc:
            raise ApiError(400, exc.code, exc.message) from None
        obj = self.org.schema.get(parsed.sobject)
        job = self._new_job(call, "V2Query", {"object": obj.name if obj else None, "query": text})
        self._set(job, state="UploadComplete")
        self.org.store.set_meta("bulk_query_jobs_today", self.org.store.meta("bulk_query_jobs_today", 0) + 1)
        self._schedule(job)
        return Reply(200, public(job))

    def _run_query(self, job: dict[str, Any]) -> None:
        result = self.org.run_soql(job["query"], job["operation"] == "queryAll", str(job["apiVersion"]))
        rows = [[cell(path_value(r, c)) for c in result.columns] for r in result.records]
        self.org.store.put(RESULTS, f"{job['id']}:query", {"header": result.columns, "rows": rows})
        self._set(job, state="JobComplete", numberRecordsProcessed=len(rows))

    def query_results(self, call: Call) -> Reply:
        job = self._load(call, "V2Query")
        if job["state"] != "JobComplete":
            raise ApiError(412, "JOB_NOT_COMPLETE", f"Job {job['id']} is not complete (state {job['state']})")
        stored = self.org.store.get(RESULTS, f"{job['id']}:query") or {"header": [], "rows": []}
        try:
            start = (
                int(base64.urlsafe_b64decode(call.query["locator"]).decode())
                if call.query.get("locator")
                else 0
            )
            size = int(call.query.get("maxRecords") or 50000)
        except ValueError:
            raise ApiError(400, "INVALID_LOCATOR", "invalid locator") from None
        page = stored["rows"][start : start + size]
        end = start + len(page)
        locator = (
            base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(stored["rows"]) else "null"
        )
        text = write_rows(stored["header"], page, job["columnDelimiter"], job["lineEnding"])
        return Reply(
            body=text, csv=True, headers={"Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": locator}
        )
