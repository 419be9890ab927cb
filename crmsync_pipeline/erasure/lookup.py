"""Who `crmsync forget EMAIL|ID` means: every record of the person in both CRMs and in the state,
grouped by link into one Person per HubSpot record (with its linked Salesforce record) plus any
Salesforce record linked to nothing. An email is looked up in the CRMs (HubSpot by its unique email,
Salesforce Contact/Lead by Email) and in the mirror (archived and deleted copies too); an id is taken as
a HubSpot id when it is all digits, else as a Salesforce id."""

from __future__ import annotations

from pathlib import Path

from simple_salesforce import format_soql

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.erasure.erase import Person
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


def people_pairs(mapping: Mapping) -> list[str]:
    """The pairs that hold people: a field mapped to HubSpot's email."""
    return [name for name, pair in mapping.objects.items() if _email_field(pair) is not None]


def find_people(
    state_path: Path,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    pair_name: str,
    target: str,
) -> list[Person]:
    pair = mapping.pair(pair_name)
    email = target.strip() if "@" in target else None
    hubspot_ids: set[str] = set()
    salesforce_ids: dict[str, str] = {}  # id -> sobject
    if email:
        hubspot_ids |= {
            str(r["id"]) for r in hubspot.batch_read(pair.hubspot, [email], ["email"], id_property="email")
        }
        field = _email_field(pair)
        for sobject in pair.salesforce:
            if field is None or not field.applies_to(sobject):
                continue
            soql = format_soql(f"SELECT Id FROM {sobject} WHERE {field.salesforce} = {{}}", email)
            try:
                salesforce_ids |= {
                    str(r["Id"]): sobject for page in salesforce.query_pages(soql) for r in page
                }
            except CrmError:
                continue  # an object without that field or not readable: the mirror still answers
    elif target.strip().isdigit():
        hubspot_ids.add(target.strip())
    else:
        salesforce_ids[target.strip()] = ""
    with db.connect(state_path) as con:
        if email:
            found_h, found_s = _mirrored(con, pair_name, pair, email)
            hubspot_ids |= found_h
            salesforce_ids |= {i: o for i, o in found_s.items() if i not in salesforce_ids}
        links = con.execute(
            "SELECT hubspot_id, salesforce_object, salesforce_id FROM links WHERE pair = ?", [pair_name]
        ).fetchall()
        sobjects = _sobjects(con, pair_name, [i for i, o in salesforce_ids.items() if not o])
    by_hubspot = {h: (o, s) for h, o, s in links}
    by_salesforce = {s: (h, o) for h, o, s in links}
    people = []
    for hubspot_id in sorted(
        hubspot_ids | {by_salesforce[s][0] for s in salesforce_ids if s in by_salesforce}
    ):
        sobject, salesforce_id = by_hubspot.get(hubspot_id, (None, None))
        people.append(Person(pair_name, hubspot_id, sobject, salesforce_id, email))
    covered = {p.salesforce_id for p in people}
    for salesforce_id, sobject in sorted(salesforce_ids.items()):
        if salesforce_id not in covered:
            people.append(
                Person(pair_name, None, sobject or sobjects.get(salesforce_id), salesforce_id, email)
            )
    return [p for p in people if p.hubspot_id or p.salesforce_object]


def _email_field(pair: ObjectPair):  # type: ignore[no-untyped-def]
    return next((f for f in pair.fields if f.hubspot == "email"), None)


def _mirrored(con, pair_name: str, pair: ObjectPair, email: str) -> tuple[set[str], dict[str, str]]:  # type: ignore[no-untyped-def]
    field = _email_field(pair)
    hubspot, salesforce = set(), {}
    tables = SnapshotTables.of(pair_name)
    table = tables.hubspot
    if field and table_exists(con, table) and column_exists(con, table, field.hubspot):
        rows = con.execute(
            f"SELECT id FROM {quoted(table)} WHERE lower(trim({quoted(field.hubspot)})) = ?", [email.lower()]
        ).fetchall()
        hubspot = {r[0] for r in rows}
    table = tables.salesforce
    if field and table_exists(con, table) and column_exists(con, table, field.salesforce):
        rows = con.execute(
            f"SELECT id, _sobject FROM {quoted(table)} WHERE lower(trim({quoted(field.salesforce)})) = ?",
            [email.lower()],
        ).fetchall()
        salesforce = {r[0]: r[1] for r in rows}
    return hubspot, salesforce


def _sobjects(con, pair_name: str, ids: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The Salesforce object of ids given alone (from the links, else the mirror)."""
    if not ids:
        return {}
    found = dict(
        con.execute(
            "SELECT salesforce_id, salesforce_object FROM links WHERE pair = ? AND salesforce_id IN (SELECT unnest(?::VARCHAR[]))",
            [pair_name, ids],
        ).fetchall()
    )
    table = SnapshotTables.of(pair_name).salesforce
    if table_exists(con, table):
        rows = con.execute(
            f"SELECT id, _sobject FROM {quoted(table)} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        found |= {i: o for i, o in rows if i not in found}
    return found
