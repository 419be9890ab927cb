"""What a failed `crmsync plan` / `crmsync sync` prints: which steps failed and for which pair, the CRM's
error code and message, how many steps never ran because they needed the failed ones, and what to do
next. Grouped by error, since one cause (a revoked token) fails every step that calls that CRM."""

from __future__ import annotations

import re
from dataclasses import dataclass

import rich.markup
from rich.console import Console

from crmsync_pipeline.health.error_fixes import FIXES

# CrmError's text (connectors/errors.py): "<crm> <CODE> (HTTP <status>): <message>"
CRM_ERROR = re.compile(
    r"^(?P<crm>hubspot|salesforce) (?P<code>[A-Z][A-Z0-9_]+)(?: \(HTTP (?P<status>\d+)\))?: "
)
EXCEPTION_PREFIX = re.compile(r"^(?:[\w]+\.)+\w+: ")  # "crmsync_pipeline.connectors.errors.CrmError: "


@dataclass(frozen=True)
class StepFailure:
    step: str
    pair: str | None  # the object pair the step belongs to (None: a step of the whole run)
    crm: str | None
    code: str | None  # the CRM's error code, when a CRM refused
    cause: str  # the error as raised, without the exception's module path

    @property
    def headline(self) -> str:
        """The error without the step: what steps with one cause share."""
        return self.cause.strip().splitlines()[0] if self.cause.strip() else "(no message)"


def step_failures(result, pair_names: list[str]) -> list[StepFailure]:  # type: ignore[no-untyped-def]
    failures = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        cause = error.cause if error is not None and error.cause is not None else error
        text = EXCEPTION_PREFIX.sub("", cause.message.strip()) if cause is not None else event.message or ""
        found = CRM_ERROR.match(text)
        failures.append(
            StepFailure(
                event.step_key,
                _pair_of(event.step_key, pair_names),
                found["crm"] if found else None,
                found["code"] if found else None,
                text,
            )
        )
    return failures


def not_run(result, steps: int) -> int:  # type: ignore[no-untyped-def]
    """Steps of the job's `steps` that never started (a step they need failed)."""
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    return max(0, steps - len(started))


def _pair_of(step: str, pair_names: list[str]) -> str | None:
    named = [p for p in pair_names if re.search(rf"(^|_){re.escape(p)}(_|$)", step)]
    return max(named, key=len) if named else None


def print_failure(  # type: ignore[no-untyped-def]
    console: Console,
    result,
    command: str,
    pair_names: list[str],
    wrote: bool,
    findings: list[str],
    steps: int,
) -> None:
    failures = step_failures(result, pair_names)
    skipped = not_run(result, steps)
    then = f", {skipped} not run (they need the failed ones)" if skipped else ""
    done = "some writes landed before the failure (table above)" if wrote else "nothing was written"
    console.print(
        f"[red]the run failed[/red] (run {result.run_id}): {len(failures)} step(s) failed{then}; {done}",
        highlight=False,
    )
    for finding in findings:
        console.print("  " + rich.markup.escape(finding), highlight=False)
    groups: dict[str, list[StepFailure]] = {}
    for f in failures:
        groups.setdefault(f.headline, []).append(f)
    for headline, members in groups.items():
        pairs = sorted({f.pair for f in members if f.pair})
        where = ", ".join(f.step for f in members) + (f" (pairs: {', '.join(pairs)})" if pairs else "")
        first = members[0]
        code = f"CRM error {first.crm} {first.code}" if first.code else "error"
        console.print(rich.markup.escape(f"  {code} in {where}:"), highlight=False)
        console.print(rich.markup.escape(f"    {headline}"), highlight=False, soft_wrap=True)
    console.print(rich.markup.escape(_next_step(failures, command, wrote)), highlight=False, soft_wrap=True)
    console.print(
        f"more: `crmsync status`, `crmsync errors`, the run's event log in the Dagster UI (make ui) or "
        f"`crmsync {command} -v`",
        highlight=False,
    )


def _next_step(failures: list[StepFailure], command: str, wrote: bool) -> str:
    fixes = [FIXES[c] for c in dict.fromkeys(f.code for f in failures if f.code) if c in FIXES]
    first = " ".join(fixes) if fixes else "fix what the error above says (its message names the setting)"
    again = f"then run `crmsync {command}` again: it resumes from the state file" + (
        " and confirmed writes are not repeated" if wrote else ""
    )
    return f"what to do: {first}; {again}"
