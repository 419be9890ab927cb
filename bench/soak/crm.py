"""The soak's hands and eyes on both sandbox CRMs: edits as a user makes them (the sandboxes' UI routes
and the public APIs) and full reads of every record, over HTTP only. Nothing here imports crmsync."""

from __future__ import annotations

from typing import Any

import requests

TOKEN = {"Authorization": "Bearer sandbox-token"}
SF_API = "/services/data/v59.0"
CONTACT_PROPS = ["email", "firstname", "lastname", "jobtitle", "phone", "mobilephone", "company"]
COMPANY_PROPS = ["name", "city", "phone", "description"]
HS_XREF = "crmsync_salesforce_id"
SF_XREF = "CrmSync_HubSpot_Id__c"
PERSON_FIELDS = "Id, Email, FirstName, LastName, Title, Phone, MobilePhone"


class SoakCrms:
    def __init__(self, hubspot_url: str, salesforce_url: str):
        self.hs = hubspot_url
        self.sf = salesforce_url
        self.http = requests.Session()

    # ---- plumbing --------------------------------------------------------------------------------
    def _ok(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise RuntimeError(
                f"{response.request.method} {response.url}: {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else {}

    def admin(self, url: str, body: dict[str, Any] | None = None, method: str = "POST") -> dict[str, Any]:
        return self._ok(self.http.request(method, url, json=body, timeout=30))

    # ---- HubSpot ---------------------------------------------------------------------------------
    def hs_create(self, otype: str, props: dict[str, str]) -> str:
        return str(self.admin(f"{self.hs}/_sandbox/hubspot/objects/{otype}", {"properties": props})["id"])

    def hs_edit_request(self, otype: str, rid: str, props: dict[str, str]) -> dict[str, Any]:
        return {
            "url": f"{self.hs}/_sandbox/hubspot/objects/{otype}/{rid}/edit",
            "json": {"properties": props},
        }

    def hs_edit(self, otype: str, rid: str, props: dict[str, str]) -> None:
        request = self.hs_edit_request(otype, rid, props)
        self.admin(request["url"], request["json"])

    def hs_archive(self, otype: str, rid: str) -> None:
        self.admin(f"{self.hs}/_sandbox/hubspot/objects/{otype}/{rid}/archive")

    def hs_merge(self, otype: str, primary: str, merged: str) -> None:
        body = {"primaryObjectId": primary, "objectIdToMerge": merged}
        self._ok(
            self.http.post(f"{self.hs}/crm/v3/objects/{otype}/merge", json=body, headers=TOKEN, timeout=30)
        )

    def hs_set_company(self, contact: str, new: str, old: str | None) -> None:
        base = f"{self.hs}/crm/v4/objects/contacts/{contact}/associations"
        if old:
            self.http.delete(f"{base}/companies/{old}", headers=TOKEN, timeout=30)
        self._ok(self.http.put(f"{base}/default/companies/{new}", headers=TOKEN, timeout=30))

    def hs_all(self, otype: str, props: list[str]) -> dict[str, dict[str, Any]]:
        """Every live record: id -> properties (plus `_companies`, the associated company ids)."""
        out: dict[str, dict[str, Any]] = {}
        after = None
        while True:
            params: dict[str, Any] = {"limit": 100, "properties": ",".join([*props, HS_XREF])}
            if otype == "contacts":
                params["associations"] = "companies"
            if after:
                params["after"] = after
            body = self._ok(
                self.http.get(f"{self.hs}/crm/v3/objects/{otype}", params=params, headers=TOKEN, timeout=60)
            )
            for r in body["results"]:
                p = dict(r.get("properties") or {})
                assoc = ((r.get("associations") or {}).get("companies") or {}).get("results") or []
                p["_companies"] = sorted({str(a["id"]) for a in assoc})
                out[str(r["id"])] = p
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out

    # ---- Salesforce ------------------------------------------------------------------------------
    def sf_create(self, sobject: str, fields: dict[str, Any]) -> str:
        url = f"{self.sf}{SF_API}/sobjects/{sobject}/"
        return str(self._ok(self.http.post(url, json=fields, headers=TOKEN, timeout=30))["id"])

    def sf_edit_request(self, sobject: str, rid: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"{self.sf}/_sandbox/salesforce/edit",
            "json": {"object": sobject, "id": rid, "fields": fields},
        }

    def sf_edit(self, sobject: str, rid: str, fields: dict[str, Any]) -> None:
        request = self.sf_edit_request(sobject, rid, fields)
        self.admin(request["url"], request["json"])

    def sf_delete(self, sobject: str, rid: str) -> None:
        url = f"{self.sf}{SF_API}/sobjects/{sobject}/{rid}"
        response = self.http.delete(url, headers=TOKEN, timeout=30)
        if response.status_code != 204:
            raise RuntimeError(f"delete {sobject} {rid}: {response.status_code} {response.text[:200]}")

    def sf_merge(self, sobject: str, master: str, loser: str) -> None:
        self.admin(
            f"{self.sf}/_sandbox/salesforce/merge",
            {"object": sobject, "master_id": master, "loser_ids": [loser]},
        )

    def sf_convert(self, lead_id: str) -> dict[str, Any]:
        return self.admin(f"{self.sf}/_sandbox/salesforce/convert-lead", {"lead_id": lead_id})

    def sf_query(self, soql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        body = self._ok(
            self.http.get(f"{self.sf}{SF_API}/query/", params={"q": soql}, headers=TOKEN, timeout=60)
        )
        while True:
            rows += [{k: v for k, v in r.items() if k != "attributes"} for r in body["records"]]
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return rows
            body = self._ok(self.http.get(f"{self.sf}{body['nextRecordsUrl']}", headers=TOKEN, timeout=60))

    def sf_people(self) -> dict[str, dict[str, Any]]:
        contacts = self.sf_query(f"SELECT {PERSON_FIELDS}, AccountId, {SF_XREF} FROM Contact")
        leads = self.sf_query(f"SELECT {PERSON_FIELDS}, Company, IsConverted, {SF_XREF} FROM Lead")
        out = {r["Id"]: {**r, "_object": "Contact"} for r in contacts}
        out.update({r["Id"]: {**r, "_object": "Lead"} for r in leads if not r.get("IsConverted")})
        return out

    def sf_accounts(self) -> dict[str, dict[str, Any]]:
        rows = self.sf_query(f"SELECT Id, Name, BillingCity, Phone, Description, {SF_XREF} FROM Account")
        return {r["Id"]: r for r in rows}

    # ---- both ------------------------------------------------------------------------------------
    def faults(self, settings: dict[str, Any] | None) -> None:
        for url in (self.hs, self.sf):
            if settings is None:
                self.admin(f"{url}/_sandbox/faults", method="DELETE")
            else:
                self.admin(f"{url}/_sandbox/faults", settings)

    def hook(self, crm_url: str, rule: dict[str, Any]) -> None:
        self.admin(f"{crm_url}/_sandbox/faults/hooks", rule)

    def hooks(self, crm_url: str, clear: bool = False) -> list[dict[str, Any]]:
        return self.admin(f"{crm_url}/_sandbox/faults/hooks", method="DELETE" if clear else "GET")  # type: ignore[return-value]

    def stats(self, crm_url: str) -> dict[str, Any]:
        return self.admin(f"{crm_url}/_sandbox/stats", method="GET")

    def expire_salesforce_sessions(self) -> None:
        self.admin(f"{self.sf}/_sandbox/salesforce/sessions/expire", {})
