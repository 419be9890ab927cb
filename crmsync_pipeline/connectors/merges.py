"""Merging two records of one CRM, as a person would in its UI. HubSpot through hubspot-api-client's
`crm.<object>.basic_api.merge` (contacts, companies, deals, tickets: the generic objects API has no
merge). Salesforce only merges through its SOAP API (`merge()`, Account/Contact/Lead): simple-salesforce
has no call for it, so the envelope is posted on the client's own session (same instance URL, session id
and requests.Session, so the sandbox's plain-http adapter applies). Every call goes through the
connector's CrmCaller; failures raise CrmError with the CRM's own code (ENTITY_IS_DELETED, ...)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from .errors import CrmError
from .hubspot import HubSpotConnector
from .salesforce import SalesforceConnector

HUBSPOT_MERGEABLE = ("contacts", "companies", "deals", "tickets")
SALESFORCE_MERGEABLE = ("Account", "Contact", "Lead")
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
# A SOAP fault is HTTP 500 whatever its cause; only these codes are worth another try.
RETRYABLE_FAULTS = frozenset({"SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"})


@dataclass(frozen=True)
class MergeAnswer:
    survivor_id: str
    merged_ids: list[str] = field(default_factory=list)
    related_ids: list[str] = field(default_factory=list)  # children re-parented to the survivor


def hubspot_merge(
    connector: HubSpotConnector, object_type: str, primary_id: str, other_id: str
) -> MergeAnswer:
    """Merge `other_id` into `primary_id`; the survivor's id may be new (HubSpot may assign one)."""
    if object_type not in HUBSPOT_MERGEABLE:
        raise CrmError(
            "hubspot", "MERGE_NOT_SUPPORTED", f"HubSpot {object_type} cannot be merged through the API"
        )
    package = importlib.import_module(f"hubspot.crm.{object_type}")
    api = getattr(connector.client.crm, object_type).basic_api
    survivor = connector.call(
        f"{object_type}.merge",
        api.merge,
        package.PublicMergeInput(primary_object_id=primary_id, object_id_to_merge=other_id),
    )
    return MergeAnswer(str(survivor.id), [other_id])


def salesforce_merge(
    connector: SalesforceConnector, sobject: str, master_id: str, loser_ids: list[str]
) -> MergeAnswer:
    """Merge up to two records into `master_id` (the master keeps its own field values)."""
    if sobject not in SALESFORCE_MERGEABLE:
        raise CrmError("salesforce", "INVALID_TYPE", f"Merge is not supported for entity type {sobject}")

    def post() -> MergeAnswer:
        sf = connector.sf
        answer = sf.session.post(
            f"https://{sf.sf_instance}/services/Soap/u/{sf.sf_version}",
            data=merge_envelope(sf.session_id, sobject, master_id, loser_ids),
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
            timeout=120,
        )
        return read_merge_response(answer.status_code, answer.content)

    return connector.call(f"{sobject}.soap.merge", post)


def merge_envelope(session_id: str, sobject: str, master_id: str, loser_ids: list[str]) -> bytes:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    header = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Header"), f"{{{PARTNER}}}SessionHeader")
    ET.SubElement(header, f"{{{PARTNER}}}sessionId").text = session_id
    call = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{PARTNER}}}merge")
    request = ET.SubElement(call, f"{{{PARTNER}}}request")
    master = ET.SubElement(request, f"{{{PARTNER}}}masterRecord")
    ET.SubElement(master, f"{{{SOBJECT}}}type").text = sobject
    ET.SubElement(master, f"{{{SOBJECT}}}Id").text = master_id
    for rid in loser_ids:
        ET.SubElement(request, f"{{{PARTNER}}}recordToMergeIds").text = rid
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _texts(element: ET.Element, name: str) -> list[str]:
    return [(c.text or "").strip() for c in element if _local(c.tag) == name]


def read_merge_response(status: int, content: bytes) -> MergeAnswer:
    """The first result of a mergeResponse; a fault or a failed result raises CrmError with its code."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        raise CrmError(
            "salesforce", f"HTTP_{status}", content[:200].decode(errors="replace"), status
        ) from None
    found: dict[str, Any] = {_local(e.tag): e for e in root.iter() if _local(e.tag) in ("Fault", "result")}
    if "Fault" in found:
        fault = found["Fault"]
        code = next((_texts(fault, n)[0] for n in ("faultcode",) if _texts(fault, n)), "UNKNOWN_EXCEPTION")
        code = code.split(":", 1)[-1]
        message = (_texts(fault, "faultstring") or [""])[0]
        status_for = 401 if code == "INVALID_SESSION_ID" else (503 if code in RETRYABLE_FAULTS else 400)
        raise CrmError("salesforce", code, message, status_for)
    result = found.get("result")
    if result is None:
        raise CrmError("salesforce", "MISSING_RESULT", "mergeResponse without a result", status)
    if _texts(result, "success") != ["true"]:
        error = next((e for e in result if _local(e.tag) == "errors"), None)
        code = (
            (_texts(error, "statusCode") or ["UNKNOWN_EXCEPTION"])[0]
            if error is not None
            else "UNKNOWN_EXCEPTION"
        )
        message = (_texts(error, "message") or [""])[0] if error is not None else ""
        fields = _texts(error, "fields") if error is not None else []
        raise CrmError("salesforce", code, message, 400, fields)
    return MergeAnswer(
        _texts(result, "id")[0], _texts(result, "mergedRecordIds"), _texts(result, "updatedRelatedIds")
    )
