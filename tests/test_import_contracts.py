"""The import contracts of pyproject.toml (run by `make lint`) hold for the code and catch a breach: a copy
of the package passes them, and the same copy with an import that points back up the flow, or with an
import cycle made of type-only imports, fails them by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crmsync_pipeline.state.db import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(
        PROJECT_ROOT / "crmsync_pipeline",
        tmp_path / "crmsync_pipeline",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copyfile(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(root: Path) -> tuple[int, str]:
    """lint-imports on the copy at `root` (first on the path, ahead of the installed package): its exit
    code and its report with the line breaks of long contract names undone."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def _contract_name(root: Path, contract_id: str) -> str:
    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c["name"] for c in contracts if c["id"] == contract_id)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_the_untouched_code_keeps_every_contract(copy):
    code, report = _lint_imports(copy)
    assert code == 0, report
    assert " 0 broken." in report
    assert f"{_contract_name(copy, 'flow')} KEPT" in report


def test_an_import_back_up_the_flow_breaks_the_layers(copy):
    _append(copy / "crmsync_pipeline/extract/cursors.py", "\nimport crmsync_pipeline.write.apply  # noqa\n")
    code, report = _lint_imports(copy)
    assert code != 0
    assert f"{_contract_name(copy, 'flow')} BROKEN" in report
    assert "crmsync_pipeline.extract.cursors -> crmsync_pipeline.write.apply" in report


def test_a_cycle_of_type_only_imports_breaks_no_cycles(copy):
    state = copy / "crmsync_pipeline/state"
    (state / "cycle_a.py").write_text("from crmsync_pipeline.state import cycle_b  # noqa\n")
    (state / "cycle_b.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from crmsync_pipeline.state import cycle_a\n"
    )
    code, report = _lint_imports(copy)
    assert code != 0
    assert f"{_contract_name(copy, 'no-cycles')} BROKEN" in report
    assert f"{_contract_name(copy, 'flow')} KEPT" in report
    assert ".cycle_a" in report and ".cycle_b" in report
