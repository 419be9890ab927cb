from __future__ import annotations

from pathlib import Path

import pytest

from crmsync_pipeline.config import Mapping, load_mapping

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "crmsync.yaml"


@pytest.fixture(scope="session")
def default_text() -> str:
    return DEFAULT_FILE.read_text()


@pytest.fixture(scope="session")
def default_mapping() -> Mapping:
    return load_mapping(DEFAULT_FILE)
