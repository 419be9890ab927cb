"""`crmsync ui`: the Dagster UI (`dagster dev`: webserver and daemon) against the sandbox CRMs.

Reuses sandbox CRMs already serving on the given ports (`crmsync sandbox`); otherwise serves its own,
seeded, from this process, so Ctrl-C stops the UI and the sandbox it started together. With real CRMs
configured in the environment it starts no sandbox and runs no setup: it is then just `dagster dev`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import requests

from crmsync_pipeline.connectors.settings import HUBSPOT_VARIABLES, SALESFORCE_VARIABLES
from crmsync_pipeline.state.db import PROJECT_ROOT

DEFINITIONS_MODULE = "crmsync_pipeline.definitions"
STARTUP_TIMEOUT_S = 300  # a cold `dagster dev` on two busy cores loads the code location slowly
STOP_GRACE_S = 60


def dagster_home() -> Path:
    """DAGSTER_HOME as an absolute path (Dagster requires it), with the project's instance config in it."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / "dagster_home").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


def _sandbox_answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=2).ok
    except requests.RequestException:
        return False


def _start_sandbox(data_dir: Path, ports: tuple[int, int], records: int, seed: int, reset: bool) -> list:  # type: ignore[type-arg]
    from crmsync_pipeline.sandbox.run import SandboxOptions, build_emulators
    from crmsync_pipeline.sandbox.seed import SeedOptions
    from crmsync_pipeline.sandbox.server import EmulatorThread

    options = SandboxOptions(data_dir=data_dir, seed=SeedOptions(records=records, seed=seed), reset=reset)
    emulators = build_emulators(options, say=click.echo)
    return [EmulatorThread(e, port).start() for e, port in zip(emulators, ports, strict=True)]


def _forget_state(state: Path) -> None:
    """A freshly seeded sandbox holds other records than an old state file links: start that file anew."""
    for path in (state, state.with_name(state.name + ".wal")):
        path.unlink(missing_ok=True)


def _setup() -> None:
    from crmsync_pipeline.cli.setup_commands import setup

    try:
        setup.main(args=[], standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            raise click.ClickException("crmsync setup did not complete (see above)") from None


class DagsterDev:
    """`dagster dev` (webserver, daemon, code server) in its own session: a terminal's Ctrl-C reaches only
    this process, which passes one SIGINT on so that `dagster dev` stops its children itself."""

    def __init__(self, env: dict[str, str], host: str, port: int):
        self.url = f"http://{host}:{port}"
        self.stop_requested: float | None = None
        # handlers first: a child inherits an ignored SIGINT (a background job's) but not a caught one
        self._previous = {
            sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        dagster = Path(sys.executable).with_name("dagster")
        command = [str(dagster) if dagster.exists() else "dagster", "dev", "-m", DEFINITIONS_MODULE]
        self.proc = subprocess.Popen(
            [*command, "--host", host, "--port", str(port)], env=env, cwd=PROJECT_ROOT, start_new_session=True
        )
        if self.stop_requested is not None:
            self.proc.send_signal(signal.SIGINT)

    def request_stop(self, *_: object) -> None:
        """Signal handler: never waits (waiting here would deadlock with the main thread's wait)."""
        if (
            self.stop_requested is None
            and getattr(self, "proc", None) is not None
            and self.proc.poll() is None
        ):
            self.proc.send_signal(signal.SIGINT)
        self.stop_requested = self.stop_requested or time.monotonic()

    def serving(self) -> bool:
        """True once the webserver answers; False if `dagster dev` exited or a stop came first."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline and self.stop_requested is None and self.proc.poll() is None:
            try:
                if requests.get(f"{self.url}/server_info", timeout=2).ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(1)
        return False

    def wait(self) -> None:
        """Until `dagster dev` exits; after a stop request it has STOP_GRACE_S to shut down, then is killed."""
        while self.proc.poll() is None:
            if self.stop_requested is not None and time.monotonic() - self.stop_requested > STOP_GRACE_S:
                self.proc.kill()
            time.sleep(0.2)

    def close(self) -> None:
        self.request_stop()
        self.wait()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


@click.command()
@click.option("--port", default=3000, show_default=True, help="the Dagster UI's port on --host")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--hubspot-port", default=8765, show_default=True, help="sandbox HubSpot port")
@click.option("--salesforce-port", default=8766, show_default=True, help="sandbox Salesforce port")
@click.option("--records", default=1000, show_default=True, help="people per side when seeding a sandbox")
@click.option("--seed", default=42, show_default=True)
@click.option("--reset", is_flag=True, help="reseed the sandbox this command serves and start its state anew")
def ui(
    port: int, host: str, hubspot_port: int, salesforce_port: int, records: int, seed: int, reset: bool
) -> None:
    """Open the Dagster UI (webserver and daemon) on the sandbox CRMs; Ctrl-C stops both."""
    home = dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    real_crm = any(os.environ.get(v) for v in (*HUBSPOT_VARIABLES, *SALESFORCE_VARIABLES))
    threads: list = []  # type: ignore[type-arg]
    if real_crm:
        click.echo("HUBSPOT_* / SALESFORCE_* are set: no sandbox, no setup; the UI syncs those CRMs")
    elif _sandbox_answers(hubspot_port) and _sandbox_answers(salesforce_port):
        click.echo(f"reusing the sandbox CRMs serving on ports {hubspot_port} and {salesforce_port}")
    else:
        own = home / "ui"
        env.setdefault("CRMSYNC_STATE_DB", str(own / "crmsync.duckdb"))
        if reset or not (own / "sandbox").exists():
            _forget_state(Path(env["CRMSYNC_STATE_DB"]))
        threads = _start_sandbox(own / "sandbox", (hubspot_port, salesforce_port), records, seed, reset)
        env["CRMSYNC_SANDBOX_HUBSPOT_URL"], env["CRMSYNC_SANDBOX_SALESFORCE_URL"] = (t.url for t in threads)
    os.environ.update(env)  # setup below runs in this process, against the same CRMs and state file
    try:
        if not real_crm:
            _setup()
        _serve(env, host, port, threads)
    finally:
        for thread in threads:
            thread.stop()
        if threads:
            click.echo("sandbox stopped; its records are kept in " + str(home / "ui" / "sandbox"))


def _serve(env: dict[str, str], host: str, port: int, threads: list) -> None:  # type: ignore[type-arg]
    dev = DagsterDev(env, host, port)
    try:
        if not dev.serving():
            if dev.stop_requested is not None:
                return
            raise click.ClickException(f"the Dagster UI did not come up at {dev.url} (see its log above)")
        click.echo(f"\nDagster UI: {dev.url}   (jobs sync and plan; Ctrl-C stops it)")
        for thread in threads:
            click.echo(f"  sandbox {thread.emulator.name:<10} {thread.url}")
        state = env.get("CRMSYNC_STATE_DB") or Path(env["DAGSTER_HOME"]) / "crmsync.duckdb"
        click.echo(f"  state file   {state}\n  DAGSTER_HOME {env['DAGSTER_HOME']}")
        dev.wait()
    finally:
        dev.close()
