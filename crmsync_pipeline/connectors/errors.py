"""Errors from either CRM, reduced to what the pipeline records: the CRM's own error code, a message,
the HTTP status, the fields involved, and whether trying again can help.

Codes are kept as the CRM sent them (REQUIRED_FIELD_MISSING, INVALID_FIELD, DUPLICATE_VALUE, ...) so
they reach the errors table and the health report unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions
from simple_salesforce.exceptions import SalesforceError

# Worth another try: the CRM was busy, limited us, or the connection broke.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Failures that may pass on a second try with the same data: retried on every run, with no back-off
# (health/error_fixes.py).
TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "CONNECTION_ERROR",
        "RATE_LIMIT",
        "DAILY_LIMIT",
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "UNKNOWN_EXCEPTION",
        "INTERNAL_ERROR",
        "MISSING_RESULT",
        "HTTP_500",
        "HTTP_502",
        "HTTP_503",
        "HTTP_504",
        "BULK_JOB_FAILED",
        "BULK_JOB_ABORTED",
        "UNPROCESSED",
    }
)
# Salesforce answers both of its API limits with 403 REQUEST_LIMIT_EXCEEDED; only the message tells the
# daily allocation ("TotalRequests Limit exceeded.": stop until tomorrow) from the concurrent long-request
# limit ("ConcurrentRequests (Concurrent API Requests) Limit exceeded.": wait and try again).
SALESFORCE_LIMIT_CODE = "REQUEST_LIMIT_EXCEEDED"
SALESFORCE_DAILY_LIMIT_TEXT = "TotalRequests"
# The transient failures worth sending again within the same call (the rest wait for the next run).
RETRYABLE_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "RATE_LIMIT", "SERVER_UNAVAILABLE", "CONNECTION_ERROR"})
assert RETRYABLE_CODES <= TRANSIENT_CODES


@dataclass
class CrmError(Exception):
    crm: str
    code: str
    message: str
    status: int | None = None
    fields: list[str] = field(default_factory=list)
    retry_after_s: float | None = None

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status else ""
        return f"{self.crm} {self.code}{where}: {self.message}"

    @property
    def daily_limit(self) -> bool:
        """The CRM's daily allowance is used up: nothing helps before it renews."""
        if self.code == "DAILY_LIMIT":
            return True
        return self.code == SALESFORCE_LIMIT_CODE and SALESFORCE_DAILY_LIMIT_TEXT in self.message

    @property
    def concurrency_limit(self) -> bool:
        """Salesforce's concurrent long-running request limit (a 403): free again once others finish."""
        return self.crm == "salesforce" and self.code == SALESFORCE_LIMIT_CODE and not self.daily_limit

    @property
    def retryable(self) -> bool:
        if self.daily_limit:
            return False
        return self.code in RETRYABLE_CODES or self.status in RETRYABLE_STATUSES or self.concurrency_limit


def from_hubspot(exc: Exception) -> CrmError:
    """Any of hubspot-api-client's per-package ApiExceptions (they share no base class but Exception)."""
    status = getattr(exc, "status", None)
    body = _json(getattr(exc, "body", None))
    headers = dict(getattr(exc, "headers", None) or {})
    if isinstance(body, dict):
        code = body.get("category") or body.get("errorType") or "UNKNOWN"
        if body.get("policyName") == "DAILY":
            code = "DAILY_LIMIT"
        elif status == 429:
            code = "RATE_LIMIT"
        message = str(body.get("message", ""))
    else:
        code, message = (
            ("RATE_LIMIT" if status == 429 else f"HTTP_{status}"),
            str(getattr(exc, "reason", exc)),
        )
    return CrmError("hubspot", code, message, status, retry_after_s=_retry_after(headers))


def from_salesforce(exc: SalesforceError) -> CrmError:
    content = exc.content if not isinstance(exc.content, bytes | str) else _json(exc.content)
    first: dict[str, Any] = (
        content[0] if isinstance(content, list) and content and isinstance(content[0], dict) else {}
    )
    code = first.get("errorCode") or first.get("statusCode") or f"HTTP_{exc.status}"
    return CrmError(
        "salesforce",
        str(code),
        str(first.get("message", exc.content)),
        exc.status,
        list(first.get("fields") or []),
    )


def from_connection(crm: str, exc: Exception) -> CrmError:
    return CrmError(crm, "CONNECTION_ERROR", type(exc).__name__)


CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    urllib3.exceptions.HTTPError,
    ConnectionError,
)


def _json(raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def _retry_after(headers: dict[str, str]) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
