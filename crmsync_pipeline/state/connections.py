"""Connections to the state file for a step that writes: one open database held through the step, and
turns taken by threads that write at once (both CRMs of a pair)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import duckdb

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@contextmanager
def one_database_instance(connect: Connect) -> Iterator[None]:
    """Hold one idle state connection through a step, so its many short-lived connections reuse this
    process's open database. Without it DuckDB opens the file (and checkpoints it on the last close) for
    every connection: ~20 ms each, about 3,000 times in a first sync of 10,000 people. Nothing is read or
    written through the idle connection; the file lock it keeps is the one this run holds anyway as the
    file's one writer (others read the published copy)."""
    # threads taking turns at the file need not wait for one to hold it open
    idle = connect.idle if isinstance(connect, TakingTurns) else connect
    with idle():
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
