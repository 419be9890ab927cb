"""A fresh HubSpot sandbox per test (in memory, search lag off), driven over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hs_sandbox import Sandbox

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.server import EmulatorThread


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    thread = EmulatorThread(HubSpotEmulator(None)).start()
    box = Sandbox(thread)
    box.settings(search_lag_seconds=0)
    try:
        yield box
    finally:
        thread.stop()
