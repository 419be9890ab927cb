"""`/_sandbox/salesforce/...`: what users do in the Salesforce UI (merges, lead conversion, edits)
and session expiry, so tests and the demo can make the org change under the pipeline."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import ids
from .errors import RecordError
from .standard_objects import CONVERTED_LEAD_STATUS

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

PREFIX = "/_sandbox/salesforce"
MERGEABLE = {"Account", "Contact", "Lead"}
SYSTEM_REFERENCES = {"CreatedById", "LastModifiedById", "OwnerId", "MasterRecordId"}


async def _body(request: web.Request) -> dict[str, Any]:
    text = await request.text() if request.can_read_body else ""
    data = json.loads(text) if text.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _refused(err: RecordError) -> web.Response:
    return web.json_response(
        {"error": err.first.message, "errors": [e.rest() for e in err.errors]}, status=400
    )


class AdminActions:
    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, router: web.UrlDispatcher) -> None:
        for path, handler in (("merge", self.merge), ("convert-lead", self.convert_lead), ("edit", self.edit),
                              ("sessions/expire", self.expire), ("expire-sessions", self.expire),
                              ("sessions/restore", self.restore), ("undelete", self.undelete)):  # fmt: skip
            router.add_post(f"{PREFIX}/{path}", self._wrap(handler))

    def _wrap(self, handler: Any) -> Any:
        async def serve(request: web.Request) -> web.Response:
            try:
                return web.json_response(handler(await _body(request)))
            except RecordError as err:
                return _refused(err)

        return serve

    # ---- actions --------------------------------------------------------------------------------
    def expire(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.org.auth.expire(bool(body.get("include_static")), int(body.get("next_requests") or 0))

    def restore(self, body: dict[str, Any]) -> dict[str, Any]:
        self.org.auth.restore_static()
        return {"static_expired": False}

    def undelete(self, body: dict[str, Any]) -> dict[str, Any]:
        """The Recycle Bin's undelete (a person in the UI; the sandbox has no SOAP undelete()): the same
        id, IsDeleted false, SystemModstamp now. A merge loser or a hard-deleted record cannot come back."""
        obj = self.org.records.object(str(body["object"]))
        row = self.org.store.get(obj.name, str(body["id"]))
        if row is None or not row.get("IsDeleted") or row.get("MasterRecordId"):
            raise ValueError(f"no {obj.name} {body['id']} in the Recycle Bin")
        now = self.org.records.stamp()  # settings.stamp_precision, as every save
        self.org.records.write_raw(obj.name, {**row, "IsDeleted": False, "SystemModstamp": now})
        return {"id": row["Id"], "undeleted": True}

    def edit(self, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.org.records.object(str(body["object"]))
        rid = self.org.records.update(
            obj.name, str(body["id"]), dict(body.get("fields") or {}), self.org.ui_user_id
        )
        return {"id": rid, "record": self.org.store.get(obj.name, rid)}

    def merge(self, body: dict[str, Any]) -> dict[str, Any]:
        obj = self.org.records.object(str(body["object"]))
        if obj.name not in MERGEABLE:
            raise ValueError(f"{obj.name} records cannot be merged")
        losers = [str(i) for i in body.get("loser_ids") or []]
        if not 1 <= len(losers) <= 2:
            raise ValueError("merge takes one or two loser ids (three records at most)")
        master_id, merged, moved = self.merge_records(
            obj.name,
            str(body["master_id"]),
            losers,
            dict(body.get("field_values") or {}),
            self.org.ui_user_id,
        )
        return {"master_id": master_id, "merged_ids": merged, "reparented": len(moved)}

    def merge_records(
        self, obj: str, master_id: str, loser_ids: list[str], field_values: dict[str, Any], user: str
    ) -> tuple[str, list[str], list[str]]:
        """Merge losers into the master (the UI's merge and the SOAP API's): (master id, merged ids,
        re-parented child ids)."""
        records = self.org.records
        master = records.live(obj, master_id)
        loser_rows = [records.live(obj, rid) for rid in loser_ids]
        if field_values:
            records.update(obj, master["Id"], field_values, user)
        else:
            self._bump(obj, master, user)
        moved = self._reparent(obj, {r["Id"] for r in loser_rows}, master["Id"], user)
        for row in loser_rows:
            records.mark_deleted(obj, row, master_id=master["Id"])
        return master["Id"], [r["Id"] for r in loser_rows], moved

    def _bump(self, obj: str, row: dict[str, Any], user: str, changes: dict[str, Any] | None = None) -> None:
        """A save the org makes itself: new stamps, org automation, no validation."""
        self.org.records.system_save(obj, row, changes or {}, user, validate=False)

    def _reparent(self, obj: str, old_ids: set[str], new_id: str, user: str) -> list[str]:
        moved = []
        for child in self.org.schema.objects.values():
            refs = [f.name for f in child.fields.values()
                    if f.type == "reference" and obj in f.reference_to and f.name not in SYSTEM_REFERENCES]  # fmt: skip
            if not refs:
                continue
            for row in list(self.org.store.table(child.name).values()):
                changes = {name: new_id for name in refs if row.get(name) in old_ids}
                if changes:
                    self._bump(child.name, row, user, changes)
                    moved.append(row["Id"])
        return moved

    def convert_lead(self, body: dict[str, Any]) -> dict[str, Any]:
        records, user = self.org.records, self.org.ui_user_id
        lead = records.live("Lead", str(body["lead_id"]))
        if lead["IsConverted"]:
            raise ValueError("lead is already converted")
        account_id = ids.normalize(str(body["account_id"])) if body.get("account_id") else None
        if account_id is None:
            account_id = records.insert("Account", {"Name": lead["Company"] or lead["Name"], "Industry": lead["Industry"],
                                                    "Website": lead["Website"], "Phone": lead["Phone"]}, user)  # fmt: skip
        contact_id = ids.normalize(str(body["contact_id"])) if body.get("contact_id") else None
        if contact_id is None:
            fields = {
                k: lead[k]
                for k in ("FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "LeadSource")
            }
            contact_id = records.insert("Contact", {**fields, "AccountId": account_id}, user)
        opportunity_id = None
        if body.get("create_opportunity"):
            close = (self.org.clock.now() + timedelta(days=30)).date().isoformat()
            name = body.get("opportunity_name") or f"{lead['Company'] or lead['Name']}-"
            opportunity_id = records.insert("Opportunity", {"Name": name, "StageName": "Prospecting", "CloseDate": close,
                                                            "AccountId": account_id, "LeadSource": lead["LeadSource"]}, user)  # fmt: skip
        self._bump("Lead", lead, user, {
            "IsConverted": True, "ConvertedDate": self.org.clock.now().date().isoformat(),
            "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
            "ConvertedOpportunityId": opportunity_id, "Status": CONVERTED_LEAD_STATUS,
        })  # fmt: skip
        return {
            "lead_id": lead["Id"],
            "account_id": account_id,
            "contact_id": contact_id,
            "opportunity_id": opportunity_id,
        }
