"""`crmsync setup`: make sure both CRMs hold the fields the mapping needs: the cross-reference fields
on every synced object and the custom Salesforce fields the mapping writes, and that the Salesforce
integration user may see and edit them (field-level security: setup/field_access.py). What crmsync may
create or grant it does (HubSpot Properties API, Salesforce Tooling API, a permission set); what it may not,
it spells out for an admin."""

from __future__ import annotations

from dataclasses import dataclass, field

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector

from .field_access import PERMISSION_SET_LABEL, FieldRef, admin_grant_text, grant_read_edit, hidden_fields
from .salesforce_org import OrgCalls


@dataclass
class SetupReport:
    present: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)
    for_an_admin: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.for_an_admin


def setup_fields(mapping: Mapping, hubspot: HubSpotConnector, salesforce: SalesforceConnector) -> SetupReport:
    report = SetupReport()
    org = OrgCalls(salesforce)
    needs_access: list[FieldRef] = []  # custom fields the integration user cannot see or edit yet
    for pair_name in mapping.active_pairs():
        pair = mapping.pair(pair_name)
        _hubspot_cross_reference(hubspot, pair.hubspot, pair.xref.hubspot_property, report)
        missing_hubspot = {f.hubspot for f in pair.fields} - {
            p["name"] for p in hubspot.properties(pair.hubspot)
        }
        for name in sorted(missing_hubspot):
            report.for_an_admin.append(
                f"HubSpot {pair.hubspot}: create the property '{name}' (the mapping "
                f"syncs it in pair '{pair_name}')"
            )
        for sobject in pair.salesforce:
            needs_access += _salesforce_fields(pair, sobject, salesforce, org, report)
    _grant(org, list(dict.fromkeys(needs_access)), report)
    return report


def _salesforce_fields(
    pair: ObjectPair, sobject: str, salesforce: SalesforceConnector, org: OrgCalls, report: SetupReport
) -> list[FieldRef]:
    """Create the custom fields missing on one sObject; answer those the user cannot see or edit (the
    ones just created, existing ones field-level security hides, and read-only ones)."""
    described = {f["name"]: f for f in salesforce.describe(sobject)["fields"]}
    wanted = {pair.xref.salesforce_field: _external_id(pair.xref.salesforce_field)}
    for mapped in pair.fields_for(sobject):
        if mapped.salesforce.endswith("__c"):
            wanted.setdefault(mapped.salesforce, _text_field(mapped.salesforce))
    hidden = hidden_fields(org, sobject, [n for n in wanted if n not in described])
    out = []
    for name, metadata in wanted.items():
        where = f"Salesforce {sobject}.{name}"
        if name in described:
            report.present.append(where)
            if (
                name.endswith("__c")
                and not described[name].get("updateable")
                and not described[name].get("calculated")
            ):
                out.append(FieldRef(sobject, name))
            continue
        if name in hidden:
            report.present.append(f"{where} (hidden from the integration user)")
            out.append(FieldRef(sobject, name))
            continue
        try:
            salesforce.create_custom_field(f"{sobject}.{name}", metadata)
            report.created.append(where)
            out.append(FieldRef(sobject, name))
        except CrmError as err:
            report.for_an_admin.append(
                f"{where}: create a {metadata['type']} field ({_describe(metadata)}); "
                f"crmsync could not: {err.code} {err.message}"
            )
    return out


def _grant(org: OrgCalls, fields: list[FieldRef], report: SetupReport) -> None:
    outcome = grant_read_edit(org, fields)
    if outcome.refused is not None:
        report.for_an_admin.append(admin_grant_text(fields, outcome.refused))
        return
    report.granted += [f"Salesforce {f.full}: Read/Edit via permission set '{PERMISSION_SET_LABEL}'"
                       for f in outcome.granted]  # fmt: skip


def _hubspot_cross_reference(
    hubspot: HubSpotConnector, object_type: str, name: str, report: SetupReport
) -> None:
    properties = hubspot.properties(object_type)
    where = f"HubSpot {object_type}.{name}"
    if any(p["name"] == name for p in properties):
        report.present.append(where)
        return
    group = properties[0]["group_name"] if properties else "crmsync"
    definition = {
        "name": name,
        "label": "Salesforce ID (crmsync)",
        "type": "string",
        "fieldType": "text",
        "groupName": group,
        "hasUniqueValue": True,
        "description": "The linked Salesforce record's id, written by crmsync.",
    }
    try:
        hubspot.create_property(object_type, definition)
        report.created.append(where)
    except CrmError as err:
        report.for_an_admin.append(
            f"{where}: create a single-line text property with unique values; crmsync could "
            f"not: {err.code} {err.message}"
        )


def _external_id(name: str) -> dict[str, object]:
    return {
        "type": "Text",
        "length": 40,
        "externalId": True,
        "unique": True,
        "caseSensitive": False,
        "label": "HubSpot ID (crmsync)",
        "description": "The linked HubSpot record's id, written by crmsync.",
    }


def _text_field(name: str) -> dict[str, object]:
    label = name.removesuffix("__c").replace("_", " ")
    return {"type": "Text", "length": 255, "label": label, "description": "Synced from HubSpot by crmsync."}


def _describe(metadata: dict[str, object]) -> str:
    return ", ".join(
        f"{k} {v}" for k, v in metadata.items() if k in ("length", "externalId", "unique", "label")
    )
