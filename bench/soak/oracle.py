"""The end check: both CRMs, read in full over HTTP, against the soak's model. Every mapped field of every
linked entity equal on both sides and to the model; no duplicates; every edit either visible, overwritten
by a later edit, or kept as the losing value of a conflict. Each failure is a discrepancy with details."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .automation import comparable, phone_digits
from .crm import HS_XREF, SF_XREF, SoakCrms
from .model import Entity, World, expected, expected_company, norm


@dataclass
class Snapshot:
    """Both CRMs as they are now (live records only)."""

    hs_contacts: dict[str, dict[str, Any]]
    hs_companies: dict[str, dict[str, Any]]
    sf_people: dict[str, dict[str, Any]]
    sf_accounts: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, crms: SoakCrms) -> Snapshot:
        return cls(
            crms.hs_all(
                "contacts", ["email", "firstname", "lastname", "jobtitle", "phone", "mobilephone", "company"]
            ),
            crms.hs_all("companies", ["name", "city", "phone", "description"]),
            crms.sf_people(),
            crms.sf_accounts(),
        )

    def hs(self, pair: str) -> dict[str, dict[str, Any]]:
        return self.hs_contacts if pair == "contacts" else self.hs_companies

    def sf(self, pair: str) -> dict[str, dict[str, Any]]:
        return self.sf_people if pair == "contacts" else self.sf_accounts


@dataclass
class Findings:
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked_fields: int = 0
    checked_entities: int = 0
    conflicts_by_hs_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    own_write_decisions: list[dict[str, Any]] = field(default_factory=list)
    automation: bool = False  # the soak's CRM automation was on: compare in automation.comparable's forms

    def add(self, kind: str, **detail: Any) -> None:
        self.discrepancies.append({"kind": kind, **detail})


def refresh_ids(world: World, snap: Snapshot) -> None:
    """Learn the other side's id of every entity from the cross-reference ids the CRMs carry, and count
    the scans that saw each entity linked."""
    for pair in ("companies", "contacts"):
        hs, sf = snap.hs(pair), snap.sf(pair)
        sf_by_xref = {str(r.get(SF_XREF)): rid for rid, r in sf.items() if r.get(SF_XREF)}
        hs_by_xref = {str(r.get(HS_XREF)): rid for rid, r in hs.items() if r.get(HS_XREF)}
        for e in world.entities[pair].values():
            if e.gone:
                continue
            if e.hs_id and not e.sf_id and e.hs_id in sf_by_xref:
                e.sf_id = sf_by_xref[e.hs_id]
            if e.sf_id and not e.hs_id:
                e.hs_id = hs_by_xref.get(e.sf_id) or (
                    str(sf[e.sf_id].get(SF_XREF)) if sf.get(e.sf_id, {}).get(SF_XREF) else None
                )
            if e.sf_id in sf:
                e.sf_object = sf[e.sf_id].get("_object", "Account")
            if e.linked and e.hs_id in hs and e.sf_id in sf:
                e.linked_scans += 1


def check(
    world: World, snap: Snapshot, conflicts: list[dict[str, Any]], automation: bool = False
) -> Findings:
    out = Findings()
    out.automation = automation
    losers = {(c["hubspot_id"], c["salesforce_id"], v) for c in conflicts for v in _variants(c["losing_value"])}
    out.conflicts_by_hs_id = {}
    for c in conflicts:
        out.conflicts_by_hs_id.setdefault(c["hubspot_id"], []).append(c)
    for pair in ("companies", "contacts"):
        hs, sf = snap.hs(pair), snap.sf(pair)
        for e in world.entities[pair].values():
            if e.gone:
                _check_gone(e, snap, out)
                continue
            if not e.linked or e.hs_id not in hs or e.sf_id not in sf:
                out.add("not_linked", pair=pair, key=e.key, hs_id=e.hs_id, sf_id=e.sf_id,
                        hs_live=e.hs_id in hs, sf_live=e.sf_id in sf)  # fmt: skip
                continue
            out.checked_entities += 1
            if (
                str(hs[e.hs_id].get(HS_XREF) or "") != e.sf_id
                or str(sf[e.sf_id].get(SF_XREF) or "") != e.hs_id
            ):
                out.add("cross_reference", pair=pair, key=e.key, hs_id=e.hs_id, sf_id=e.sf_id,
                        hs_xref=hs[e.hs_id].get(HS_XREF), sf_xref=sf[e.sf_id].get(SF_XREF))  # fmt: skip
            _check_fields(world, e, hs[e.hs_id], sf[e.sf_id], losers, out)
            if pair == "contacts" and e.sf_object == "Contact":
                _check_company(world, e, hs[e.hs_id], sf[e.sf_id], out)
    _check_duplicates(snap, out)
    return out


def _check_fields(world: World, e: Entity, hs_row: dict, sf_row: dict, losers: set, out: Findings) -> None:
    for f in world.fields[e.pair]:
        if not f.applies_to(e.sf_object):
            continue
        out.checked_fields += 1
        want = expected(e, f)
        have = {"hubspot": norm(hs_row.get(f.hubspot)), "salesforce": norm(sf_row.get(f.salesforce))}
        if f.hubspot == "email":
            have = {k: v.lower() if v else v for k, v in have.items()}
        if out.automation:
            want = {k: comparable(e.pair, f.hubspot, v, expected=True) for k, v in want.items()}
            have = {k: comparable(e.pair, f.hubspot, v, expected=False) for k, v in have.items()}
        if have == want:
            _account_edits(e, f, have, losers, out)
            continue
        if _salesforce_record_newer(e, f, have, want, out.automation):
            out.notes.append(f"{e.key}.{f.hubspot}: won by Salesforce's record-level timestamp")
            continue
        if (
            own := _decided_by_own_write(e, f, have, want, out.conflicts_by_hs_id.get(e.hs_id, []))
        ) is not None:
            out.own_write_decisions.append(own)
            continue
        out.add("field", pair=e.pair, key=e.key, field=f.hubspot, direction=f.direction, hs_id=e.hs_id,
                sf_id=e.sf_id, sf_object=e.sf_object, expected=want, actual=have,
                events=[(round(ev.t, 2), ev.side, ev.kind, ev.value) for ev in e.events.get(f.hubspot, [])],
                conflicts=out.conflicts_by_hs_id.get(e.hs_id, []))  # fmt: skip


def _salesforce_record_newer(e: Entity, f, have: dict, want: dict, automation: bool = False) -> bool:
    """Salesforce has one timestamp per record: when both sides changed a field, a later Salesforce edit to
    another field of the record makes its value the newer one. Such an outcome is correct, not a fault."""
    if (
        f.direction not in ("two_way", "prefer_hubspot", "prefer_salesforce")
        or have["hubspot"] != have["salesforce"]
    ):
        return False
    sf_values = [ev for ev in e.events.get(f.hubspot, []) if ev.side == "salesforce"]
    last = norm(sf_values[-1].value) if sf_values else None
    if automation:
        last = comparable(e.pair, f.hubspot, last, expected=True)
    if not sf_values or last != have["salesforce"]:
        return False
    last_hs = max((ev.t for ev in e.events.get(f.hubspot, []) if ev.side == "hubspot"), default=0.0)
    sf_touched = max(
        (ev.t for evs in e.events.values() for ev in evs if ev.side == "salesforce"), default=0.0
    )
    return sf_touched > last_hs


def _decided_by_own_write(e: Entity, f, have: dict, want: dict, conflicts: list[dict]) -> dict | None:
    """A conflict Salesforce won because crmsync's own write to another field of the record (after the
    user's HubSpot edit) made the record's one LastModifiedDate newer. crmsync applied its documented
    rule to the timestamps Salesforce gave it; the HubSpot edit is kept as the conflict's loser. Listed
    in the report, apart from discrepancies (crmsync's weakness, not a broken write or a lost trace)."""
    if have["hubspot"] != have["salesforce"]:
        return None
    last_sf_user = max(
        (ev.t for evs in e.events.values() for ev in evs if ev.side == "salesforce"), default=0.0
    )
    for c in conflicts:
        sf_at = _epoch(c.get("salesforce_changed_at"))
        if (c["field"] == f.hubspot and c["winner"] == "salesforce" and "salesforce_newer" in str(c.get("rule"))
                and norm(c["losing_value"]) == want["hubspot"] and norm(c["salesforce_value"]) == have["salesforce"]
                and sf_at is not None and sf_at > last_sf_user + 1.0):  # fmt: skip
            return {"key": e.key, "field": f.hubspot, "hubspot_edit": want["hubspot"], "kept": have["salesforce"],
                    "salesforce_changed_at": c.get("salesforce_changed_at"),
                    "hubspot_changed_at": c.get("hubspot_changed_at")}  # fmt: skip
    return None


def _variants(value: Any) -> set[str]:
    """A value and the forms the soak's CRM automation may have turned it into (upper case, phone digits),
    so a conflict's loser recorded after a workflow rewrote it is still recognised."""
    text = str(value)
    return {text, text.upper(), phone_digits(text) or ""} - {""}


def _epoch(text: Any) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text)).timestamp() if text else None
    except ValueError:
        return None


def _account_edits(e: Entity, f, have: dict, losers: set, out: Findings) -> None:
    """The last edit of a field on each side is either what both sides hold now or a conflict's loser."""
    events = e.events.get(f.hubspot, [])
    for side in ("hubspot", "salesforce"):
        own = [ev for ev in events if ev.side == side and ev.kind != "create"]
        if not own:
            continue
        last = own[-1]
        later_other = [ev for ev in events if ev.side != side and ev.t > last.t]
        value = comparable(e.pair, f.hubspot, norm(last.value), expected=True) if out.automation else norm(last.value)
        if value == have[side] or later_other:
            continue
        if f.direction.startswith("always_") or any((e.hs_id, e.sf_id, v) in losers for v in _variants(last.value)):
            continue  # reverted by an always_* rule, or the recorded loser of a conflict
        out.add("edit_lost", pair=e.pair, key=e.key, field=f.hubspot, side=side, value=last.value, final=have)


def _check_company(world: World, e: Entity, hs_row: dict, sf_row: dict, out: Findings) -> None:
    key = expected_company(e)
    if key is None:
        return
    company = world.entities["companies"][key]
    if company.gone:
        return
    have = {"hubspot": hs_row.get("_companies"), "salesforce": sf_row.get("AccountId")}
    if have["hubspot"] != [company.hs_id] or have["salesforce"] != company.sf_id:
        out.add("association", key=e.key, hs_id=e.hs_id, sf_id=e.sf_id, expected_company=key,
                expected={"hubspot": [company.hs_id], "salesforce": company.sf_id}, actual=have)  # fmt: skip


def _check_gone(e: Entity, snap: Snapshot, out: Findings) -> None:
    """A record deleted (or merged away) on one side is not created there again."""
    if e.pair != "contacts":
        return
    again_hs = [
        rid
        for rid, r in snap.hs_contacts.items()
        if e.sf_id and str(r.get(HS_XREF) or "") == e.sf_id and rid != e.hs_id
    ]
    again_sf = [
        rid
        for rid, r in snap.sf_people.items()
        if e.hs_id and str(r.get(SF_XREF) or "") == e.hs_id and rid != e.sf_id
    ]
    if again_hs or again_sf:
        out.add("recreated", key=e.key, why=e.gone, hubspot=again_hs, salesforce=again_sf)


def _check_duplicates(snap: Snapshot, out: Findings) -> None:
    for side, rows, key in (("hubspot", snap.hs_contacts, "email"), ("salesforce", snap.sf_people, "Email")):
        emails = Counter(str(r.get(key)).lower() for r in rows.values() if r.get(key))
        out.duplicates += [{"side": side, "email": m, "records": n} for m, n in emails.items() if n > 1]
    for side, rows, key in (
        ("hubspot contacts", snap.hs_contacts, HS_XREF),
        ("hubspot companies", snap.hs_companies, HS_XREF),
        ("salesforce people", snap.sf_people, SF_XREF),
        ("salesforce accounts", snap.sf_accounts, SF_XREF),
    ):
        xrefs = Counter(str(r.get(key)) for r in rows.values() if r.get(key))
        out.duplicates += [
            {"side": side, "cross_reference": x, "records": n} for x, n in xrefs.items() if n > 1
        ]
    names = Counter(str(r.get("name")) for r in snap.hs_companies.values())
    out.duplicates += [
        {"side": "hubspot companies", "name": m, "records": n} for m, n in names.items() if n > 1
    ]
    names = Counter(str(r.get("Name")) for r in snap.sf_accounts.values())
    out.duplicates += [
        {"side": "salesforce accounts", "name": m, "records": n} for m, n in names.items() if n > 1
    ]
