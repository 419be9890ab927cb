"""The CRMs' schemas (Salesforce describe, HubSpot property definitions), kept in the state file for an
hour so that a cycle with nothing to do spends no call on them; a schema error from a CRM clears it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crmsync_pipeline.state import db

MAX_AGE = timedelta(hours=1)


def cached_schema(
    state_path: Path, crm: str, object_name: str, fetch: Callable[[], Any], max_age: timedelta = MAX_AGE
) -> Any:
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT body, fetched_at FROM schema_cache WHERE crm = ? AND object = ?", [crm, object_name]
        ).fetchall()
    if rows and datetime.now(UTC) - rows[0][1] < max_age:
        return json.loads(rows[0][0])
    body = fetch()  # outside any state connection: it calls the CRM
    with db.connect(state_path) as con:
        con.execute(
            "INSERT OR REPLACE INTO schema_cache VALUES (?, ?, ?, ?)",
            [crm, object_name, json.dumps(body, default=str), datetime.now(UTC)],
        )
    return body


def forget_schemas(state_path: Path, crm: str | None = None) -> None:
    """After a CRM reported a schema error (INVALID_FIELD, PROPERTY_DOESNT_EXIST): re-read next time."""
    with db.connect(state_path) as con:
        if crm is None:
            con.execute("DELETE FROM schema_cache")
        else:
            con.execute("DELETE FROM schema_cache WHERE crm = ?", [crm])


def salesforce_fields(state_path: Path, connector: Any, sobject: str) -> dict[str, dict[str, Any]]:
    describe = cached_schema(state_path, "salesforce", sobject, lambda: connector.describe(sobject))
    return {f["name"]: f for f in describe["fields"]}


def hubspot_properties(state_path: Path, connector: Any, object_type: str) -> dict[str, dict[str, Any]]:
    properties = cached_schema(state_path, "hubspot", object_type, lambda: connector.properties(object_type))
    return {p["name"]: p for p in properties}
