"""Independent requests of one step sent a few at a time. The CRMs' windows allow far more calls than one
thread makes while it also waits on each answer; the pacer (pacing.py) and the budget (calls.py) are
shared by the threads and keep the whole within the limits. Results come back in input order."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_ENV = "CRMSYNC_HUBSPOT_PARALLEL"
DEFAULT_PARALLEL = 4


def hubspot_parallel() -> int:
    """Requests in flight at once against HubSpot (env CRMSYNC_HUBSPOT_PARALLEL, default 4; 1 = serial)."""
    return max(1, int(os.environ.get(PARALLEL_ENV) or DEFAULT_PARALLEL))


def in_parallel(call: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`call` on every item, at most `workers` at a time, answers in input order. The first failure is
    raised once the calls already started have finished (none is abandoned midway)."""
    if workers <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(min(workers, len(items)), thread_name_prefix="crm-call") as pool:
        futures = [pool.submit(call, item) for item in items]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]
