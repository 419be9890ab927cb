"""`POST /services/Soap/u/{version}`: the partner SOAP API's `merge()`, the only way Salesforce merges
records through its API (no REST merge exists). Account, Contact and Lead, a master and up to two
records to merge per request; the merge itself is the one the sandbox UI does (admin.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ..emulator import ApiError
from . import ids
from .admin import MERGEABLE
from .errors import RecordError
from .rest import MAX_VERSION, MIN_VERSION
from .soap_xml import MergeRequest, MergeResult, SoapFault, fault, merge_response, parse_merge_call

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

SOAP_PATH = "/services/Soap/u/{version}"
MAX_MERGE_IDS = 2  # a master and two others: three records at most
MAX_REQUESTS = 200


def _xml(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


class SoapResource:
    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post(SOAP_PATH, self.serve)

    async def serve(self, request: web.Request) -> web.Response:
        try:
            version = request.match_info["version"]
            if not version.endswith(".0") or not MIN_VERSION <= int(float(version)) <= MAX_VERSION:
                raise SoapFault("UNSUPPORTED_API_VERSION", f"Invalid Api version specified on URL: {version}")
            call = parse_merge_call(await request.read())
            try:
                self.org.auth.check_token(call.session_id)
                self.org.allocation.acquire()
            except ApiError as err:
                raise SoapFault(err.code, "Invalid Session ID found in SessionHeader: Illegal Session"
                                if err.code == "INVALID_SESSION_ID" else err.message) from None  # fmt: skip
            if len(call.requests) > MAX_REQUESTS:
                raise SoapFault("LIMIT_EXCEEDED", f"Maximum number of merge requests is {MAX_REQUESTS}")
            return _xml(merge_response([self.merge(r) for r in call.requests]))
        except SoapFault as err:
            return _xml(fault(err), status=500)

    def merge(self, req: MergeRequest) -> MergeResult:
        if not req.sobject:
            raise SoapFault("INVALID_TYPE", "Must send a concrete entity type.", "InvalidSObjectFault")
        obj = self.org.schema.get(req.sobject)
        if obj is None:
            raise SoapFault(
                "INVALID_TYPE", f"sObject type '{req.sobject}' is not supported.", "InvalidSObjectFault"
            )
        if obj.name not in MERGEABLE:
            return _failed("INVALID_TYPE", f"Merge is not supported for entity type {obj.name}")
        if not req.loser_ids:
            return _failed("REQUIRED_FIELD_MISSING", "Required fields are missing: [recordToMergeIds]",
                           ["recordToMergeIds"])  # fmt: skip
        if len(req.loser_ids) > MAX_MERGE_IDS:
            return _failed("LIMIT_EXCEEDED", f"Maximum number of records to merge is {MAX_MERGE_IDS + 1}")
        master_id = self._own_id(obj.name, req.master_id)
        loser_ids = [self._own_id(obj.name, rid) for rid in req.loser_ids]
        if master_id is None or None in loser_ids:
            return _failed("INVALID_ID_FIELD", "invalid record id")
        if master_id in loser_ids or len(set(loser_ids)) != len(loser_ids):
            return _failed("INVALID_ID_FIELD", "Master record id is also in the list of records to merge")
        with self.org.records.atomic() as rollback:
            try:
                master, merged, related = self.org.admin.merge_records(
                    obj.name,
                    master_id,
                    loser_ids,
                    req.field_values,
                    self.org.api_user_id,  # type: ignore[arg-type]
                )
            except RecordError as err:
                rollback()
                return MergeResult(
                    None, errors=[(e.code, e.message, list(e.fields or [])) for e in err.errors]
                )
        return MergeResult(master, merged, related)

    def _own_id(self, obj: str, value: str | None) -> str | None:
        """The 18-character id when `value` names a record of `obj` (deleted ones included)."""
        rid = ids.normalize(value) if value else None
        if rid is None or self.org.store.get(obj, rid) is None:
            return None
        return rid


def _failed(code: str, message: str, fields: list[str] | None = None) -> MergeResult:
    return MergeResult(None, errors=[(code, message, fields or [])])
