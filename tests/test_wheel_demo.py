"""A wheel built from the repository, installed in a fresh virtualenv, runs `crmsync demo` to the end from
an empty directory: it needs nothing of the repository. The virtualenv takes crmsync's dependencies from
the test's own environment (a path file), so the test needs no package registry; crmsync itself comes
only from the wheel."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.wheel_build import build_wheel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_venv(path: Path, wheel: Path) -> Path:
    """A virtualenv holding the wheel, with the dependencies of this one on its path; its `bin/`."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (site,) = path.glob("lib/python3.*/site-packages")
    (site / "crmsync_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"), "install", "-q"]
    subprocess.run([*install, "--no-deps", "--no-index", str(wheel)], check=True, timeout=120)
    return path / "bin"


def test_the_installed_wheel_runs_the_demo_to_the_end(tmp_path):
    bin_dir = _fresh_venv(tmp_path / "venv", build_wheel(tmp_path / "build"))
    empty, home = tmp_path / "empty", tmp_path / "dagster_home"
    empty.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMSYNC_", "DAGSTER_", "PYTHON"))}
    env["DAGSTER_HOME"] = str(home)

    where = subprocess.run(
        [bin_dir / "python", "-c", "import crmsync_pipeline.state.db as db; print(db.PROJECT_ROOT)"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where  # the wheel's copy, not the repository

    ports = [str(_free_port()), str(_free_port())]
    demo = [bin_dir / "crmsync", "demo", "--records", "60", "--hubspot-port", ports[0]]
    result = subprocess.run(
        [*demo, "--salesforce-port", ports[1]],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Second sync, no edits in between (run " in output, output[-3000:]
    assert "Open the state file" in output, output[-3000:]
