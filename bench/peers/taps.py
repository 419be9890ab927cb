"""Running a peer tap against the sandbox: discovery, then syncs with or without state. The tap runs
unchanged in its own venv; `sitecustomize.py` (this directory, put on its PYTHONPATH) redirects the
CRMs' public hosts to the sandbox ports."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalogs
from .singer_output import TapOutput, read_messages
from .venvs import tap_executable

SHIM_DIR = Path(__file__).resolve().parent
PUBLIC_HOSTS = {"tap-hubspot": "https://api.hubapi.com", "tap-salesforce": "https://login.salesforce.com"}


@dataclass
class TapRun:
    seconds: float
    output: TapOutput


class Tap:
    """One tap, its config and selected catalog in `workdir`, pointed at the sandbox at `url`."""

    def __init__(self, name: str, url: str, workdir: Path):
        self.name, self.url, self.workdir = name, url, workdir
        self.executable = tap_executable(name)
        workdir.mkdir(parents=True, exist_ok=True)
        config = catalogs.hubspot_config() if name == "tap-hubspot" else catalogs.salesforce_config()
        self.config = workdir / "config.json"
        self.config.write_text(json.dumps(config))
        self.catalog = workdir / "catalog.json"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(SHIM_DIR),
            "EMU_REWRITE": f"{PUBLIC_HOSTS[self.name]}={self.url}",
        }

    def discover(self, wanted: dict[str, list[str]]) -> dict[str, Any]:
        """The tap's own discovery, then the selection of `wanted` written as its catalog."""
        found = subprocess.run(
            [str(self.executable), "--config", str(self.config), "--discover"],
            env=self.env(),
            capture_output=True,
            check=False,
        )
        if found.returncode != 0:
            raise RuntimeError(f"{self.name} --discover failed: {found.stderr.decode()[-3000:]}")
        catalog = json.loads(found.stdout)
        select = catalogs.select_hubspot if self.name == "tap-hubspot" else catalogs.select_salesforce
        selected = select(catalog, wanted)
        self.catalog.write_text(json.dumps(selected))
        return selected

    def sync(self, state: dict[str, Any] | None = None) -> TapRun:
        """One extraction: full without state, incremental from `state` (the last run's last STATE)."""
        flag = "--catalog" if self.name == "tap-hubspot" else "--properties"
        command = [str(self.executable), "--config", str(self.config), flag, str(self.catalog)]
        if state is not None:
            state_file = self.workdir / "state.json"
            state_file.write_text(json.dumps(state))
            command += ["--state", str(state_file)]
        log = self.workdir / "stderr.log"
        started = time.monotonic()
        with log.open("wb") as stderr:
            done = subprocess.run(command, env=self.env(), stdout=subprocess.PIPE, stderr=stderr, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"{self.name} sync failed (see {log}): {log.read_text()[-3000:]}")
        return TapRun(seconds, read_messages(done.stdout.splitlines()))
