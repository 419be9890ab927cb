"""`/composite` (dependent subrequests with `@{ref.path}` references, one transaction when
allOrNone; the whole request is ONE call against the API limit) and `/composite/batch` (independent
subrequests, EACH billed as a call: `/limits`, `Sforce-Limit-Info` and the stats' billed_calls)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ..emulator import ApiError
from .errors import render_rest
from .rest import DATA_PREFIX, Call, Reply, RouteTable, check_version

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

MAX_SUBREQUESTS = 25
MAX_QUERY_OR_COLLECTION = 5  # /composite: "up to 5 of which can be query operations or collections"
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
HALTED = "The transaction was rolled back since another operation in the same transaction failed."


class _Unresolved(Exception):
    def __init__(self, ref: str, path: str):
        self.ref, self.path = ref, path


def _lookup(value: Any, path: str) -> Any:
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = step
        if key:
            if not isinstance(value, dict) or key not in value:
                raise KeyError(key)
            value = value[key]
        else:
            value = value[int(index)]
    return value


def _query_or_collection(url: str) -> bool:
    path = urlsplit(url).path.rstrip("/")
    return path.endswith(("/query", "/queryAll")) or "/composite/sobjects" in path


class CompositeResource:
    """Handlers for `/composite` and `/composite/batch`."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("POST", "/composite", self.composite)
        table.add("POST", "/composite/batch", self.batch)

    def _sub(self, method: str, url: str, body: Any, version_prefix: bool = True) -> Reply:
        parts = urlsplit(url)
        path = parts.path
        if version_prefix:
            if not path.startswith(DATA_PREFIX + "/v"):
                raise ApiError(400, "INVALID_URL", f"The URL '{url}' is not supported by composite")
            path = path[len(DATA_PREFIX) + 1 :]
        version, _, rest = path.lstrip("/").removeprefix("v").partition("/")
        check_version(version)
        rest = "/" + rest
        if rest.rstrip("/").startswith("/composite") and not rest.startswith("/composite/sobjects"):
            raise ApiError(400, "INVALID_URL", "composite requests cannot be nested")
        return self.org.routes.dispatch(
            method.upper(), version, rest, query=dict(parse_qsl(parts.query)), body=body
        )

    # ---- composite ------------------------------------------------------------------------------
    def composite(self, call: Call) -> Reply:
        body = call.json_object()
        subs = body.get("compositeRequest")
        if not isinstance(subs, list) or not subs:
            raise ApiError(400, "JSON_PARSER_ERROR", "compositeRequest: expected a non-empty JSON array")
        if len(subs) > MAX_SUBREQUESTS:
            raise ApiError(400, "LIMIT_EXCEEDED", f"Maximum number of subrequests is {MAX_SUBREQUESTS}")
        heavy = [s for s in subs if isinstance(s, dict) and _query_or_collection(str(s.get("url", "")))]
        if len(heavy) > MAX_QUERY_OR_COLLECTION:
            raise ApiError(400, "LIMIT_EXCEEDED", f"Maximum number of query or sObject Collections "
                           f"subrequests is {MAX_QUERY_OR_COLLECTION}")  # fmt: skip
        all_or_none = body.get("allOrNone") is True
        results: dict[str, Any] = {}
        out: list[dict[str, Any]] = []
        with self.org.records.atomic() as rollback:
            for i, sub in enumerate(subs):
                ref = str(sub.get("referenceId") or f"ref{i}")
                try:
                    url = self._resolve(sub.get("url", ""), results)
                    payload = self._resolve(sub.get("body"), results)
                    reply = self._sub(str(sub.get("method", "GET")), url, payload)
                    entry = {
                        "body": reply.body,
                        "httpHeaders": reply.headers,
                        "httpStatusCode": reply.status,
                        "referenceId": ref,
                    }
                    results[ref] = reply.body
                except _Unresolved as exc:
                    msg = (f"Invalid reference specified. No value for {exc.ref}{exc.path} found in {exc.ref}. Provided "
                           f"referenceId ('{exc.ref}') doesn't exist or the response JSON doesn't contain the specified path.")  # fmt: skip
                    entry = {"body": [{"errorCode": "PROCESSING_HALTED", "message": msg}], "httpHeaders": {},
                             "httpStatusCode": 400, "referenceId": ref}  # fmt: skip
                except ApiError as err:
                    entry = {
                        "body": render_rest(err),
                        "httpHeaders": {},
                        "httpStatusCode": err.status,
                        "referenceId": ref,
                    }
                out.append(entry)
                if entry["httpStatusCode"] >= 400 and all_or_none:
                    rollback()
                    halted = {"body": [{"errorCode": "PROCESSING_HALTED", "message": HALTED}], "httpHeaders": {},
                              "httpStatusCode": 400}  # fmt: skip
                    out = [e if e is entry else {**halted, "referenceId": e["referenceId"]} for e in out]
                    out += [{**halted, "referenceId": str(s.get("referenceId") or f"ref{j}")}
                            for j, s in enumerate(subs[i + 1 :], i + 1)]  # fmt: skip
                    break
        return Reply(body={"compositeResponse": out})

    def _resolve(self, value: Any, results: dict[str, Any]) -> Any:
        if isinstance(value, str):

            def replace(m: re.Match[str]) -> str:
                ref, path = m.group(1), m.group(2)
                if ref not in results:
                    raise _Unresolved(ref, path)
                try:
                    return str(_lookup(results[ref], path))
                except (KeyError, IndexError, TypeError):
                    raise _Unresolved(ref, path) from None

            return _REFERENCE.sub(replace, value)
        if isinstance(value, dict):
            return {k: self._resolve(v, results) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, results) for v in value]
        return value

    # ---- batch ----------------------------------------------------------------------------------
    def _bill_subrequest(self) -> None:
        """Composite batch: "Each subrequest counts against rate limits" (the HTTP request itself paid for
        the first). Past the daily limit the subrequest answers 403 REQUEST_LIMIT_EXCEEDED."""
        self.org.allocation.acquire()
        self.org.stats.bill(1)

    def batch(self, call: Call) -> Reply:
        body = call.json_object()
        subs = body.get("batchRequests")
        if not isinstance(subs, list) or not subs:
            raise ApiError(400, "JSON_PARSER_ERROR", "batchRequests: expected a non-empty JSON array")
        if len(subs) > MAX_SUBREQUESTS:
            raise ApiError(400, "LIMIT_EXCEEDED", f"Maximum number of subrequests is {MAX_SUBREQUESTS}")
        halt = body.get("haltOnError") is True
        results: list[dict[str, Any]] = []
        has_errors = False
        for i, sub in enumerate(subs):
            if halt and has_errors:
                results.append({"statusCode": 412, "result": [{"errorCode": "BATCH_PROCESSING_HALTED",
                                                               "message": "Batch processing halted per request"}]})  # fmt: skip
                continue
            try:
                if i > 0:
                    self._bill_subrequest()
                reply = self._sub(str(sub.get("method", "GET")), "/" + str(sub.get("url", "")).lstrip("/"),
                                  sub.get("richInput"), version_prefix=False)  # fmt: skip
                results.append({"statusCode": reply.status, "result": reply.body})
            except ApiError as err:
                has_errors = True
                results.append({"statusCode": err.status, "result": render_rest(err)})
        return Reply(body={"hasErrors": has_errors, "results": results})
