"""SOAP envelopes of the partner API (`/services/Soap/u/NN.0`) as far as the sandbox serves it: reading a
`merge` call and writing its `mergeResponse` or a fault. Plain xml.etree; elements are matched by local
name, since clients pick their own namespace prefixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


class SoapFault(Exception):
    """A request-level failure, answered as a SOAP fault (HTTP 500) carrying a Salesforce exception code."""

    def __init__(self, code: str, message: str, fault_type: str = "UnexpectedErrorFault"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fault_type = fault_type


@dataclass
class MergeRequest:
    sobject: str | None
    master_id: str | None
    loser_ids: list[str]
    field_values: dict[str, Any] = field(default_factory=dict)  # text values; None for fieldsToNull


@dataclass
class MergeCall:
    session_id: str
    requests: list[MergeRequest]


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if local(c.tag) == name), None)


def _is_nil(element: ET.Element) -> bool:
    return element.get(f"{{{XSI}}}nil") in ("true", "1")


def parse_merge_call(text: str | bytes) -> MergeCall:
    """The session id and merge requests of a SOAP envelope; SoapFault when it is not a merge call."""
    try:
        envelope = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SoapFault("INVALID_XML", f"Unable to parse the request: {exc}") from None
    if local(envelope.tag) != "Envelope":
        raise SoapFault("INVALID_XML", "The request is not a SOAP envelope")
    header, body = _child(envelope, "Header"), _child(envelope, "Body")
    session = _child(header, "SessionHeader") if header is not None else None
    session_id = _child(session, "sessionId") if session is not None else None
    call = next(iter(body), None) if body is not None else None
    if call is None:
        raise SoapFault("INVALID_XML", "The SOAP body is empty")
    if local(call.tag) != "merge":
        raise SoapFault(
            "UNKNOWN_EXCEPTION", f"The sandbox serves only merge over SOAP, not {local(call.tag)}"
        )
    requests = [_merge_request(r) for r in call if local(r.tag) == "request"]
    if not requests:
        raise SoapFault("INVALID_XML", "merge takes at least one request")
    token = (session_id.text or "").strip() if session_id is not None else ""
    return MergeCall(token, requests)


def _merge_request(element: ET.Element) -> MergeRequest:
    master = _child(element, "masterRecord")
    sobject, master_id, values = None, None, {}
    if master is not None:
        for item in master:
            name = local(item.tag)
            if name == "type":
                sobject = (item.text or "").strip() or None
            elif name == "Id":
                master_id = (item.text or "").strip() or None
            elif name == "fieldsToNull":
                values[(item.text or "").strip()] = None
            else:
                values[name] = None if _is_nil(item) else (item.text or "")
    losers = [(c.text or "").strip() for c in element if local(c.tag) == "recordToMergeIds"]
    return MergeRequest(sobject, master_id, losers, values)


def _envelope(body_child: ET.Element, default_namespace: str | None = None) -> bytes:
    ET.register_namespace("soapenv", SOAP_ENV)
    ET.register_namespace("xsi", XSI)
    ET.register_namespace("sf", FAULT_NS)
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body_child)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True, default_namespace=default_namespace)


def _text(parent: ET.Element, name: str, value: str | None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{PARTNER}}}{name}")
    if value is None:
        element.set(f"{{{XSI}}}nil", "true")
    else:
        element.text = value
    return element


@dataclass
class MergeResult:
    id: str | None
    merged_ids: list[str] = field(default_factory=list)
    updated_related_ids: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (statusCode, message, fields)


def merge_response(results: list[MergeResult]) -> bytes:
    response = ET.Element(f"{{{PARTNER}}}mergeResponse")
    for r in results:
        result = ET.SubElement(response, f"{{{PARTNER}}}result")
        for code, message, fields in r.errors:
            error = ET.SubElement(result, f"{{{PARTNER}}}errors")
            for name in fields:
                _text(error, "fields", name)
            _text(error, "message", message)
            _text(error, "statusCode", code)
        _text(result, "id", r.id)
        for rid in r.merged_ids:
            _text(result, "mergedRecordIds", rid)
        _text(result, "success", "false" if r.errors else "true")
        for rid in r.updated_related_ids:
            _text(result, "updatedRelatedIds", rid)
    return _envelope(response, PARTNER)


def fault(err: SoapFault) -> bytes:
    element = ET.Element(f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(element, "faultcode").text = f"sf:{err.code}"
    ET.SubElement(element, "faultstring").text = f"{err.code}: {err.message}"
    detail = ET.SubElement(ET.SubElement(element, "detail"), f"{{{FAULT_NS}}}{err.fault_type}")
    detail.set(f"{{{XSI}}}type", f"sf:{err.fault_type}")
    ET.SubElement(detail, f"{{{FAULT_NS}}}exceptionCode").text = err.code
    ET.SubElement(detail, f"{{{FAULT_NS}}}exceptionMessage").text = err.message
    return _envelope(element)
