"""Running crmsync under the soak: its environment, the CLI as a subprocess (so a SIGKILL can land), and
where the chaos lands (faults while a sync runs, fixed kill points, the mid-run edit hooks)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.sandbox_process import SandboxProcess

from .model import MAPPING

ROOT = Path(__file__).resolve().parents[2]
CRMSYNC = Path(sys.executable).with_name("crmsync")
FAULTS = {  # every kind at once while a sync runs; Salesforce sessions also expire during each run
    "error_rates": {500: 0.03, 503: 0.03},
    "burst_429": 4,
    "concurrency_rate": 0.02,  # Salesforce's concurrent-request 403 (HubSpot answers its 429)
    "latency_ms": 2,
    "latency_jitter_ms": 15,
    "drop_rate": 0.03,
    "burst_drop": 1,  # at least one dropped connection per cycle, whatever the random draws
    "record_failure_rate": 0.06,
}
FIXED_KILLS = {  # where a fixed kill lands: the request it follows, on which CRM
    "after_salesforce_write": ("salesforce", {"method": "PATCH", "contains": "composite/sobjects"}),
    "after_hubspot_write": ("hubspot", {"method": "POST", "contains": ["/batch/"], "not": "read"}),
    "while_bulk_job_runs": ("salesforce", {"method": "PATCH", "contains": "jobs/ingest/"}),
}
MID_RUN_HOOKS = {  # the write step's re-read of its targets: after the plan, before the write
    "hubspot": {"method": "POST", "contains": "/batch/read"},
    "salesforce": {"method": "GET", "contains": ["/query", "WHERE Id IN"]},
}


def soak_env(sandbox: SandboxProcess, tmp: Path, bulk_threshold: int) -> dict[str, str]:
    """crmsync's environment for the soak: a temp state file and DAGSTER_HOME, the soak's mapping."""
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "SALESFORCE_", "CRMSYNC_"))}
    return {
        **env,
        "HUBSPOT_ACCESS_TOKEN": "sandbox-token",
        "HUBSPOT_BASE_URL": sandbox.hubspot_url,
        # OAuth client credentials, so an expired session is renewed as in production
        "SALESFORCE_CLIENT_ID": "sandbox-client-id",
        "SALESFORCE_CLIENT_SECRET": "sandbox-client-secret",
        "SALESFORCE_LOGIN_URL": sandbox.salesforce_url,
        "CRMSYNC_CONFIG": str(MAPPING),
        "CRMSYNC_STATE_DB": str(tmp / "crmsync.duckdb"),
        "CRMSYNC_BULK_THRESHOLD": str(bulk_threshold),
        # HubSpot's archived listing read every cycle, so archives, orphans and restores happen within the soak
        "CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES": "0",
        "DAGSTER_HOME": str(home),
        "COLUMNS": "200",
    }


def run_cli(env: dict[str, str], *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """`crmsync ARGS` to the end, its output in `stdout` (stderr appended)."""
    done = subprocess.run([str(CRMSYNC), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    if check and done.returncode != 0:
        raise RuntimeError(f"crmsync {' '.join(args)} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    done.stdout = (done.stdout or "") + (done.stderr or "")
    return done


def kill_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


def tail(output: Any, n: int = 800) -> str:
    text = output.decode(errors="replace") if isinstance(output, bytes) else str(output or "")
    return " ".join(text.split())[-n:]
