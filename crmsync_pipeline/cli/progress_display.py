"""Progress bars for a sync run in this process, fed by the same progress log lines the Dagster run log
shows (progress.py): one bar per extract or write task, with counts done / total."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from crmsync_pipeline.progress import log as progress_log


class _ProgressHandler(logging.Handler):
    def __init__(self, progress: Progress):
        super().__init__(logging.INFO)
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def emit(self, record: logging.LogRecord) -> None:
        info = getattr(record, "crmsync_progress", None)
        if not info:
            return
        task, done, total = info
        if task not in self.tasks:
            self.tasks[task] = self.progress.add_task(task, total=total)
        self.progress.update(self.tasks[task], completed=done, total=total)


@contextmanager
def progress_bars(console: Console) -> Iterator[None]:
    """Shows the run's progress while the block runs (on a terminal only; piped output stays clean)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    handler = _ProgressHandler(progress)
    progress_log.addHandler(handler)
    try:
        with progress:
            yield
    finally:
        progress_log.removeHandler(handler)
