"""Run `crmsync sandbox` as a separate process for a benchmark, so the clients and the emulators
each get a core, as they would against a real CRM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    def __init__(self, records: int, extra_args: tuple[str, ...] = ()):
        self.records = records
        self.extra_args = extra_args
        self.hubspot_port, self.salesforce_port = free_port(), free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="crmsync-bench-")
        self.proc: subprocess.Popen | None = None
        self.startup_seconds = 0.0

    @property
    def hubspot_url(self) -> str:
        return f"http://127.0.0.1:{self.hubspot_port}"

    @property
    def salesforce_url(self) -> str:
        return f"http://127.0.0.1:{self.salesforce_port}"

    def __enter__(self) -> SandboxProcess:
        crmsync = Path(sys.executable).with_name("crmsync")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [
                str(crmsync),
                "sandbox",
                "--hubspot-port",
                str(self.hubspot_port),
                "--salesforce-port",
                str(self.salesforce_port),
                "--records",
                str(self.records),
                "--data-dir",
                self._dir.name,
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                for url in (self.hubspot_url, self.salesforce_url):
                    requests.get(f"{url}/_sandbox/stats", timeout=1).raise_for_status()
                self.startup_seconds = time.monotonic() - started
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise TimeoutError("sandbox did not start within 300 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        self._dir.cleanup()

    def stats(self, url: str) -> dict:
        return requests.get(f"{url}/_sandbox/stats", timeout=10).json()
