"""When a person, rather than crmsync, last changed each Salesforce record.

Salesforce keeps one LastModifiedDate per record, and crmsync's own writes move it. Judged by that time,
crmsync writing one field of a record would make every other field on the Salesforce side look newer
than a later HubSpot edit, and that edit would lose its conflict (found by the chaos soak). So every read
that sees LastModifiedById keeps the latest time per record and user (`salesforce_edit_times`), and the
three-way merge takes the latest time of anyone but crmsync's integration user whenever crmsync itself
was the record's last modifier.

A person's later edit of another field makes the whole record newer too, so each extract also keeps,
per record and mapped field, the record's time when the field was seen to change
(`salesforce_field_times`): a field unchanged since is judged by that older time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from crmsync_pipeline.connectors.change_probe import salesforce_integration_user
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import column_exists, quoted, table_columns

if TYPE_CHECKING:
    from crmsync_pipeline.state.connections import Connect


SYSTEM_FIELDS = ("LastModifiedDate", "LastModifiedById")
_LATEST = (
    "ON CONFLICT (salesforce_id, modified_by) DO UPDATE SET "
    "edited_at = greatest(salesforce_edit_times.edited_at, excluded.edited_at)"
)


def remember_edit_times(
    con: duckdb.DuckDBPyConnection, seen: Iterable[tuple[str, str | None, datetime | None]]
) -> None:
    """Keep (record id, modifier, LastModifiedDate) as seen by a read; the latest time per pair wins."""
    latest: dict[tuple[str, str], datetime] = {}
    for record_id, user, at in seen:
        if record_id and user and at is not None:
            key = (record_id, user)
            latest[key] = max(at, latest.get(key, at))
    insert_rows(con, "salesforce_edit_times", [(i, u, at) for (i, u), at in latest.items()], _LATEST)


def integration_user(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("SELECT user_id FROM crm_identity WHERE crm = 'salesforce'").fetchall()
    return str(rows[0][0]) if rows else None


def learn_integration_user(connect: Connect, connector: SalesforceConnector) -> None:
    """Ask Salesforce once who crmsync acts as, before crmsync first writes there (one call per state
    file). Until then every record time is a person's: crmsync has written nothing."""
    with connect() as con:
        if integration_user(con) is not None:
            return
    user = salesforce_integration_user(connector)
    with connect() as con:
        con.execute(
            "INSERT INTO crm_identity VALUES ('salesforce', ?, ?) ON CONFLICT DO NOTHING",
            [user, datetime.now(UTC)],
        )


def person_modified_at_sql(
    con: duckdb.DuckDBPyConnection, snapshot: str, alias: str
) -> tuple[str, dict[str, Any]]:
    """The SQL for a row of the Salesforce `snapshot` (as `alias`): when a person last changed it, and
    the parameters it needs."""
    s = alias
    user = integration_user(con)
    if user is None or not column_exists(con, snapshot, "_last_modified_by_id"):
        return f"{s}._modified_at", {}  # crmsync has not written to Salesforce yet
    return sql("extract/person_modified_at.sql").format(alias=s), {"integration_user": user}


def remember_field_changes(con: duckdb.DuckDBPyConnection, table: str, fields: Sequence[str]) -> None:
    """The mapped `fields` whose value in the page about to be upserted (`snapshot_page`) differs from
    the snapshot `table`: changed by the page's record time and modifier (an older row, which the upsert
    would not take either, changes nothing)."""
    columns = table_columns(con, table)
    names = [f for f in fields if f in columns]
    if not names:
        return
    # One join of the page against the snapshot (a scan of the whole table), then a field per row of
    # that small result: a join per field cost most of a small incremental extract.
    params = {f"field_{i}": name for i, name in enumerate(names)}
    changed = ", ".join(
        f"{{'field': $field_{i}, 'moved': p.{quoted(n)} IS DISTINCT FROM t.{quoted(n)}}}"
        for i, n in enumerate(names)
    )
    con.execute(sql("extract/field_changes.sql").format(table=quoted(table), changes=changed), params)
