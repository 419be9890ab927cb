"""The two halves of every write batch, whichever API carries it (sObject Collections, HubSpot batch,
or a Bulk API job reconciled later): the audit intent before the CRM call, then what the CRM answered
(results, errors, links, base, the snapshot), each in its own short-lived state connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

import duckdb

from crmsync_pipeline.connectors.outcome import WriteResult

from .outcomes import WriteOutcome, record_intent, record_outcomes
from .reflect import reflect_writes

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@contextmanager
def one_database_instance(connect: Connect) -> Iterator[None]:
    """Hold one idle state connection through a step, so its many short-lived connections reuse this
    process's open database. Without it DuckDB opens the file (and checkpoints it on the last close) for
    every connection: ~20 ms each, about 3,000 times in a first sync of 10,000 people. Nothing is read or
    written through the idle connection; the file lock it keeps is the one this run holds anyway as the
    file's one writer (others read the published copy)."""
    with getattr(connect, "idle", connect)():  # an idle connection need not wait its turn
        yield


class TakingTurns:
    """State connections for writes running in several threads at once (both CRMs of a pair): one at a
    time. DuckDB transactions of two threads on the same tables would conflict, and their work is short;
    what the threads overlap is their CRM calls, made outside any connection. `idle` is the plain
    connection, for holding the file open."""

    def __init__(self, connect: Connect):
        self.idle = connect
        self._turn = threading.RLock()

    @contextmanager
    def __call__(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._turn, self.idle() as con:
            yield con


def intend(connect: Connect, run_id: str, pair: str, target: str, refs: Sequence[str]) -> datetime:
    """Record the intent of writing these records; returns when it was intended."""
    intended_at = datetime.now(UTC)
    with connect() as con:
        record_intent(con, run_id, pair, target, list(refs), intended_at)
    return intended_at


def confirm(
    connect: Connect,
    run_id: str,
    pair: str,
    target: str,
    refs: Sequence[str],
    results: Sequence[WriteResult],
    intended_at: datetime,
    hubspot_object: str | None = None,
    agreed_empty: Sequence[str] = (),
) -> list[WriteOutcome]:
    """Record what the CRM answered for each record (`results` in the order of `refs`); a created
    record's fields named in `agreed_empty` and left empty get an empty base."""
    outcomes = [
        WriteOutcome(ref, r.record_id, r.succeeded, r.created, r.error_code, r.error_message, r.error_fields)
        for ref, r in zip(refs, results, strict=True)
    ]
    with connect() as con:
        record_outcomes(con, run_id, pair, target, outcomes, datetime.now(UTC), agreed_empty)
        reflect_writes(
            con,
            run_id,
            pair,
            target,
            [o.record_ref for o in outcomes if o.succeeded],
            intended_at,
            hubspot_object=hubspot_object,
        )
    return outcomes


def still_intended(connect: Connect, run_id: str, pair: str, target: str, refs: Sequence[str]) -> set[str]:
    """The records whose intent has no outcome yet (a write that crashed before its confirmation)."""
    with connect() as con:
        rows = con.execute(
            """SELECT DISTINCT source_id FROM audit_log WHERE run_id = ? AND pair = ? AND target = ?
               AND outcome = 'intended' AND source_id IN (SELECT unnest(?::VARCHAR[]))""",
            [run_id, pair, target, list(refs)],
        ).fetchall()
    return {r[0] for r in rows}
