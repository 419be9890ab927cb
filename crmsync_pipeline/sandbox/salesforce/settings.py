"""Every switch and limit of the Salesforce sandbox (persisted; change at run time via
`POST /_sandbox/settings`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..automation import AutomationRule


class ValidationRule(BaseModel):
    """An org validation rule: `error_condition` is a SOQL WHERE condition; true rejects the record."""

    object: str
    error_condition: str
    message: str
    field: str | None = None
    active: bool = True


class DuplicateRule(BaseModel):
    """Blocks a save when another live record matches on every listed field (case-insensitive)."""

    object: str
    fields: list[str]
    active: bool = True
    name: str | None = None


class AssignmentRuleSetting(BaseModel):
    """A Lead assignment rule (Setup > Lead Assignment Rules): on a REST create or update that does not send
    `Sforce-Auto-Assign: FALSE`, the active rule's first entry whose `condition` (a SOQL WHERE condition;
    none: every record) matches sets OwnerId to `assign_to` (a user id, username or alias). At most one
    rule per object is active, as in Salesforce."""

    name: str
    object: str = "Lead"
    active: bool = True
    assign_to: str
    condition: str | None = None


def _default_rules() -> list[ValidationRule]:
    return [
        ValidationRule(
            object="Lead",
            error_condition="Phone != null AND LEN(Phone) < 7",
            message="Phone number must have at least 7 characters.",
            field="Phone",
        )
    ]


class SalesforceSettings(BaseModel):
    # OAuth
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    username: str = "integration@sandbox.crmsync.dev"
    password: str = "sandbox-password"
    security_token: str = ""
    refresh_token: str = "sandbox-refresh-token"
    static_token: str = "sandbox-token"
    session_ttl_seconds: int = 7200
    # limits
    daily_api_limit: int = Field(100_000, description="0 disables the limit")
    query_page_size: int = 2000
    query_locator_ttl_s: float = 900.0
    query_all_next_url_uses_query_all: bool = Field(False, description="queryAll nextRecordsUrl path [B]")
    bulk_processing_delay_s: float = 0.2
    soql: dict[str, bool] = Field(
        default_factory=dict, description="SoqlOptions overrides, e.g. desc_nulls_last"
    )
    # metadata
    install_xref_fields: bool = True
    can_customize: bool = True
    # validation switches (the reference marks several of these unconfirmed)
    case_insensitive_field_names: bool = True
    restricted_picklists: dict[str, list[str]] = Field(default_factory=lambda: {"Opportunity": ["StageName"]})
    validation_rules: list[ValidationRule] = Field(default_factory=_default_rules)
    duplicate_rules: list[DuplicateRule] = Field(
        default_factory=lambda: [
            DuplicateRule(object="Lead", fields=["Email"], name="Standard_Lead_Duplicate_Rule")
        ]
    )
    read_only_fields: dict[str, list[str]] = Field(default_factory=dict)
    # the integration user's profile: fields its field-level security makes read-only (describe shows them
    # neither createable nor updateable; writes answer INVALID_FIELD_FOR_INSERT_UPDATE), and object
    # permissions it lacks ("read", "create", "edit", "delete"; describe flags, writes answer
    # INSUFFICIENT_ACCESS_OR_READONLY)
    profile_read_only_fields: dict[str, list[str]] = Field(default_factory=dict)
    profile_denied_object_permissions: dict[str, list[str]] = Field(default_factory=dict)
    read_only_record_ids: list[str] = Field(default_factory=list)
    # field-level security (docs/sandbox.md, "Permissions"): a custom field created through the Tooling API
    # grants no profile access, so the integration user cannot see it until a FieldPermissions row of a
    # permission set assigned to it grants Read (and Edit); `profile_hidden_fields` hides standard fields the
    # same way. `can_manage_permissions` False: the user may not create permission sets, field/object
    # permissions or assignments (INSUFFICIENT_ACCESS_OR_READONLY), as without "Manage Profiles and
    # Permission Sets" / "Assign Permission Sets".
    new_fields_need_permission: bool = True
    profile_hidden_fields: dict[str, list[str]] = Field(default_factory=dict)
    can_manage_permissions: bool = True
    # Tooling queries of setup objects (ValidationRule, CustomField): need "View Setup and Configuration"
    can_view_setup: bool = True
    # Lead assignment rules, readable as AssignmentRule rows (SOQL)
    assignment_rules: list[AssignmentRuleSetting] = Field(default_factory=list)
    block_converted_lead_updates: bool = True
    upsert_update_returns_body: bool = Field(True, description="API >= 46: 200 + JSON; False: 204 (older)")
    insufficient_access_status: int = Field(400, description="HTTP status of INSUFFICIENT_ACCESS_OR_READONLY")
    # org automation (docs/sandbox.md, "Automation rules"): rules that rewrite fields on save, named presets
    # of rules (automation.PRESETS), and the delay before an automated_process rule's own save
    automation_rules: list[AutomationRule] = Field(default_factory=list)
    automation_presets: list[str] = Field(default_factory=list)
    automation_delay_s: float = Field(0.0, description="seconds before automated_process rules save")
    # API behaviour (docs/sandbox.md, "Salesforce API truths")
    stamp_precision: Literal["second", "millisecond"] = Field(
        "second", description="SystemModstamp/LastModifiedDate/CreatedDate resolution"
    )
    bulk_results_order: Literal["shuffled", "input"] = Field(
        "shuffled", description="row order of Bulk 2.0 ingest result files (not promised by Salesforce)"
    )
    bulk_in_progress_polls: int = Field(
        1, ge=0, description="job-info reads that see InProgress before a Bulk 2.0 job may finish"
    )
    bulk_api_hard_delete: bool = Field(
        False, description="the integration user holds the 'Bulk API Hard Delete' permission"
    )
    missing_id_error: Literal["INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"] = Field(
        "INVALID_CROSS_REFERENCE_KEY",
        description="record-level code for a well-formed id with no record, in collections and Bulk [B]",
    )
    collection_create_failure_id: str = Field(
        "omit", description="'omit' or 'null': id key on failed creates"
    )
