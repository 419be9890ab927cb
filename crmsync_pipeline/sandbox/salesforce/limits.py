"""The daily API allocation (`Sforce-Limit-Info`, 403 REQUEST_LIMIT_EXCEEDED) and `/limits`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..emulator import ApiError
from ..ratelimit import DailyAllocation
from .rest import Call, Reply, RouteTable

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

USAGE_KEY = "api_usage"
STATIC_LIMITS = {
    "ActiveScratchOrgs": 3, "AnalyticsExternalDataSizeMB": 40960, "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentSyncReportRuns": 20, "DailyAsyncApexExecutions": 250000, "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562, "DailyBulkV2QueryJobs": 10000, "DailyDurableStreamingApiEvents": 10000,
    "DailyStreamingApiEvents": 10000, "DailyWorkflowEmails": 2000000, "DataStorageMB": 1024,
    "FileStorageMB": 5120, "HourlyODataCallout": 10000, "HourlyTimeBasedWorkflow": 1000, "MassEmail": 5000,
    "SingleEmail": 5000, "StreamingApiConcurrentClients": 2000,
}  # fmt: skip


class ApiAllocation:
    """Counts API requests against `daily_api_limit`; the count survives restarts via the store."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org
        saved = org.store.meta(USAGE_KEY, {})
        self.daily = DailyAllocation(org.settings.daily_api_limit, int(saved.get("used", 0)))
        if saved.get("day") and saved["day"] != self.daily._day:
            self.daily.used = 0

    def acquire(self) -> None:
        self.daily.limit = self.org.settings.daily_api_limit
        if self.daily.limit > 0 and self.daily.used >= self.daily.limit:
            raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.daily.acquire()
        self.org.store.set_meta(USAGE_KEY, {"day": self.daily._day, "used": self.daily.used})

    def reset(self) -> None:
        self.daily.used = 0
        self.org.store.set_meta(USAGE_KEY, {"day": self.daily._day, "used": 0})

    def header(self) -> str:
        limit = self.org.settings.daily_api_limit
        return f"api-usage={self.daily.used}/{limit if limit > 0 else 5_000_000}"


class LimitsResource:
    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("GET", "/limits", self.limits)

    def limits(self, call: Call) -> Reply:
        limit = self.org.settings.daily_api_limit or 5_000_000
        used = self.org.allocation.daily.used
        body = {"DailyApiRequests": {"Max": limit, "Remaining": max(limit - used, 0)}}
        jobs = self.org.store.meta("bulk_query_jobs_today", 0)
        for name, cap in STATIC_LIMITS.items():
            remaining = cap - jobs if name == "DailyBulkV2QueryJobs" else cap
            body[name] = {"Max": cap, "Remaining": remaining}
        body["DailyBulkApiRequests"] = {"Max": 15000, "Remaining": 15000}
        return Reply(body=dict(sorted(body.items())))
