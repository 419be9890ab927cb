"""Progress of long reads and writes: one log line per page or batch, with counts done / total, on a
logger Dagster captures into the run's log (so the UI shows it) and the CLI turns into progress bars.
Each record carries `crmsync_progress` = (task, done, total, unit) for such displays."""

from __future__ import annotations

import dagster as dg

PROGRESS_LOGGER = "crmsync.progress"
log = dg.get_dagster_logger(PROGRESS_LOGGER)


def report(task: str, done: int, total: int | None, unit: str = "records") -> None:
    """`task` names the work (e.g. `extract salesforce contacts:Lead`); `total` None when unknown."""
    of = f"/{total}" if total is not None else ""
    log.info(f"{task}: {done}{of} {unit}", extra={"crmsync_progress": (task, done, total, unit)})
