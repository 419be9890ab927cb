"""What the terminal shows while `crmsync plan`, `sync` or `demo` runs a job in this process: progress,
not the Dagster event log. The event log stays in the run's storage (the UI shows it) and `-v` prints
it as Dagster does.

- On a terminal: a line for the step running (n of the job's steps) and one bar per long task of that
  step (an extract's pages, a write's batches), fed by the progress log lines of progress.py; the bars
  go away when the run ends and the summary takes their place.
- Piped (make, cron, CI logs): one plain line per long task when it is done, with its count (`crmsync
  demo` asks for lines only for the tasks that took a while: its summary tables say the rest).
- Either way, a warning or error a step logs is printed at once, short (`warning  <step>: <message>`);
  the failure of a step is reported after the run by the command, with what to do next.

The job's `console` logger is swapped for `quiet_console_logger` (Dagster's own logger prints every
event at DEBUG); the events still go to the run's storage, which does not depend on loggers."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
import rich.markup
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from crmsync_pipeline.progress import log as progress_log

# Dagster's error line for each step it skips because a step it needs failed
NOT_EXECUTING = re.compile(r"^Dependencies for step .* (failed|not executed).*Not executing\.?$", re.S)
STEP_ENDS = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


@dataclass
class _Task:
    step: str | None
    done: int = 0
    total: int | None = None
    unit: str = "records"
    shown: bool = False
    bar: TaskID | None = None
    began: float = field(default_factory=time.monotonic)


@dataclass
class RunDisplay:
    """The run's progress on `console`; `steps`: how many steps the job has (for `step n/N`)."""

    console: Console
    steps: int = 0
    progress: Progress | None = None  # None when piped: plain lines instead
    tasks: dict[str, _Task] = field(default_factory=dict)
    step: str | None = None
    started: int = 0
    step_bar: TaskID | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)  # both CRMs of a pair write at once
    piped_after: float = 0.0  # piped, a task done sooner than this many seconds gets no line

    def task(self, name: str, done: int, total: int | None, unit: str = "records") -> None:
        with self.lock:
            task = self.tasks.setdefault(name, _Task(self.step))
            task.done, task.total, task.unit = done, total, unit
            if self.progress is not None:
                if task.bar is None:
                    task.bar = self.progress.add_task(name, total=total)
                self.progress.update(task.bar, completed=done, total=total)
            elif total is not None and done >= total:
                self._plain_line(name, task)

    def step_event(self, event: str, step_key: str) -> None:
        with self.lock:
            if event == "STEP_START":
                self.step, self.started = step_key, self.started + 1
                if self.progress is not None and self.step_bar is not None:
                    self.progress.update(
                        self.step_bar, completed=self.started - 1, description=f"step {step_key}"
                    )
            elif event in STEP_ENDS:
                if self.progress is not None and self.step_bar is not None:
                    self.progress.update(self.step_bar, completed=self.started)
                # a step's bars make room for the next step's; piped, a task of unknown total (a
                # HubSpot list without a count) gets its line when its step ends
                for name, task in self.tasks.items():
                    if task.step != step_key:
                        continue
                    if self.progress is not None and task.bar is not None:
                        self.progress.update(task.bar, visible=False)
                    elif self.progress is None and not task.shown:
                        self._plain_line(name, task)

    def message(self, level: int, step_key: str | None, text: str) -> None:
        """A warning or error a step logged: always shown, on one line."""
        label = "[red]error[/red]  " if level >= logging.ERROR else "[yellow]warning[/yellow]"
        where = f"{step_key}: " if step_key else ""
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        self._print(f"{label} {rich.markup.escape(where + first_line)}")

    def _plain_line(self, name: str, task: _Task) -> None:
        task.shown = True
        if time.monotonic() - task.began < self.piped_after:
            return
        of = f"/{task.total}" if task.total is not None else ""
        self._print(rich.markup.escape(f"  {name}: {task.done}{of} {task.unit}"))

    def _print(self, text: str) -> None:
        (self.progress.console if self.progress is not None else self.console).print(
            text, highlight=False, soft_wrap=True
        )


class _ProgressHandler(logging.Handler):
    """progress.py's log lines (`crmsync_progress` = task, done, total) into the display."""

    def __init__(self, display: RunDisplay):
        super().__init__(logging.INFO)
        self.display = display

    def emit(self, record: logging.LogRecord) -> None:
        if info := getattr(record, "crmsync_progress", None):
            self.display.task(*info)


class _DagsterEventHandler(logging.Handler):
    """The records Dagster hands its loggers: step starts and ends move the step line; a warning or
    error a step logged is shown; every other event stays in the run's storage."""

    def __init__(self, display: RunDisplay):
        super().__init__(logging.DEBUG)
        self.display = display

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not meta:
            return
        event = meta.get("dagster_event")
        if event is not None:
            if meta.get("step_key"):
                self.display.step_event(event.event_type_value, meta["step_key"])
            return  # a failed step is reported after the run, with what to do next
        text = str(meta.get("orig_message", ""))
        if NOT_EXECUTING.search(text):
            return  # a step skipped after a failure: the failure report counts them ("not run")
        if text.startswith("crmsync alert [run_held]"):
            return  # sent to the alert channels; the command prints the held plan after the run
        if record.levelno >= logging.WARNING:
            self.display.message(record.levelno, meta.get("step_key"), text)


def quiet_console_logger(display: RunDisplay) -> dg.LoggerDefinition:
    """The job's `console` logger for a run shown by `display` (instead of Dagster's event printer)."""

    @dg.logger(description="crmsync's terminal: progress and warnings, not the event log")
    def crmsync_terminal(_init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.getLogger(f"crmsync.terminal.{id(display)}")
        logger.handlers = [_DagsterEventHandler(display)]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        return logger

    return crmsync_terminal


@contextmanager
def run_display(console: Console, steps: int = 0, piped_after: float = 0.0) -> Iterator[RunDisplay]:
    """Shows the run's progress while the block runs: bars on a terminal, plain lines when piped (for
    the tasks that took at least `piped_after` seconds)."""
    progress = None
    if console.is_terminal:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
    display = RunDisplay(console, steps, progress, piped_after=piped_after)
    handler = _ProgressHandler(display)
    progress_log.addHandler(handler)
    try:
        if progress is None:
            yield display
            return
        with progress:
            display.step_bar = progress.add_task("starting", total=steps or None)
            yield display
    finally:
        progress_log.removeHandler(handler)
