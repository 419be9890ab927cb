"""`crmsync check`, access part: each side's token works, the HubSpot token may read every mapped object
(and the lists inclusion rules name), and the Salesforce user may query, create and edit each mapped
sObject and edit each field crmsync writes. A finding names the object or mapping entry and what an admin
must grant, so it is fixed before a sync fails record by record with INSUFFICIENT_ACCESS_OR_READONLY or
MISSING_SCOPES."""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from typing import Any

from crmsync_pipeline.config import Direction, Mapping, ObjectPair
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.extract.lists import list_refs

from .field_access import PERMISSION_SET_LABEL

# directions under which crmsync writes the HubSpot value into Salesforce after the first link
EDITS_SALESFORCE = {
    Direction.TWO_WAY,
    Direction.PREFER_HUBSPOT,
    Direction.PREFER_SALESFORCE,
    Direction.ALWAYS_HUBSPOT,
    Direction.RESOLVER,
}
NEVER_WRITES_SALESFORCE = {Direction.ALWAYS_SALESFORCE, Direction.NONE}
STANDARD_SCOPES = {"contacts", "companies", "deals"}
AUTH_CODES = {"INVALID_AUTHENTICATION", "INVALID_SESSION_ID", "EXPIRED_AUTHENTICATION"}


@dataclass
class AccessReport:
    problems: list[str] = field(default_factory=list)
    tokens_work: bool = True
    unreadable_pairs: set[str] = field(
        default_factory=set
    )  # pairs with an sObject Salesforce refused to describe


def access_problems(mapping: Mapping, hubspot: Any, salesforce: Any, visibility: Any = None) -> AccessReport:
    """`visibility` (setup/field_access.FieldVisibility) adds the needed custom fields that exist but are
    hidden from the integration user to each describe, so they are named as a grant, not as missing."""
    report = AccessReport()
    if _hubspot_token_works(mapping, hubspot, report):
        for pair_name in mapping.active_pairs():
            _hubspot_scopes(pair_name, mapping.pair(pair_name), hubspot, report)
    if _salesforce_token_works(salesforce, report):
        for pair_name in mapping.active_pairs():
            pair = mapping.pair(pair_name)
            for sobject in pair.salesforce:
                try:
                    describe = salesforce.describe(sobject)
                    if visibility is not None:
                        describe = {**describe, "fields": list(visibility.fields(sobject).values())}
                except CrmError as err:
                    report.problems.append(_salesforce_refusal(f"objects.{pair_name}", sobject, err))
                    report.unreadable_pairs.add(pair_name)
                    continue
                report.problems += salesforce_rights(pair_name, pair, sobject, describe)
    return report


def readable_only(mapping: Mapping, report: AccessReport) -> Mapping:
    """The mapping with the pairs whose objects Salesforce refused set aside (paused), for the checks that
    need every object's describe: their refusal is the finding."""
    objects = {
        name: pair.model_copy(update={"paused": True}) if name in report.unreadable_pairs else pair
        for name, pair in mapping.objects.items()
    }
    return mapping.model_copy(update={"objects": objects})


def salesforce_rights(
    pair_name: str, pair: ObjectPair, sobject: str, describe: MappingType[str, Any]
) -> list[str]:
    """What the integration user lacks on one sObject, from its describe (object and field flags)."""
    out: list[str] = []
    creates = pair.create.in_salesforce and sobject in {
        pair.salesforce_object_to_create(False),
        pair.salesforce_object_to_create(True),
    }
    mapped = [(i, f) for i, f in enumerate(pair.fields) if f.applies_to(sobject)]
    edits = any(f.direction in EDITS_SALESFORCE for _, f in mapped)
    for needed, flag, why in (
        ("Read", "queryable", True),
        ("Create", "createable", creates),
        ("Edit", "updateable", edits),
    ):
        if why and not describe.get(flag, False):
            out.append(
                f"objects.{pair_name}: the Salesforce user may not {needed.lower()} {sobject} records "
                f"(INSUFFICIENT_ACCESS_OR_READONLY): an admin must grant the '{needed}' object permission "
                f"on {sobject} in the user's profile or a permission set"
            )
    fields = {f["name"]: f for f in describe.get("fields", [])}
    for i, mapped_field in mapped:
        meta = fields.get(mapped_field.salesforce)
        entry = f"objects.{pair_name}.fields[{i}] ({mapped_field.hubspot} <-> {mapped_field.salesforce})"
        if meta is not None and meta.get("hidden"):  # even a field crmsync only reads must be visible
            out.append(_field_finding(entry, sobject, meta, "read"))
            continue
        if meta is None or mapped_field.direction in NEVER_WRITES_SALESFORCE:
            continue  # a missing field is the schema check's finding
        edit = mapped_field.direction in EDITS_SALESFORCE and not meta.get("updateable")
        create = creates and not meta.get("createable")
        if edit or create:
            out.append(_field_finding(entry, sobject, meta, "edit" if edit else "create"))
    xref = fields.get(pair.xref.salesforce_field)
    if xref is not None and not (xref.get("updateable") and xref.get("createable")):
        out.append(_field_finding("cross_reference.salesforce_field", sobject, xref, "edit"))
    for association in pair.associations:
        meta = fields.get(association.salesforce_field or "")
        if (
            meta is not None
            and (association.salesforce_objects is None or sobject in association.salesforce_objects)
            and association.direction not in NEVER_WRITES_SALESFORCE
            and not meta.get("updateable")
        ):
            out.append(
                _field_finding(
                    f"objects.{pair_name}.associations (to: {association.to})", sobject, meta, "edit"
                )
            )
    return out


def _field_finding(entry: str, sobject: str, meta: MappingType[str, Any], verb: str) -> str:
    name = f"{sobject}.{meta['name']}"
    if meta.get("hidden") and not meta.get("custom"):
        # a standard field a profile hides: `crmsync setup` grants only the custom fields it creates
        return (
            f"{entry}: Salesforce {name} is not visible to the integration user: grant field-level security "
            f"(an admin gives the integration user Read, and Edit where crmsync writes it, on {name} in its "
            f"profile or a permission set such as '{PERMISSION_SET_LABEL}'); until then every read or write "
            "naming it fails with INVALID_FIELD"
        )
    if meta.get("hidden"):
        return (
            f"{entry}: Salesforce {name} exists but the integration user cannot see it (field-level security; "
            "every read or write naming it would fail with INVALID_FIELD): run `crmsync setup`, which grants Read "
            "and Edit through the permission set 'CrmSync Integration', or have an admin grant Read and Edit on "
            "the field to the integration user (its profile or a permission set)"
        )
    if meta.get("calculated"):
        return (
            f"{entry}: Salesforce {name} is a formula field and can never be written: set its direction "
            "to always_salesforce or none"
        )
    return (
        f"{entry}: Salesforce {name} is read-only for the integration user, so crmsync cannot {verb} it "
        "(INSUFFICIENT_ACCESS_OR_READONLY / INVALID_FIELD_FOR_INSERT_UPDATE): an admin must grant Edit "
        "access to the field (field-level security in the user's profile or a permission set), or set "
        "the field's direction to always_salesforce"
    )


def _hubspot_token_works(mapping: Mapping, hubspot: Any, report: AccessReport) -> bool:
    pairs = mapping.active_pairs()
    try:
        hubspot.properties(mapping.pair(pairs[0]).hubspot if pairs else "contacts")
    except CrmError as err:
        if err.status == 401 or err.code in AUTH_CODES:
            report.tokens_work = False
            report.problems.append(
                f"HubSpot refused the access token ({err.code}): check HUBSPOT_ACCESS_TOKEN (a private app's "
                "token, not its client secret)"
            )
            return False
        if err.status != 403:  # a 403 is a scope, checked per object next
            report.tokens_work = False
            report.problems.append(f"HubSpot could not be checked: {err}")
            return False
    return True


def _hubspot_scopes(pair_name: str, pair: ObjectPair, hubspot: Any, report: AccessReport) -> None:
    # HubSpot has no cheap "which scopes has this token" call for private apps' static tokens that the
    # client wraps; a one-record read answers 403 MISSING_SCOPES when the read scope is missing.
    try:
        hubspot.first_record(pair.hubspot)
    except CrmError as err:
        if err.status != 403:
            raise
        scopes = (
            f"the scopes crm.objects.{pair.hubspot}.read and crm.objects.{pair.hubspot}.write"
            if pair.hubspot in STANDARD_SCOPES
            else f"read and write scopes for {pair.hubspot}"
        )
        report.problems.append(
            f"objects.{pair_name}: the HubSpot token may not read {pair.hubspot} ({err.code}): an admin must "
            f"grant the private app {scopes}"
        )
        return
    for ref in list_refs(pair):
        try:
            hubspot.find_list(pair.hubspot, ref)
        except CrmError as err:
            if err.status != 403:
                raise
            report.problems.append(
                f"objects.{pair_name}.include.hubspot (in_list: {ref}): the HubSpot token may not read lists "
                f"({err.code}): an admin must grant the private app the scope crm.lists.read"
            )


def _salesforce_token_works(salesforce: Any, report: AccessReport) -> bool:
    try:
        salesforce.limits()
    except CrmError as err:
        if err.status in (401, 403) or err.code in AUTH_CODES:
            report.tokens_work = False
            report.problems.append(
                f"Salesforce refused the session ({err.code}): check SALESFORCE_ACCESS_TOKEN or the OAuth "
                "client credentials, and that the integration user has the 'API Enabled' permission"
            )
            return False
        report.tokens_work = False
        report.problems.append(f"Salesforce could not be checked: {err}")
        return False
    return True


def _salesforce_refusal(entry: str, sobject: str, err: CrmError) -> str:
    if err.code in (
        "NOT_FOUND",
        "INVALID_TYPE",
    ):  # how Salesforce answers for an object the user may not read
        return (
            f"{entry}: Salesforce does not show {sobject} to the integration user ({err.code}): an admin must "
            f"grant the 'Read' object permission on {sobject} (with 'Create' and 'Edit' where crmsync writes it) "
            "in the user's profile or a permission set; if the object does not exist, fix the mapping"
        )
    return (
        f"{entry}: Salesforce refused to describe {sobject} ({err.code}): an admin must give the integration "
        f"user access to {sobject} (object permissions in its profile or a permission set)"
    )
