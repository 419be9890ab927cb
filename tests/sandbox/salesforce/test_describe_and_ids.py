"""Describe payloads and record ids as a pipeline reads them."""

from __future__ import annotations

from crmsync_pipeline.sandbox.salesforce import ids


def test_id_checksum_matches_known_ids() -> None:
    assert ids.to18("001R00000064wdt") == "001R00000064wdtIAA"
    assert ids.to18("00190000001pPvH") == "00190000001pPvHAAU"
    assert ids.to18("005D0000001QX8W") == "005D0000001QX8WIAW"
    assert ids.to18("a00D0000008pQSN") == "a00D0000008pQSNIA2"
    assert ids.normalize("001R00000064wdtIAB") is None


def test_global_describe_lists_sync_objects(sf) -> None:
    body = sf.describe()
    names = {o["name"] for o in body["sobjects"]}
    assert {"Account", "Contact", "Lead", "Opportunity", "OpportunityContactRole", "Task", "User"} <= names
    assert body["maxBatchSize"] == 200


def test_contact_describe_has_field_metadata(sf) -> None:
    desc = sf.Contact.describe()
    fields = {f["name"]: f for f in desc["fields"]}
    last = fields["LastName"]
    assert (last["length"], last["nillable"], last["createable"], last["defaultedOnCreate"]) == (
        80,
        False,
        True,
        False,
    )
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    xref = fields["CrmSync_HubSpot_Id__c"]
    assert xref["externalId"] and xref["unique"] and not xref["caseSensitive"] and xref["length"] == 40
    assert (
        fields["CreatedDate"]["createable"] is False and fields["CreatedDate"]["soapType"] == "xsd:dateTime"
    )
    assert {"aggregatable", "byteLength", "idLookup", "picklistValues", "restrictedPicklist"} <= set(last)
    assert any(r["relationshipName"] == "OpportunityContactRoles" for r in desc["childRelationships"])


def test_opportunity_describe_stages_and_record_types(sf) -> None:
    desc = sf.Opportunity.describe()
    stage = next(f for f in desc["fields"] if f["name"] == "StageName")
    values = [p["value"] for p in stage["picklistValues"]]
    assert values[0] == "Discovery" and "Closed Won" in values and stage["restrictedPicklist"] is True
    names = {rt["name"] for rt in desc["recordTypeInfos"]}
    assert names == {"Master", "New Business", "Renewal"}


def test_xref_fields_switch(sandbox) -> None:
    sandbox.settings(install_xref_fields=False)
    fields = {f["name"] for f in sandbox.client().Lead.describe()["fields"]}
    assert "CrmSync_HubSpot_Id__c" not in fields
    sandbox.settings(install_xref_fields=True)
    fields = {f["name"] for f in sandbox.client().Lead.describe()["fields"]}
    assert "CrmSync_HubSpot_Id__c" in fields


def test_metadata_and_version_list(sandbox, sf) -> None:
    import requests

    assert sf.Lead.metadata()["objectDescribe"]["keyPrefix"] == "00Q"
    versions = requests.get(f"{sandbox.url}/services/data/", timeout=10).json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    assert sf.is_sandbox() is True
