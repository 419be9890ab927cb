"""The SOAP merge() call: envelope parsing, and merges over HTTP with simple-salesforce's own session."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from crmsync_pipeline.sandbox.salesforce.soap_xml import SoapFault, parse_merge_call

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:urn="urn:partner.soap.sforce.com" xmlns:urn1="urn:sobject.partner.soap.sforce.com"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soapenv:Header><urn:SessionHeader><urn:sessionId>{session}</urn:sessionId></urn:SessionHeader></soapenv:Header>
  <soapenv:Body>
    <urn:merge>
      <urn:request>
        <urn:masterRecord>
          <urn1:type>{sobject}</urn1:type>
          <urn1:Id>{master}</urn1:Id>
          {fields}
        </urn:masterRecord>
        {losers}
      </urn:request>
    </urn:merge>
  </soapenv:Body>
</soapenv:Envelope>"""


def envelope(master: str, losers: list[str], sobject: str = "Account", session: str = "sandbox-token",
             fields: str = "") -> str:  # fmt: skip
    ids = "".join(f"<urn:recordToMergeIds>{i}</urn:recordToMergeIds>" for i in losers)
    return ENVELOPE.format(session=session, sobject=sobject, master=master, fields=fields, losers=ids)


def test_parses_session_master_fields_and_losers() -> None:
    call = parse_merge_call(
        envelope(
            "001A",
            ["001B", "001C"],
            fields="<Phone>555 0101</Phone><urn:fieldsToNull>Website</urn:fieldsToNull>"
            '<Industry xsi:nil="true"/>',
        )  # fmt: skip
    )
    assert call.session_id == "sandbox-token"
    [request] = call.requests
    assert (request.sobject, request.master_id, request.loser_ids) == ("Account", "001A", ["001B", "001C"])
    assert request.field_values == {"Phone": "555 0101", "Website": None, "Industry": None}


@pytest.mark.parametrize(
    ("text", "code"),
    [("<not xml", "INVALID_XML"), ("<a/>", "INVALID_XML"),
     ('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><create/></e:Body></e:Envelope>',
      "UNKNOWN_EXCEPTION")],
)  # fmt: skip
def test_refuses_what_is_not_a_merge_call(text: str, code: str) -> None:
    with pytest.raises(SoapFault) as caught:
        parse_merge_call(text)
    assert caught.value.code == code


def post(sandbox: Any, body: str) -> requests.Response:
    sf = sandbox.client()
    return sf.session.post(f"https://{sf.sf_instance}/services/Soap/u/59.0", data=body.encode(),
                           headers={"Content-Type": "text/xml", "SOAPAction": '""'}, timeout=30)  # fmt: skip


def test_merge_deletes_losers_and_reparents_children(sandbox: Any) -> None:
    sf = sandbox.client()
    keep = sf.Account.create({"Name": "Acme"})["id"]
    gone = sf.Account.create({"Name": "Acme Inc", "Phone": "555 0100"})["id"]
    child = sf.Contact.create({"LastName": "Ng", "AccountId": gone})["id"]
    before = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=30).json()["api_calls"]
    answer = post(sandbox, envelope(keep, [gone], fields="<Industry>Energy</Industry>"))
    assert answer.status_code == 200, answer.text
    assert requests.get(f"{sandbox.url}/_sandbox/stats", timeout=30).json()["api_calls"] == before + 1
    assert (
        "<success>true</success>" in answer.text
        and f"<mergedRecordIds>{gone}</mergedRecordIds>" in answer.text
    )
    assert f"<updatedRelatedIds>{child}</updatedRelatedIds>" in answer.text
    assert sf.Account.get(keep)["Industry"] == "Energy"
    assert sf.Contact.get(child)["AccountId"] == keep
    [row] = sf.query_all(
        f"SELECT Id, IsDeleted, MasterRecordId FROM Account WHERE Id = '{gone}'", include_deleted=True
    )["records"]
    assert row["IsDeleted"] is True and row["MasterRecordId"] == keep


def test_errors_carry_salesforce_codes(sandbox: Any) -> None:
    sf = sandbox.client()
    keep = sf.Contact.create({"LastName": "A"})["id"]
    gone = sf.Contact.create({"LastName": "B"})["id"]
    sf.Contact.delete(gone)
    deleted = post(sandbox, envelope(keep, [gone], sobject="Contact"))
    assert deleted.status_code == 200 and "<statusCode>ENTITY_IS_DELETED</statusCode>" in deleted.text
    assert "<success>false</success>" in deleted.text
    bad = post(sandbox, envelope(keep, ["003000000000000AAA"], sobject="Contact"))
    assert "<statusCode>INVALID_ID_FIELD</statusCode>" in bad.text
    other = sf.Contact.create({"LastName": "C"})["id"]
    invalid = post(sandbox, envelope(keep, [other], sobject="Contact", fields="<Nope>1</Nope>"))
    assert "<statusCode>INVALID_FIELD</statusCode>" in invalid.text
    assert sf.Contact.get(other)["IsDeleted"] is False  # a failed request changes nothing
    opp = post(sandbox, envelope(keep, [other], sobject="Opportunity"))
    assert "<statusCode>INVALID_TYPE</statusCode>" in opp.text
    session = post(sandbox, envelope(keep, [other], sobject="Contact", session="nope"))
    assert session.status_code == 500 and "<faultcode>sf:INVALID_SESSION_ID</faultcode>" in session.text
