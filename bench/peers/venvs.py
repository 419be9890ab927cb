"""Each peer tap in its own virtual environment under bench/.peer-venvs/, installed from the package
registry on first use with a pinned version; none of their code enters the project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

VENVS = Path(__file__).resolve().parent.parent / ".peer-venvs"
TAPS = {  # tap -> (pinned requirement, executable)
    "tap-hubspot": ("meltano-tap-hubspot==0.10.1", "tap-hubspot"),
    "tap-salesforce": ("tap-salesforce==2.8.1", "tap-salesforce"),
}


def tap_executable(tap: str) -> Path:
    """The tap's command, installing its venv first if it is missing or holds another version."""
    requirement, command = TAPS[tap]
    venv = VENVS / tap
    executable = venv / "bin" / command
    marker = venv / ".installed"
    if executable.exists() and marker.exists() and marker.read_text() == requirement:
        return executable
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement], check=True)
    marker.write_text(requirement)
    return executable
