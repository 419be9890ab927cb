"""Every switch and limit of the HubSpot sandbox; persisted with the store, changed via `/_sandbox/settings`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..automation import AutomationRule


class HubSpotSettings(BaseModel):
    """Defaults mimic a Professional portal with a private-app token."""

    portal_id: int = 24_681_357
    access_tokens: list[str] = Field(default_factory=lambda: ["sandbox-token"])
    # the private app's scopes (hubspot/scopes.py); None: every scope the sandbox knows
    token_scopes: list[str] | None = None
    install_xref_properties: bool = True

    # rate limits (0 = that limit is off)
    rate_limits_enabled: bool = True
    burst_limit_per_10s: int = 190
    search_limit_per_second: int = 5
    daily_limit: int = 625_000
    send_retry_after: bool = False  # unconfirmed for the real API

    # search
    search_lag_seconds: float = 3.0
    search_accepts_string_sorts: bool = True  # [?] bare "createdate" / "-createdate" sort strings

    # batch endpoints (docs/sandbox.md, "Batch answers")
    # at most this many inputs in a batch read that asks for propertiesWithHistory (observed: 400
    # VALIDATION_ERROR "The maximum number of inputs supported in a batch request for property histories
    # is 50"); 0 = no cap of its own (the 100 of every batch still applies)
    history_read_max_inputs: int = 50
    # order of `results` in batch read/create/update/upsert answers: HubSpot documents none and batch
    # create answers in an order unrelated to the inputs (hubspot-api-nodejs#190); "input" is kinder
    batch_results_order: Literal["shuffled", "input"] = "shuffled"
    # [?] whether a result carries back the `objectWriteTraceId` its input sent (the spec lists the field
    # on SimplePublicObject; HubSpot's SDK maintainers said in 2023 that results cannot be mapped to inputs)
    echo_object_write_trace_id: bool = False

    # write rules
    lifecycle_backward: Literal["ignore", "reject"] = "ignore"

    # [?] whether the recycle bin's restore moves the record's modification time (`updatedAt` and
    # `lastmodifieddate` / `hs_lastmodifieddate`, so an incremental search on it finds the restored record).
    # HubSpot documents nothing; one user observed it set. False (the default) leaves both as they were,
    # the harder case for a sync: the restored record is found only by listing the recycle bin.
    restore_moves_modified: bool = False

    # merge ([?] in the reference)
    merge_assigns_new_id: bool = False
    merged_id_resolves_to_survivor: bool = True

    # workflows (docs/sandbox.md, "Automation rules"): rules, named presets (automation.PRESETS), the delay
    # before an enrolment runs, and how its write is stamped in property history
    automation_rules: list[AutomationRule] = Field(default_factory=list)
    automation_presets: list[str] = Field(default_factory=list)
    workflow_delay_s: float = 0.0
    workflow_source_type: str = "AUTOMATION_PLATFORM"
    # [?] sourceId of a workflow's write: "enrollment" = "enrollmentId:N;actionExecutionIndex:0" (observed:
    # it names the enrolment, not the workflow); "workflow" = "workflowId:N" (kinder, unconfirmed)
    workflow_source_id: Literal["enrollment", "workflow"] = "enrollment"
