"""Who was erased, kept without keeping them: a salted hash of the normalized email. The salt lives in
the state file (table erasure_salt, made on first use) unless CRMSYNC_ERASURE_SALT sets it, so a list
of addresses taken elsewhere cannot be hashed and compared without it."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime

import duckdb

SALT_ENV = "CRMSYNC_ERASURE_SALT"


def normalized_email(email: str | None) -> str | None:
    text = (email or "").strip().lower()
    return text or None


def erasure_salt(con: duckdb.DuckDBPyConnection) -> str:
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    rows = con.execute("SELECT salt FROM erasure_salt LIMIT 1").fetchall()
    if rows:
        return str(rows[0][0])
    salt = secrets.token_hex(16)
    con.execute("INSERT INTO erasure_salt VALUES (?, ?)", [salt, datetime.now(UTC)])
    return salt


def email_hash(con: duckdb.DuckDBPyConnection, email: str | None) -> str | None:
    normal = normalized_email(email)
    if normal is None:
        return None
    return hashlib.sha256(f"{erasure_salt(con)}:{normal}".encode()).hexdigest()


def erased_ids(con: duckdb.DuckDBPyConnection, pair_name: str) -> set[str]:
    """Every record id (either side) of a person erased from this pair."""
    rows = con.execute(
        "SELECT hubspot_id, salesforce_id FROM erasures WHERE pair = ?", [pair_name]
    ).fetchall()
    return {i for row in rows for i in row if i}


def erased_hashes(con: duckdb.DuckDBPyConnection, pair_name: str) -> set[str]:
    rows = con.execute(
        "SELECT email_hash FROM erasures WHERE pair = ? AND email_hash IS NOT NULL", [pair_name]
    ).fetchall()
    return {r[0] for r in rows}
