"""Building crmsync's wheel offline for the packaging tests: from the repository's files as a fresh clone
would have them (plus files not yet committed), by the backend the dev extras install."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from crmsync_pipeline.state.db import PROJECT_ROOT

NOT_BUILT_FROM = ("tests/", "docs/", "bench/", ".ci/")


def build_wheel(workdir: Path) -> Path:
    """The wheel, built in `workdir` from a copy of the repository (a build never writes into it)."""
    source, dist = workdir / "source", workdir / "dist"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in listed:
        path = PROJECT_ROOT / name
        if name and not name.startswith(NOT_BUILT_FROM) and path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "--no-index"]
        + ["-q", "-w", str(dist)],
        check=True,
        timeout=120,
    )
    (wheel,) = dist.glob("crmsync-*.whl")
    return wheel
