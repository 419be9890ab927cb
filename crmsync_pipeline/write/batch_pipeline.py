"""Writing one object's records batch after batch, with the state work of the batches either side done
while a batch's call is in flight. Per batch that work (stale checks, the audit intent, outcomes, base,
snapshot) took about as long as the call itself, so a first sync spent half its writing time with no
request out.

Order kept for every batch: checks, then its intent, then its call, then its outcome. Only the calling
thread touches the state file; one sender thread talks to the CRM, one batch at a time, so a crash
leaves at most two batches unconfirmed, settled by the next run as any interrupted write is."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from crmsync_pipeline import progress
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.write.batch import confirm, intend
from crmsync_pipeline.write.job import ApplyJob, PendingRecord
from crmsync_pipeline.write.rechecks import fresh_rows, untouched_targets
from crmsync_pipeline.write.retries import retry_transient

Send = Callable[[list[PendingRecord]], list[WriteResult]]


@dataclass
class _Sent:
    batch: list[PendingRecord]
    intended_at: datetime
    answer: Future[list[WriteResult]]
    done: int  # records of the object's total up to and including this batch


def write_in_batches(job: ApplyJob, action: str, items: list[PendingRecord], send: Send, task: str) -> None:
    """`send` one batch (of the writer's batch size) at a time; `task` names the work in progress lines."""
    size = job.writer.batch_size
    in_flight: _Sent | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="crm-write") as sender:
        try:
            for start in range(0, len(items), size):
                batch = fresh_rows(job, items[start : start + size])
                if action == "update":
                    batch = untouched_targets(job, batch)
                answered = (in_flight, in_flight.answer.result()) if in_flight is not None else None
                in_flight = None
                if job.halted():
                    if answered is not None:
                        _settle(job, action, task, len(items), *answered)
                    job.check_halt()
                done = min(len(items), start + size)
                if batch:
                    refs = [r.ref for r in batch]
                    intended_at = intend(job.connect, job.run_id, job.pair_name, job.target, refs)
                    answer = sender.submit(lambda b=batch: retry_transient(b, send(b), send))
                    in_flight = _Sent(batch, intended_at, answer, done)
                if answered is not None:
                    _settle(job, action, task, len(items), *answered)
                if not batch:
                    progress.report(task, done, len(items))
        except BaseException:
            _settle_if_answered(job, action, task, len(items), in_flight)
            raise
        if in_flight is not None:
            _settle(job, action, task, len(items), in_flight, in_flight.answer.result())


def _settle_if_answered(job: ApplyJob, action: str, task: str, total: int, sent: _Sent | None) -> None:
    """After a failure elsewhere (a stale check's read, the state file), the batch still in flight is
    recorded if the CRM took it, so a write that happened is not left to look interrupted."""
    if sent is None:
        return
    try:
        _settle(job, action, task, total, sent, sent.answer.result())
    except Exception:  # not the failure being raised; the batch's intent stays for the next run to settle
        return


def _settle(
    job: ApplyJob, action: str, task: str, total: int, sent: _Sent, results: list[WriteResult]
) -> None:
    outcomes = confirm(
        job.connect,
        job.run_id,
        job.pair_name,
        job.target,
        [r.ref for r in sent.batch],
        results,
        sent.intended_at,
        hubspot_object=sent.batch[0].object_name if job.target == "hubspot" else None,
        agreed_empty=job.agreed_empty,
    )
    job.summary.count(outcomes, created=action == "create")
    progress.report(task, sent.done, total)
