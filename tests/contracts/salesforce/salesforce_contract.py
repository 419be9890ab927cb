"""Salesforce response contracts: for every endpoint crmsync calls, the shape of the answer as Salesforce
documents it, each with its source (document, section, URL).

Salesforce ships no OpenAPI file for REST, Bulk API 2.0 or Tooling, so the shapes are written here from the
documented example responses and property tables (keys and JSON types copied, never prose). Where the
documentation gives no example for something crmsync relies on, the contract says so in `assumption`: an
explicit, commented guess, not a documented fact.

Checked strictly (salesforce_shapes.py): required keys present, JSON types as documented (ints are ints, booleans
booleans, datetimes in Salesforce's `.000+0000` format, ids 18 characters), closed objects without
undocumented keys. Error answers (4xx/5xx) are checked against the REST error array `[{message, errorCode,
fields?}]` (Bulk 2.0 uses the same), the OAuth endpoint's against `{error, error_description}`."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from salesforce_shapes import (
    ANY,
    BOOL,
    DATETIME,
    ID,
    INT,
    NUM,
    STR,
    Arr,
    Const,
    MapOf,
    Nullable,
    Obj,
    OneOf,
    Shape,
)

REST = "REST API Developer Guide"
BULK = "Bulk API 2.0 and Bulk API Developer Guide"
TOOLING = "Tooling API Developer Guide"
DOCS = "https://developer.salesforce.com/docs/atlas.en-us"


@dataclass(frozen=True)
class Source:
    title: str  # the document
    section: str  # the section whose example response the shape copies
    url: str


@dataclass(frozen=True)
class Csv:
    """A CSV answer (Bulk 2.0 results): the first columns, and the cells those columns may hold."""

    leading: tuple[str, ...]
    cells: dict[str, re.Pattern[str]] = field(default_factory=dict)
    no_sf_columns: bool = False  # unprocessed records: only the uploaded columns
    headers: tuple[str, ...] = ()  # response headers the client needs


@dataclass(frozen=True)
class Xml:
    """A SOAP answer: the element path to the result and the children it must have."""

    result_path: tuple[str, ...]
    required: tuple[str, ...]
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class Contract:
    name: str
    method: str
    path: str  # regex on the URL path after /services/data/vNN.0 (or the full path when absolute)
    statuses: dict[int, Shape | Csv | Xml | None]  # None: no body
    source: Source
    crmsync_calls: bool = True  # False: served by the sandbox, checked, but crmsync never calls it
    absolute: bool = False
    errors: Shape | None = None  # default REST_ERRORS
    assumption: str = ""

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        tail = path if self.absolute else _api_tail(path)
        return tail is not None and re.fullmatch(self.path, tail) is not None


def _api_tail(path: str) -> str | None:
    found = re.match(r"^/services/data/v\d+\.\d+(/.*)$", path)
    return found.group(1) if found else None


# ---- shared shapes ------------------------------------------------------------------------------------

# REST API Developer Guide, "Status Codes and Error Responses": the body is an array of errors, each with
# `message` and `errorCode`, and `fields` when the error concerns fields. DUPLICATES_DETECTED adds
# `duplicateResult` ("DuplicateResult" in the SOAP API guide).
REST_ERROR = Obj(
    {"message": STR, "errorCode": STR},
    {"fields": Arr(STR), "duplicateResult": ANY, "extendedErrorDetails": Nullable(ANY)},
    name="a REST error",
)
REST_ERRORS = Arr(REST_ERROR, min_items=1)
# OAuth 2.0 token endpoint errors (Salesforce Help, "OAuth 2.0 Client Credentials Flow for Server-to-Server
# Integration" and the flows' shared "error" parameters): {"error": ..., "error_description": ...}
OAUTH_ERROR = Obj({"error": STR, "error_description": STR})

# sObject Collections, per item: a SaveResult. "Create Records Using sObject Collections" example: success
# {"id": "001...", "success": true, "errors": []}; failure {"success": false, "errors": [{"statusCode":
# "...", "message": "...", "fields": [...]}]}. The error key here is `statusCode`, NOT `errorCode` as in
# REST error arrays (SOAP "Error" type).
COLLECTION_ERROR = Obj(
    {"statusCode": STR, "message": STR, "fields": Arr(STR)},
    {"duplicateResult": ANY, "extendedErrorDetails": Nullable(ANY)},
    name="a collection error (statusCode, message, fields)",
)
SAVE_RESULT = Obj({"success": BOOL, "errors": Arr(COLLECTION_ERROR)}, {"id": Nullable(ID)})
SAVE_RESULT_WITH_ID = Obj({"id": Nullable(ID), "success": BOOL, "errors": Arr(COLLECTION_ERROR)})
# "Upsert Records Using sObject Collections" example items add `created` (true on insert); the example
# shows it on successful items only.
UPSERT_RESULT = Obj({"success": BOOL, "errors": Arr(COLLECTION_ERROR)}, {"id": Nullable(ID), "created": BOOL})

ATTRIBUTES = Obj({"type": STR}, {"url": STR})
RECORD = Obj({"attributes": ATTRIBUTES}, closed=False, name="a record")
# "Execute a SOQL Query" / "Query" resource: totalSize, done, records; nextRecordsUrl only while more pages
QUERY_RESULT = Obj({"totalSize": INT, "done": BOOL, "records": Arr(RECORD)}, {"nextRecordsUrl": STR})

# Bulk API 2.0 "Create a Job" (ingest) response body and "Get Job Info": every property of the table.
INGEST_JOB = {
    "id": ID, "operation": STR, "object": STR, "createdById": ID, "createdDate": DATETIME,
    "systemModstamp": DATETIME, "state": Const(("Open", "UploadComplete", "InProgress", "JobComplete",
                                                "Failed", "Aborted")),
    "concurrencyMode": Const(("Parallel",)), "contentType": Const(("CSV",)), "apiVersion": NUM,
    "lineEnding": Const(("LF", "CRLF")), "columnDelimiter": STR,
}  # fmt: skip
INGEST_OPTIONAL = {"externalIdFieldName": STR, "assignmentRuleId": ID, "contentUrl": STR, "jobType": STR}
INGEST_INFO_MORE = {
    "jobType": Const(("V2Ingest",)), "numberRecordsProcessed": INT, "numberRecordsFailed": INT, "retries": INT,
    "totalProcessingTime": INT, "apiActiveProcessingTime": INT, "apexProcessingTime": INT,
}  # fmt: skip
INGEST_CREATED = Obj(INGEST_JOB | {"contentUrl": STR}, INGEST_OPTIONAL | INGEST_INFO_MORE)
INGEST_INFO = Obj(INGEST_JOB | INGEST_INFO_MORE, INGEST_OPTIONAL | {"errorMessage": STR})
# "Create a Query Job" response body; "Get Information About a Query Job" adds the counters
QUERY_JOB = {k: v for k, v in INGEST_JOB.items()}
QUERY_JOB_MORE = {
    "jobType": Const(("V2Query",)), "numberRecordsProcessed": INT, "retries": INT, "totalProcessingTime": INT,
    "isPkChunkingSupported": BOOL,
}  # fmt: skip
QUERY_JOB_CREATED = Obj(QUERY_JOB, QUERY_JOB_MORE)
QUERY_JOB_INFO = Obj(QUERY_JOB | {"jobType": Const(("V2Query",)), "numberRecordsProcessed": INT,
                                  "retries": INT, "totalProcessingTime": INT},
                     {"errorMessage": STR, "isPkChunkingSupported": BOOL})  # fmt: skip

# "sObject Describe" example and the SOAP API's DescribeSObjectResult / Field types: what crmsync reads
# (object flags, each field's name, type, length, flags, picklist values, references). Describe answers
# carry many more keys: open objects.
PICKLIST_VALUE = Obj({"active": BOOL, "defaultValue": BOOL, "label": Nullable(STR), "value": STR},
                     {"validFor": Nullable(STR)})  # fmt: skip
DESCRIBE_FIELD = Obj(
    {
        "name": STR, "label": STR, "type": STR, "length": INT, "byteLength": INT, "precision": INT,
        "scale": INT, "digits": INT, "createable": BOOL, "updateable": BOOL, "nillable": BOOL,
        "defaultedOnCreate": BOOL, "custom": BOOL, "externalId": BOOL, "idLookup": BOOL, "unique": BOOL,
        "calculated": BOOL, "caseSensitive": BOOL, "restrictedPicklist": BOOL, "soapType": STR,
        "picklistValues": Arr(PICKLIST_VALUE), "referenceTo": Arr(STR), "relationshipName": Nullable(STR),
        "defaultValue": ANY, "filterable": BOOL, "sortable": BOOL,
    },
    closed=False,
    name="a describe field",
)  # fmt: skip
OBJECT_FLAGS = {
    "name": STR, "label": STR, "labelPlural": STR, "keyPrefix": Nullable(STR), "custom": BOOL,
    "createable": BOOL, "updateable": BOOL, "deletable": BOOL, "queryable": BOOL, "retrieveable": BOOL,
    "searchable": BOOL, "layoutable": BOOL, "mergeable": BOOL, "undeletable": BOOL, "triggerable": BOOL,
    "replicateable": BOOL, "urls": MapOf(STR),
}  # fmt: skip
DESCRIBE = Obj(
    OBJECT_FLAGS | {"fields": Arr(DESCRIBE_FIELD, min_items=1), "childRelationships": Arr(
        Obj({"childSObject": STR, "field": STR, "relationshipName": Nullable(STR), "cascadeDelete": BOOL},
            closed=False)), "recordTypeInfos": Arr(Obj({"recordTypeId": Nullable(STR), "name": STR,
                                                        "active": BOOL, "available": BOOL, "master": BOOL},
                                                       closed=False))},
    closed=False,
    name="an sObject describe",
)  # fmt: skip
# "Describe Global" example: encoding, maxBatchSize, sobjects (each the object flags, urls)
GLOBAL_DESCRIBE = Obj(
    {"encoding": STR, "maxBatchSize": INT, "sobjects": Arr(Obj(OBJECT_FLAGS, closed=False), min_items=1)}
)

# Composite: "Composite Response Body" (compositeResponse, each {body, httpHeaders, httpStatusCode,
# referenceId}); a query subrequest's body is a query result, a failed one's a REST error array
COMPOSITE = Obj({"compositeResponse": Arr(Obj(
    {"body": OneOf((QUERY_RESULT, REST_ERRORS, Obj({"id": ID, "success": BOOL, "errors": Arr(ANY)}))),
     "httpHeaders": MapOf(STR), "httpStatusCode": INT, "referenceId": STR}), min_items=1)})  # fmt: skip
# Composite Batch: "Batch Response Body": hasErrors, results [{statusCode, result}]
COMPOSITE_BATCH = Obj(
    {"hasErrors": BOOL, "results": Arr(Obj({"statusCode": INT, "result": ANY}), min_items=1)}
)

# Connect REST API Developer Guide, "User Detail" (which extends "User Summary"): the keys crmsync and any
# caller of `chatter/users/me` read. The full answer has many more (photo, motif, address...): open.
USER_DETAIL = Obj(
    {"id": ID, "name": STR, "firstName": Nullable(STR), "lastName": STR, "displayName": STR,
     "username": STR, "email": STR, "type": Const(("User",)), "url": STR, "userType": STR,
     "isActive": BOOL},
    closed=False,
    name="a User Detail",
)  # fmt: skip

# Tooling API "QueryResult": done, entityTypeName, nextRecordsUrl, queryLocator, records, size, totalSize
TOOLING_QUERY = Obj(
    {"size": INT, "totalSize": INT, "done": BOOL, "queryLocator": Nullable(STR), "entityTypeName": Nullable(STR),
     "records": Arr(RECORD)},
    {"nextRecordsUrl": STR},
)  # fmt: skip
# Tooling API "sObject" create example: {"id", "success", "errors", "warnings", "infos"}
TOOLING_SAVE = Obj({"id": ID, "success": BOOL, "errors": Arr(ANY), "warnings": Arr(ANY), "infos": Arr(ANY)})

# "Limits" / "List Org Limits" example: each limit {"Max": int, "Remaining": int}; some limits nest per-app
# entries beside Max and Remaining (open). The v29 pilot example showed strings; current examples numbers.
LIMITS = Obj({"DailyApiRequests": Obj({"Max": INT, "Remaining": INT}, closed=False)},
             closed=False)  # fmt: skip
LIMITS_ALL = MapOf(Obj({"Max": INT, "Remaining": INT}, closed=False))

# OAuth 2.0 client credentials flow, token response (Salesforce Help "OAuth 2.0 Client Credentials Flow
# for Server-to-Server Integration", example response; jsforce's TokenResponse type lists the same keys)
TOKEN = Obj(
    {"access_token": STR, "instance_url": STR, "id": STR, "token_type": Const(("Bearer",)), "issued_at": STR,
     "signature": STR},
    {"scope": STR, "api_instance_url": STR, "refresh_token": STR, "sfdc_community_url": STR,
     "sfdc_community_id": STR},
)  # fmt: skip

# getUpdated / getDeleted: "Get a List of Deleted Records Within a Given Timeframe" and "... Updated ..."
DELETED = Obj({"deletedRecords": Arr(Obj({"id": ID, "deletedDate": DATETIME})),
               "earliestDateAvailable": DATETIME, "latestDateCovered": DATETIME})  # fmt: skip
UPDATED = Obj({"ids": Arr(ID), "latestDateCovered": DATETIME})

# Bulk 2.0 result files: "Get Job Successful Record Results" (sf__Id, sf__Created, then the uploaded
# columns), "Get Job Failed Record Results" (sf__Id, sf__Error = "CODE:message[:fields]"), "Get Job
# Unprocessed Record Results" (the uploaded columns only). "Get Results for a Query Job": the CSV and the
# headers Sforce-NumberOfRecords and Sforce-Locator ("null" on the last page).
SUCCESSFUL_CSV = Csv(("sf__Id", "sf__Created"), {"sf__Id": re.compile(r"^[a-zA-Z0-9]{18}$"),
                                                 "sf__Created": re.compile(r"^(true|false)$")})  # fmt: skip
FAILED_CSV = Csv(("sf__Id", "sf__Error"), {"sf__Id": re.compile(r"^([a-zA-Z0-9]{18})?$"),
                                           "sf__Error": re.compile(r"^[A-Z_]+:.*")})  # fmt: skip
UNPROCESSED_CSV = Csv((), no_sf_columns=True)
QUERY_CSV = Csv((), headers=("Sforce-NumberOfRecords", "Sforce-Locator"))

# SOAP API Developer Guide, "merge()": mergeResponse/result = MergeResult {id, mergedRecordIds*,
# updatedRelatedIds*, success, errors*}
MERGE_XML = Xml(("Body", "mergeResponse", "result"), ("id", "success"),
                ("id", "success", "mergedRecordIds", "updatedRelatedIds", "errors"))  # fmt: skip


def _src(title: str, section: str, page: str) -> Source:
    return Source(title, section, page if page.startswith("http") else f"{DOCS}.{page}")


CONTRACTS: list[Contract] = [
    Contract("oauth.token", "POST", r"/services/oauth2/token", {200: TOKEN},
             _src("Salesforce Help", "OAuth 2.0 Client Credentials Flow for Server-to-Server Integration",
                  "https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm"),
             absolute=True, errors=OAUTH_ERROR),
    Contract("describe.global", "GET", r"/sobjects/?", {200: GLOBAL_DESCRIBE},
             _src(REST, "Describe Global", "api_rest.meta/api_rest/resources_describeGlobal.htm")),
    Contract("sobject.describe", "GET", r"/sobjects/\w+/describe/?", {200: DESCRIBE},
             _src(REST, "sObject Describe", "api_rest.meta/api_rest/resources_sobject_describe.htm")),
    Contract("query", "GET", r"/query/?", {200: QUERY_RESULT},
             _src(REST, "Execute a SOQL Query", "api_rest.meta/api_rest/dome_query.htm")),
    Contract("queryAll", "GET", r"/queryAll/?", {200: QUERY_RESULT},
             _src(REST, "Query All", "api_rest.meta/api_rest/resources_queryall.htm")),
    Contract("queryMore", "GET", r"/query(All)?/[\w-]+", {200: QUERY_RESULT},
             _src(REST, "Execute a SOQL Query, Retrieving the Remaining SOQL Query Results",
                  "api_rest.meta/api_rest/dome_query.htm")),
    Contract("sobject.create", "POST", r"/sobjects/\w+/?", {201: Obj({"id": ID, "success": BOOL,
                                                                      "errors": Arr(ANY)})},
             _src(REST, "Create a Record", "api_rest.meta/api_rest/dome_sobject_create.htm")),
    Contract("sobject.update", "PATCH", r"/sobjects/\w+/\w{15,18}", {204: None},
             _src(REST, "Update a Record", "api_rest.meta/api_rest/dome_update_fields.htm")),
    Contract("collections.create", "POST", r"/composite/sobjects/?", {200: Arr(SAVE_RESULT, min_items=1)},
             _src(REST, "Create Records Using sObject Collections",
                  "api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm"),
             assumption="a failed create item omits `id` in the example; null is accepted too (unconfirmed)"),
    Contract("collections.update", "PATCH", r"/composite/sobjects/?",
             {200: Arr(SAVE_RESULT_WITH_ID, min_items=1)},
             _src(REST, "Update Records Using sObject Collections",
                  "api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm")),
    Contract("collections.upsert", "PATCH", r"/composite/sobjects/\w+/\w+", {200: Arr(UPSERT_RESULT, min_items=1)},
             _src(REST, "Upsert Records Using sObject Collections",
                  "api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm"),
             assumption="`created` on a failed item is not shown in the example: optional"),
    Contract("collections.delete", "DELETE", r"/composite/sobjects/?",
             {200: Arr(SAVE_RESULT_WITH_ID, min_items=1)},
             _src(REST, "Delete Records Using sObject Collections",
                  "api_rest.meta/api_rest/resources_composite_sobjects_collections_delete.htm")),
    Contract("composite", "POST", r"/composite/?", {200: COMPOSITE},
             _src(REST, "Composite Response Body", "api_rest.meta/api_rest/responses_composite.htm")),
    Contract("composite.batch", "POST", r"/composite/batch/?", {200: COMPOSITE_BATCH},
             _src(REST, "Batch Response Body", "api_rest.meta/api_rest/responses_composite_batch.htm"),
             crmsync_calls=False),
    Contract("limits", "GET", r"/limits/?", {200: LIMITS},
             _src(REST, "List Org Limits", "api_rest.meta/api_rest/dome_limits.htm")),
    Contract("chatter.users.me", "GET", r"/chatter/users/me/?", {200: USER_DETAIL},
             _src("Connect REST API Developer Guide", "User Detail (and User Summary)",
                  "chatterapi.meta/chatterapi/connect_responses_user_detail.htm")),
    Contract("tooling.query", "GET", r"/tooling/query/?", {200: TOOLING_QUERY},
             _src(TOOLING, "QueryResult", "api_tooling.meta/api_tooling/tooling_api_objects_queryresult.htm")),
    Contract("tooling.CustomField.create", "POST", r"/tooling/sobjects/CustomField/?", {201: TOOLING_SAVE},
             _src(TOOLING, "sObject (POST creates a record)", "api_tooling.meta/api_tooling/intro_rest_resources.htm"),
             assumption="the Tooling create example is not reproduced in the guide's REST resource table; the "
                        "keys `warnings` and `infos` are those of the Tooling SaveResult (observed)"),
    Contract("bulk2.ingest.create", "POST", r"/jobs/ingest/?", {200: INGEST_CREATED},
             _src(BULK, "Create a Job (Response Body)", "api_asynch.meta/api_asynch/create_job.htm")),
    Contract("bulk2.ingest.upload", "PUT", r"/jobs/ingest/\w+/batches/?", {201: None},
             _src(BULK, "Upload Job Data", "api_asynch.meta/api_asynch/upload_job_data.htm")),
    Contract("bulk2.ingest.close", "PATCH", r"/jobs/ingest/\w+/?", {200: INGEST_INFO},
             _src(BULK, "Close or Abort a Job", "api_asynch.meta/api_asynch/close_job.htm")),
    Contract("bulk2.ingest.status", "GET", r"/jobs/ingest/\w+/?", {200: INGEST_INFO},
             _src(BULK, "Get Job Info", "api_asynch.meta/api_asynch/get_job_info.htm")),
    Contract("bulk2.ingest.successfulResults", "GET", r"/jobs/ingest/\w+/successfulResults/?",
             {200: SUCCESSFUL_CSV},
             _src(BULK, "Get Job Successful Record Results", "api_asynch.meta/api_asynch/get_job_successful_results.htm")),
    Contract("bulk2.ingest.failedResults", "GET", r"/jobs/ingest/\w+/failedResults/?", {200: FAILED_CSV},
             _src(BULK, "Get Job Failed Record Results", "api_asynch.meta/api_asynch/get_job_failed_results.htm")),
    Contract("bulk2.ingest.unprocessedRecords", "GET", r"/jobs/ingest/\w+/unprocessed[rR]ecords/?",
             {200: UNPROCESSED_CSV},
             _src(BULK, "Get Job Unprocessed Record Results", "api_asynch.meta/api_asynch/get_job_unprocessed_results.htm")),
    Contract("bulk2.query.create", "POST", r"/jobs/query/?", {200: QUERY_JOB_CREATED},
             _src(BULK, "Create a Query Job", "api_asynch.meta/api_asynch/query_create_job.htm")),
    Contract("bulk2.query.status", "GET", r"/jobs/query/\w+/?", {200: QUERY_JOB_INFO},
             _src(BULK, "Get Information About a Query Job", "api_asynch.meta/api_asynch/query_get_one_job.htm")),
    Contract("bulk2.query.results", "GET", r"/jobs/query/\w+/results/?", {200: QUERY_CSV},
             _src(BULK, "Get Results for a Query Job", "api_asynch.meta/api_asynch/query_get_job_results.htm")),
    Contract("soap.merge", "POST", r"/services/Soap/u/[\d.]+", {200: MERGE_XML},
             _src("SOAP API Developer Guide", "merge() (MergeResult)", "api.meta/api/sforce_api_calls_merge.htm"),
             absolute=True, errors=None),
    Contract("sobject.deleted", "GET", r"/sobjects/\w+/deleted/?", {200: DELETED},
             _src(REST, "Get a List of Deleted Records Within a Given Timeframe",
                  "api_rest.meta/api_rest/dome_get_deleted.htm"),
             crmsync_calls=False),
    Contract("sobject.updated", "GET", r"/sobjects/\w+/updated/?", {200: UPDATED},
             _src(REST, "Get a List of Updated Records Within a Given Timeframe",
                  "api_rest.meta/api_rest/dome_get_updated.htm"),
             crmsync_calls=False),
]  # fmt: skip

# Endpoints the brief of this contract named that crmsync does not call and the sandbox does not serve
NOT_SERVED = {
    "undelete": "the API's undelete() is not built (docs/sandbox.md: only the admin route); crmsync never "
    "undeletes",
}


def contract_for(method: str, path: str) -> Contract | None:
    return next((c for c in CONTRACTS if c.matches(method, path)), None)


# ---- checking one answer ------------------------------------------------------------------------------


def body_problems(
    contract: Contract, status: int, headers: dict[str, str], text: str, parse: Any = None
) -> list[str]:
    """Everything wrong with one answer of this endpoint."""
    from salesforce_shapes import check

    if status >= 400:
        if contract.errors is None and contract.name == "soap.merge":
            return _xml_fault_problems(text)
        return check(contract.errors or REST_ERRORS, _json(text)) if text else ["an error without a body"]
    if status not in contract.statuses:
        return [f"status {status} is not among the documented {sorted(contract.statuses)}"]
    expected = contract.statuses[status]
    if expected is None:
        return [f"a body where the documentation shows none: {text[:120]!r}"] if text.strip() else []
    if isinstance(expected, Csv):
        return csv_problems(expected, headers, text)
    if isinstance(expected, Xml):
        return xml_problems(expected, text)
    body = _json(text)
    if body is _NOT_JSON:
        return [f"not JSON: {text[:120]!r}"]
    return check(expected, body)


def csv_problems(expected: Csv, headers: dict[str, str], text: str) -> list[str]:
    out = [f"header {h} missing" for h in expected.headers if h.lower() not in {k.lower() for k in headers}]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return out  # an empty file: no rows of that kind
    header, body = rows[0], [r for r in rows[1:] if r]
    if expected.leading and tuple(header[: len(expected.leading)]) != expected.leading:
        out.append(f"CSV header starts {header[: len(expected.leading)]}, expected {list(expected.leading)}")
    if expected.no_sf_columns and any(h.startswith("sf__") for h in header):
        out.append(
            f"CSV header {header} holds sf__ columns (unprocessed records have only the uploaded ones)"
        )
    for n, row in enumerate(body):
        if len(row) != len(header):
            out.append(f"row {n}: {len(row)} cells for {len(header)} columns")
        for column, pattern in expected.cells.items():
            if column in header and not pattern.match(row[header.index(column)]):
                out.append(
                    f"row {n}: {column} = {row[header.index(column)]!r} does not match {pattern.pattern}"
                )
    return out


def xml_problems(expected: Xml, text: str) -> list[str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [f"not XML: {exc}"]
    node: ET.Element | None = root
    for name in expected.result_path:
        node = next((c for c in (node or []) if _local(c.tag) == name), None)
        if node is None:
            return [f"no <{name}> on the path {'/'.join(expected.result_path)}"]
    children = [_local(c.tag) for c in node]
    out = [f"<result> lacks <{r}>" for r in expected.required if r not in children]
    out += [f"<result> holds <{c}>, not a MergeResult element" for c in children if c not in expected.allowed]
    success = next((c.text for c in node if _local(c.tag) == "success"), None)
    if success not in ("true", "false"):
        out.append(f"<success> is {success!r}, not an xsd:boolean")
    return out


def _xml_fault_problems(text: str) -> list[str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return ["a SOAP error that is not a SOAP fault"]
    names = {_local(e.tag) for e in root.iter()}
    return (
        []
        if {"Fault", "faultcode", "faultstring"} <= names
        else ["a SOAP fault without faultcode/faultstring"]
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_NOT_JSON = object()


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON
