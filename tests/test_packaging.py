"""The wheel holds every file the code reads at run time: each `sql("...")` the package loads, the schema
migrations, the package's own data files and the project files it reads (crmsync.yaml, dagster.yaml).
The wheel is built offline (tests/wheel_build.py)."""

from __future__ import annotations

import fnmatch
import re
import zipfile
from pathlib import Path

import pytest

from crmsync_pipeline.state.db import PROJECT_ROOT
from tests.wheel_build import build_wheel

PACKAGE = "crmsync_pipeline"
# sql("plan/digest.sql") or sql(f"health/{name}.sql"): the loader's argument, a path under sql/
SQL_CALL = re.compile(r"""\bsql\(\s*(f?)(["'])([^"'\n]+\.sql)\2\s*\)""")
# PROJECT_ROOT / "dagster_home" / "dagster.yaml": a project file read by its path
PROJECT_READ = re.compile(r"""PROJECT_ROOT((?:\s*/\s*["'][^"'\n]+["'])+)""")


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    with zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("wheel"))) as archive:
        return set(archive.namelist())


def _sources() -> list[Path]:
    return sorted(p for p in (PROJECT_ROOT / PACKAGE).rglob("*.py") if "__pycache__" not in p.parts)


def _shipped(wheel_files: set[str], relative: str) -> bool:
    """`relative` (a path or glob under the repository's top level) is in the wheel inside the package."""
    return any(fnmatch.fnmatch(name, f"{PACKAGE}/{relative}") for name in wheel_files)


def test_every_sql_file_the_code_loads_is_in_the_wheel(wheel_files):
    loaded = {}
    for path in _sources():
        for is_f, _, name in SQL_CALL.findall(path.read_text()):
            pattern = re.sub(r"\{[^}]*\}", "*", name) if is_f else name
            loaded[pattern] = path.relative_to(PROJECT_ROOT)
    assert len(loaded) > 20, "the scan for sql(...) calls found too few: has the loader changed?"
    missing = {
        f"sql/{name}": where for name, where in loaded.items() if not _shipped(wheel_files, f"sql/{name}")
    }
    assert not missing, f"loaded by the code but not in the wheel: {missing}"


def test_every_sql_file_and_migration_of_the_repository_is_in_the_wheel(wheel_files):
    files = sorted(p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "sql").rglob("*.sql"))
    assert any(name.startswith("sql/schema/001_") for name in files)
    assert [name for name in files if f"{PACKAGE}/{name}" not in wheel_files] == []


def test_the_package_data_files_are_in_the_wheel(wheel_files):
    data = [
        p.relative_to(PROJECT_ROOT).as_posix()
        for p in (PROJECT_ROOT / PACKAGE).rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    assert f"{PACKAGE}/sandbox/salesforce/soql/soql.lark" in data
    assert [name for name in data if name not in wheel_files] == []


def test_the_project_files_the_code_reads_are_in_the_wheel(wheel_files):
    read = {}
    for path in _sources():
        for parts in PROJECT_READ.findall(path.read_text()):
            relative = "/".join(re.findall(r"""["']([^"']+)["']""", parts))
            if (PROJECT_ROOT / relative).is_file():  # a folder (dagster_home/) is written to, not read
                read[relative] = path.relative_to(PROJECT_ROOT)
    assert "crmsync.yaml" in read
    missing = {name: where for name, where in read.items() if not _shipped(wheel_files, name)}
    assert not missing, f"read by the code but not in the wheel: {missing}"
