"""Both sandbox CRMs for the fixpoint property test: started once per test session, emptied between
examples through the admin API (`/_sandbox/reset`, `/_sandbox/automation`), and read back through the
CRMs' own APIs (records, modification stamps) and the sandbox's call counters (`/_sandbox/stats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import requests

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread

TOKEN = {"Authorization": "Bearer sandbox-token"}
API = "/services/data/v59.0"
PEOPLE_FIELDS = "Id, Email, FirstName, LastName, SystemModstamp, IsDeleted"
# API calls that only read: every other call to either CRM is a write
READ_ROUTE_WORDS = ("search", "batch/read", "/query", "queryAll", "oauth2/token", "describe")


@dataclass(frozen=True)
class CrmRecord:
    """One person record as its CRM serves it: the stamp the CRM moves on every save, and the keys a
    duplicate would share."""

    crm: str
    sobject: str
    id: str
    stamp: str
    email: str | None
    name: tuple[str, str]
    gone: bool  # archived (HubSpot) or deleted / merged (Salesforce)


class FixpointCrms:
    """The HubSpot and Salesforce emulators, empty apart from their metadata, on ports of their own."""

    def __init__(self) -> None:
        self.hubspot = EmulatorThread(HubSpotEmulator(None)).start()
        self.salesforce = EmulatorThread(SalesforceEmulator(None)).start()
        self._post(
            self.hubspot.url, "/_sandbox/settings", {"search_lag_seconds": 0, "rate_limits_enabled": False}
        )
        self._post(self.salesforce.url, "/_sandbox/settings", {"bulk_processing_delay_s": 0.01})

    # ---- between examples -----------------------------------------------------------------------
    def reset(self) -> None:
        """Every record gone, automation off, call counters at zero (settings and metadata kept)."""
        for url in (self.hubspot.url, self.salesforce.url):
            self._post(url, "/_sandbox/reset", {"records": 0})
            requests.delete(f"{url}/_sandbox/automation", timeout=10).raise_for_status()
            requests.delete(f"{url}/_sandbox/automation/runs", timeout=10).raise_for_status()
            self._post(url, "/_sandbox/stats/reset", {})

    def automate(self, hubspot_rules: list[dict[str, Any]], salesforce_rules: list[dict[str, Any]]) -> None:
        for url, rules in ((self.hubspot.url, hubspot_rules), (self.salesforce.url, salesforce_rules)):
            requests.put(f"{url}/_sandbox/automation", json=rules, timeout=10).raise_for_status()

    # ---- what people do in the CRMs before the first sync ----------------------------------------
    def hubspot_create(self, properties: dict[str, str]) -> str | None:
        """A contact created in HubSpot's UI; None when HubSpot refuses it (an invalid email)."""
        answer = requests.post(
            f"{self.hubspot.url}/_sandbox/hubspot/objects/contacts",
            json={"properties": properties},
            timeout=10,
        )
        if answer.status_code == 400:
            return None
        answer.raise_for_status()
        return str(answer.json()["id"])

    def hubspot_edit(self, record_id: str, properties: dict[str, str]) -> None:
        url = f"{self.hubspot.url}/_sandbox/hubspot/objects/contacts/{record_id}/edit"
        requests.post(url, json={"properties": properties}, timeout=10).raise_for_status()

    def salesforce_create(self, sobject: str, fields: dict[str, Any]) -> str | None:
        """A record a Salesforce user saved in the UI (created by the UI user, not crmsync's integration
        user, so its edit times count as a person's); None when the org refuses it."""
        from crmsync_pipeline.sandbox.salesforce.errors import RecordError

        org = self.salesforce.emulator

        def insert() -> str | None:
            try:
                record_id = org.records.insert(sobject, fields, org.ui_user_id)
            except RecordError:
                return None
            org.store.commit()
            return record_id

        return self.salesforce.call(insert)  # type: ignore[return-value]

    def salesforce_edit(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self._post(
            self.salesforce.url,
            "/_sandbox/salesforce/edit",
            {"object": sobject, "id": record_id, "fields": fields},
        )

    # ---- the oracles ----------------------------------------------------------------------------
    def calls(self) -> dict[str, Counter[str]]:
        """API calls so far per CRM, by route (`METHOD /path`)."""
        return {
            crm: Counter(requests.get(f"{url}/_sandbox/stats", timeout=10).json()["by_route"])
            for crm, url in (("hubspot", self.hubspot.url), ("salesforce", self.salesforce.url))
        }

    def people(self) -> list[CrmRecord]:
        """Every contact in HubSpot (archived ones too) and every Contact and Lead in Salesforce (deleted
        ones too), through the CRMs' own APIs."""
        return [*self._hubspot_people(archived=False), *self._hubspot_people(archived=True),
                *self._salesforce_people("Contact"), *self._salesforce_people("Lead")]  # fmt: skip

    def _hubspot_people(self, archived: bool) -> list[CrmRecord]:
        url = f"{self.hubspot.url}/crm/v3/objects/contacts"
        params: dict[str, Any] = {
            "limit": 100,
            "properties": "email,firstname,lastname",
            "archived": str(archived).lower(),
        }
        found = []
        while True:
            page = requests.get(url, headers=TOKEN, params=params, timeout=10).json()
            for r in page["results"]:
                p = r["properties"]
                found.append(
                    CrmRecord(
                        "hubspot",
                        "contacts",
                        r["id"],
                        r["updatedAt"],
                        _email(p.get("email")),
                        (_text(p.get("firstname")), _text(p.get("lastname"))),
                        archived,
                    )  # fmt: skip
                )
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return found
            params["after"] = after

    def _salesforce_people(self, sobject: str) -> list[CrmRecord]:
        soql = f"SELECT {PEOPLE_FIELDS} FROM {sobject}"
        answer = requests.get(
            f"{self.salesforce.url}{API}/queryAll/", headers=TOKEN, params={"q": soql}, timeout=10
        )
        answer.raise_for_status()
        return [
            CrmRecord(
                "salesforce",
                sobject,
                r["Id"],
                r["SystemModstamp"],
                _email(r.get("Email")),
                (_text(r.get("FirstName")), _text(r.get("LastName"))),
                bool(r["IsDeleted"]),
            )  # fmt: skip
            for r in answer.json()["records"]
        ]

    def stop(self) -> None:
        self.hubspot.stop()
        self.salesforce.stop()

    @staticmethod
    def _post(url: str, path: str, body: dict[str, Any]) -> None:
        requests.post(f"{url}{path}", json=body, timeout=10).raise_for_status()


def writes_between(before: dict[str, Counter[str]], after: dict[str, Counter[str]]) -> dict[str, int]:
    """The write calls made between two readings of the call counters, by CRM and route."""
    made = {}
    for crm in after:
        for route, count in (after[crm] - before[crm]).items():
            method = route.split(" ", 1)[0]
            if method != "GET" and not any(word in route for word in READ_ROUTE_WORDS):
                made[f"{crm}: {route}"] = count
    return made


def _email(value: Any) -> str | None:
    text = _text(value).lower()
    return text or None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
