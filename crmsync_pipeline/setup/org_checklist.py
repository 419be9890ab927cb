"""`crmsync check`, first-contact checklist: what a careful admin verifies before the first real sync,
beyond the mapping and field access. Each finding says what it means for the sync and what to do:

- API limits left today (Salesforce `/limits`; HubSpot's `X-HubSpot-RateLimit-Daily[-Remaining]`, sent to
  private apps) and the expected API cost of the first sync against them;
- Salesforce org automation that changes or refuses crmsync's saves: active Lead assignment rules
  (AssignmentRule), active duplicate rules (DuplicateRule) and validation rules (Tooling ValidationRule, read
  where the user may: "View Setup and Configuration").

Findings are grouped; only a limit that cannot carry the first sync is a problem, the rest are warnings or
facts (`ok`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hubspot.crm.objects import PublicObjectSearchRequest

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.connectors.errors import CrmError

from .salesforce_org import OrgCalls, soql_quote

# page sizes the first sync uses (extract/, write/): REST SOQL pages, HubSpot list pages, collection and
# batch writes; a first sync reads everything and, at worst (nothing matches), creates every record on the
# other side and writes each created id back as the cross-reference
SALESFORCE_QUERY_PAGE, HUBSPOT_PAGE = 2000, 100
SALESFORCE_WRITE_BATCH, HUBSPOT_WRITE_BATCH = 200, 100
LOW_SHARE = 0.10  # a daily allowance below this share left is worth a warning


@dataclass(frozen=True)
class Finding:
    group: str
    text: str
    level: str = "ok"  # ok | warning | problem


@dataclass(frozen=True)
class FirstSyncCost:
    salesforce_calls: int
    hubspot_calls: int
    salesforce_records: int
    hubspot_records: int


def org_checklist(mapping: Mapping, hubspot: Any, salesforce: Any, org: OrgCalls) -> list[Finding]:
    findings: list[Finding] = []
    salesforce_left = _salesforce_limits(salesforce, findings)
    hubspot_left = _hubspot_limits(mapping, hubspot, findings)
    cost = first_sync_cost(mapping, hubspot, salesforce, findings)
    if cost is not None:
        findings += _cost_findings(cost, salesforce_left, hubspot_left)
    findings += _hubspot_scopes(mapping, hubspot)
    findings += _assignment_rules(mapping, org)
    findings += _duplicate_rules(mapping, org)
    findings += _validation_rules(mapping, org)
    return findings


# ---- limits ---------------------------------------------------------------------------------------
def _salesforce_limits(salesforce: Any, findings: list[Finding]) -> int | None:
    try:
        daily = salesforce.limits().get("DailyApiRequests") or {}
    except CrmError as err:
        findings.append(
            Finding("API limits", f"Salesforce /limits could not be read ({err.code})", "warning")
        )
        return None
    left, allowed = int(daily.get("Remaining", 0)), int(daily.get("Max", 0))
    level = (
        "problem" if allowed and left == 0 else "warning" if allowed and left < allowed * LOW_SHARE else "ok"
    )
    findings.append(Finding("API limits", f"Salesforce: {left:,} of {allowed:,} API calls left today", level))
    return left


def _hubspot_limits(mapping: Mapping, hubspot: Any, findings: list[Finding]) -> int | None:
    pairs = mapping.active_pairs()
    object_type = mapping.pair(pairs[0]).hubspot if pairs else "contacts"
    try:
        answer = hubspot.call(
            f"{object_type}.list",
            hubspot.client.crm.objects.basic_api.get_page_with_http_info,
            object_type,
            limit=1,
        )
    except CrmError as err:
        findings.append(Finding("API limits", f"HubSpot usage could not be read ({err.code})", "warning"))
        return None
    headers = {k.lower(): v for k, v in dict(answer[2] or {}).items()}
    if "x-hubspot-ratelimit-daily-remaining" not in headers:
        findings.append(Finding("API limits", "HubSpot: no daily limit reported for this token (OAuth apps "
                                "have only the burst limit)"))  # fmt: skip
        return None
    left, allowed = (
        int(headers["x-hubspot-ratelimit-daily-remaining"]),
        int(headers["x-hubspot-ratelimit-daily"]),
    )
    level = "problem" if left == 0 else "warning" if left < allowed * LOW_SHARE else "ok"
    findings.append(Finding("API limits", f"HubSpot: {left:,} of {allowed:,} API calls left today", level))
    return left


# ---- first sync cost ------------------------------------------------------------------------------
def first_sync_cost(
    mapping: Mapping, hubspot: Any, salesforce: Any, findings: list[Finding]
) -> FirstSyncCost | None:
    """Calls the first sync needs at most: every record read once, and each record created on the other side
    with its id written back (nothing matched). Counting costs one call per object on each side."""
    sf_calls = hs_calls = sf_records = hs_records = 0
    try:
        for name in mapping.active_pairs():
            pair = mapping.pair(name)
            hs = _hubspot_total(hubspot, pair.hubspot)
            counts = [salesforce.count(s) for s in pair.salesforce]
            sf = sum(counts)
            hs_records, sf_records = hs_records + hs, sf_records + sf
            # a describe and the query pages of each sObject; the HubSpot properties and the list pages
            sf_calls += sum(1 + max(1, math.ceil(n / SALESFORCE_QUERY_PAGE)) for n in counts)
            hs_calls += 1 + max(1, math.ceil(hs / HUBSPOT_PAGE))
            if pair.create.in_salesforce:
                sf_calls += math.ceil(hs / SALESFORCE_WRITE_BATCH)
                hs_calls += math.ceil(hs / HUBSPOT_WRITE_BATCH)  # the new Salesforce id written back
            if pair.create.in_hubspot:
                hs_calls += math.ceil(sf / HUBSPOT_WRITE_BATCH)
                sf_calls += math.ceil(sf / SALESFORCE_WRITE_BATCH)
    except CrmError as err:
        findings.append(Finding("First sync", f"record counts could not be read ({err.code})", "warning"))
        return None
    return FirstSyncCost(sf_calls, hs_calls, sf_records, hs_records)


def _hubspot_total(hubspot: Any, object_type: str) -> int:
    page = hubspot.call(
        f"{object_type}.search",
        hubspot.client.crm.objects.search_api.do_search,
        object_type,
        PublicObjectSearchRequest(limit=1, properties=["hs_object_id"]),
    )
    return int(page.total or 0)


def _cost_findings(
    cost: FirstSyncCost, salesforce_left: int | None, hubspot_left: int | None
) -> list[Finding]:
    out = [Finding("First sync", f"{cost.hubspot_records:,} HubSpot and {cost.salesforce_records:,} Salesforce "
                   f"records: at most ~{cost.salesforce_calls:,} Salesforce and ~{cost.hubspot_calls:,} HubSpot "
                   "calls (every record read, unmatched ones created on the other side)")]  # fmt: skip
    for crm, needed, left in (("Salesforce", cost.salesforce_calls, salesforce_left),
                              ("HubSpot", cost.hubspot_calls, hubspot_left)):  # fmt: skip
        if left is not None and needed > left:
            out.append(Finding("First sync", f"{crm}: the first sync may need ~{needed:,} calls but {left:,} are "
                               "left today: run it after the daily reset, or cap it (CRMSYNC_"
                               f"{crm.upper()}_DAILY_CAP) and let it resume over several days", "problem"))  # fmt: skip
    return out


# ---- HubSpot token scopes -------------------------------------------------------------------------
TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"  # HubSpot "Private apps"
SCOPED_TYPES = ("contacts", "companies", "deals")  # types whose scopes are crm.objects.<type>.read/write


def needed_scopes(mapping: Mapping) -> list[str]:
    """The private-app scopes the mapping needs: read and write on each synced standard object (crmsync
    creates and updates on both sides), lists where inclusion rules name one."""
    from crmsync_pipeline.extract.lists import list_refs

    needed: list[str] = []
    for name in mapping.active_pairs():
        pair = mapping.pair(name)
        if pair.hubspot in SCOPED_TYPES:
            needed += [f"crm.objects.{pair.hubspot}.read", f"crm.objects.{pair.hubspot}.write"]
        if list_refs(pair):
            needed.append("crm.lists.read")
    return list(dict.fromkeys(needed))


def _hubspot_scopes(mapping: Mapping, hubspot: Any) -> list[Finding]:
    token = hubspot.client.config.get("access_token")
    answer = hubspot.call(
        "oauth.token_info",
        lambda: hubspot.client.api_request(
            {"method": "POST", "path": TOKEN_INFO_PATH, "body": {"tokenKey": token}}
        ),
    )
    if answer.status_code != 200:  # an OAuth token, or introspection refused: the read probes still ran
        return [Finding("HubSpot token", f"scopes could not be read (HTTP {answer.status_code}); only read access "
                        "was probed, so a missing write scope shows up at the first write (403 MISSING_SCOPES)",
                        "warning")]  # fmt: skip
    granted = set(answer.json().get("scopes") or [])
    missing = [s for s in needed_scopes(mapping) if s not in granted]
    if not missing:
        return [
            Finding(
                "HubSpot token", f"the private app has every scope the mapping needs ({len(granted)} granted)"
            )
        ]
    return [Finding("HubSpot token", f"the private app lacks {', '.join(missing)}: crmsync's calls needing them "
                    "fail with 403 MISSING_SCOPES; add them in HubSpot (Settings > Integrations > Private Apps > "
                    "Scopes) and update HUBSPOT_ACCESS_TOKEN if the token changes", "problem")]  # fmt: skip


# ---- org automation -------------------------------------------------------------------------------
def _synced_sobjects(mapping: Mapping) -> list[str]:
    return list(dict.fromkeys(s for name in mapping.active_pairs() for s in mapping.pair(name).salesforce))


def _in(values: Iterable[str]) -> str:
    return ", ".join(soql_quote(v) for v in values)


def _assignment_rules(mapping: Mapping, org: OrgCalls) -> list[Finding]:
    objects = [s for s in _synced_sobjects(mapping) if s in ("Lead", "Case", "Account")]
    if not objects:
        return []
    try:
        rules = org.query(
            f"SELECT Id, Name, SobjectType FROM AssignmentRule WHERE Active = true AND SobjectType IN ({_in(objects)})"
        )
    except CrmError as err:
        return [
            Finding("Salesforce automation", f"assignment rules could not be read ({err.code})", "warning")
        ]
    if mapping.salesforce.assignment_rules:
        return [Finding("Salesforce automation", f"{r['SobjectType']} assignment rule '{r['Name']}' is active and "
                        "runs on crmsync's creates and updates (salesforce.assignment_rules: true): it may change "
                        "OwnerId after crmsync wrote it, and a two-way owner mapping then carries its owner to "
                        "HubSpot; set assignment_rules: false to keep crmsync's owner", "warning") for r in rules]  # fmt: skip
    return [Finding("Salesforce automation", f"{r['SobjectType']} assignment rule '{r['Name']}' is active: crmsync "
                    "sends Sforce-Auto-Assign: FALSE, so it does not reassign records crmsync creates or updates "
                    "(they keep the synced owner, else the integration user); set `salesforce: {assignment_rules: "
                    "true}` in the mapping to let it route them", "warning") for r in rules]  # fmt: skip


def _duplicate_rules(mapping: Mapping, org: OrgCalls) -> list[Finding]:
    objects = _synced_sobjects(mapping)
    try:
        rules = org.query(
            "SELECT DeveloperName, MasterLabel, SobjectType FROM DuplicateRule "
            f"WHERE IsActive = true AND SobjectType IN ({_in(objects)})"
        )
    except CrmError as err:
        return [
            Finding("Salesforce automation", f"duplicate rules could not be read ({err.code})", "warning")
        ]
    return [Finding("Salesforce automation", f"{r['SobjectType']} duplicate rule '{r['DeveloperName']}' is active: "
                    f"a {r['SobjectType']} crmsync creates that it calls a duplicate fails with DUPLICATES_DETECTED "
                    "(see `crmsync errors`); give the mapping a match key on the rule's fields so the existing "
                    "record is linked instead", "warning") for r in rules]  # fmt: skip


def _validation_rules(mapping: Mapping, org: OrgCalls) -> list[Finding]:
    objects = _synced_sobjects(mapping)
    try:
        rules = org.tooling_query(
            "SELECT ValidationName, EntityDefinitionId, ErrorDisplayField, ErrorMessage FROM ValidationRule "
            f"WHERE Active = true AND EntityDefinitionId IN ({_in(objects)})"
        )
    except CrmError as err:
        return [Finding("Salesforce automation", f"validation rules could not be read through the Tooling API "
                        f"({err.code}): give the integration user 'View Setup and Configuration', or ask an admin "
                        "which active rules on " + ", ".join(objects) + " could refuse a create", "warning")]  # fmt: skip
    out = []
    for r in rules:
        where = (
            f"{r['EntityDefinitionId']}.{r['ErrorDisplayField']}"
            if r.get("ErrorDisplayField")
            else r["EntityDefinitionId"]
        )
        out.append(Finding("Salesforce automation", f"validation rule '{r['ValidationName']}' on {where} refuses "
                           f"saves with \"{r['ErrorMessage']}\": HubSpot records that break it fail with "
                           "FIELD_CUSTOM_VALIDATION_EXCEPTION (see `crmsync errors`); fix them in HubSpot or exempt "
                           "the integration user in the rule", "warning"))  # fmt: skip
    return out
