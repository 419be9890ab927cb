"""Erase one person (GDPR): in HubSpot a GDPR delete for a contact (an archive for other objects), in
Salesforce a hard delete of the linked record (a soft delete where hard deletes are refused), then the
person leaves the state file (erasure/scrub.py), leaving one `erasures` row: the pair, both ids, a
salted hash of the email, when and by whom. A side where the person is already gone (the GDPR delete
that triggered this) is not called. CRM calls happen outside any state connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors import hubspot_deletes, salesforce_deletes
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.erasure.scrub import Ids, personal_values, scrub_state
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.state.erasures import email_hash
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.write.deletes import planned_deletes

GONE_CODES = {"OBJECT_NOT_FOUND", "NOT_FOUND", "HTTP_404", "ENTITY_IS_DELETED"}


@dataclass(frozen=True)
class Person:
    pair_name: str
    hubspot_id: str | None
    salesforce_object: str | None
    salesforce_id: str | None
    email: str | None = None


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    person: Person
    hubspot_outcome: str | None
    salesforce_outcome: str | None
    rows_removed: int


def erase_person(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    person: Person,
    requested_in: str,
    by: str | None,
    run_id: str | None = None,
) -> Erasure:
    """`requested_in`: crmsync (the forget command), or the CRM where a GDPR delete was seen."""
    pair = mapping.pair(person.pair_name)
    with connect() as con:
        email = person.email or mirrored_email(con, pair, person)
        ids = Ids(person.pair_name, _some(person.hubspot_id), _some(person.salesforce_id))
        values = personal_values(con, pair, ids)
    hubspot_outcome = _erase_in_hubspot(hubspot, pair, person, requested_in)
    salesforce_outcome = _erase_in_salesforce(salesforce, person, requested_in)
    erasure_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with connect() as con:
        con.execute("BEGIN")
        touched = scrub_state(con, pair, ids, email, values | ({email} if email else set()))
        con.execute(
            "INSERT INTO erasures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [erasure_id, person.pair_name, person.hubspot_id, person.salesforce_object, person.salesforce_id,
             email_hash(con, email), requested_in, now, by, hubspot_outcome, salesforce_outcome],
        )  # fmt: skip
        con.execute(
            """UPDATE vanished_records SET settled_at = ? WHERE pair = ? AND settled_at IS NULL
               AND record_id IN (SELECT unnest(?::VARCHAR[]))""",
            [now, person.pair_name, ids.all],
        )
        if run_id is not None:
            con.execute(
                """INSERT INTO deleted_links VALUES (?, ?, ?, ?, ?, 'erased', ?, ?)""",
                [person.pair_name, person.hubspot_id or "", person.salesforce_object, person.salesforce_id or "",
                 requested_in, run_id, now],
            )  # fmt: skip
        con.execute("COMMIT")
    return Erasure(erasure_id, person, hubspot_outcome, salesforce_outcome, sum(touched.values()))


def mirrored_email(con, pair: ObjectPair, person: Person) -> str | None:  # type: ignore[no-untyped-def]
    """The person's email as the mirror last saw it (HubSpot first), for the erasure's hash."""
    for side, record_id in (("hubspot", person.hubspot_id), ("salesforce", person.salesforce_id)):
        table = SnapshotTables.of(person.pair_name).on(side)
        column = next(
            (f.hubspot if side == "hubspot" else f.salesforce for f in pair.fields if f.hubspot == "email"),
            None,
        )
        if (
            not record_id
            or column is None
            or not table_exists(con, table)
            or not column_exists(con, table, column)
        ):
            continue
        rows = con.execute(
            f"SELECT {quoted(column)} FROM {quoted(table)} WHERE id = ?", [record_id]
        ).fetchall()
        if rows and rows[0][0]:
            return str(rows[0][0])
    return None


def _erase_in_hubspot(
    hubspot: HubSpotConnector, pair: ObjectPair, person: Person, requested_in: str
) -> str | None:
    if not person.hubspot_id:
        return None
    if requested_in == "hubspot":
        return "already_gone"
    if pair.hubspot in hubspot_deletes.CONTACTS:
        return _outcome(hubspot_deletes.gdpr_delete(hubspot, person.hubspot_id), "gdpr_deleted")
    return _outcome(hubspot_deletes.archive(hubspot, pair.hubspot, [person.hubspot_id])[0], "archived")


def _erase_in_salesforce(salesforce: SalesforceConnector, person: Person, requested_in: str) -> str | None:
    if not person.salesforce_id or not person.salesforce_object:
        return None
    if requested_in == "salesforce":
        return "already_gone"
    hard = salesforce_deletes.hard_delete(salesforce, person.salesforce_object, [person.salesforce_id])[0]
    if hard.error_code == "ENTITY_IS_DELETED":
        return "in_recycle_bin"  # soft-deleted before: Salesforce purges it within 15 days
    if hard.succeeded or hard.error_code in GONE_CODES:
        return _outcome(hard, "hard_deleted")
    soft = salesforce_deletes.delete(salesforce, [person.salesforce_id])[0]  # hard deletes refused
    return _outcome(soft, f"deleted (hard delete refused: {hard.error_code})")


def _outcome(result: WriteResult, done: str) -> str:
    if result.succeeded:
        return done
    if result.error_code in GONE_CODES:
        return "already_gone"
    return str(result.error_code or "UNKNOWN")


def _some(value: str | None) -> list[str]:
    return [value] if value else []


def erase_planned(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    run_id: str,
    pair_name: str,
) -> int:
    """Erase the people this run's plan erases (a pair whose `deletes:` policy is `erase`, for a record
    deleted on one side); returns how many."""
    erased = 0
    for row in (p for p in planned_deletes(connect, run_id, pair_name) if p.action == "erase"):
        person = Person(pair_name, row.hubspot_id, row.salesforce_object, row.salesforce_id)
        erase_person(
            connect,
            hubspot,
            salesforce,
            mapping,
            person,
            requested_in=row.deleted_in,
            by="crmsync",
            run_id=run_id,
        )
        erased += 1
    return erased
