"""Transient per-record failures inside a write batch (a Salesforce row lock held by another process,
UNABLE_TO_LOCK_ROW) are sent again, alone, within the same run, so one busy record does not wait a
whole cycle; permanent errors are never re-sent, since the same data would be refused again."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from crmsync_pipeline.connectors.errors import RETRYABLE_CODES
from crmsync_pipeline.connectors.outcome import WriteResult

RECORD_RETRIES = 2  # more would hold the whole run behind one locked row; the next cycle retries
RECORD_RETRY_DELAY_S = 0.5

Record = TypeVar("Record")


def retry_transient(
    batch: Sequence[Record],
    results: list[WriteResult],
    send: Callable[[list[Record]], list[WriteResult]],
) -> list[WriteResult]:
    """`results` with each transiently failed record re-sent (after a jittered wait) up to
    RECORD_RETRIES times; what still fails stays failed, recorded and retried next cycle."""
    results = list(results)
    for attempt in range(1, RECORD_RETRIES + 1):
        again = [i for i, r in enumerate(results) if not r.succeeded and r.error_code in RETRYABLE_CODES]
        if not again:
            break
        time.sleep(random.uniform(0, RECORD_RETRY_DELAY_S * 2**attempt))
        for i, result in zip(again, send([batch[i] for i in again]), strict=True):
            results[i] = _after_retry(results[i], result)
    return results


def _after_retry(before: WriteResult, after: WriteResult) -> WriteResult:
    """A resent record that fails again keeps what the CRM took in the attempt before: HubSpot took a
    create's record and properties, then refused its association with a retryable code, and the resent
    upsert failed on its own; the record still exists and holds those properties."""
    if after.succeeded or not before.applied:
        return after
    return replace(
        after, record_id=after.record_id or before.record_id, applied=before.applied | after.applied
    )
