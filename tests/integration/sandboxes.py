"""Both sandbox CRMs served over HTTP in this process, seeded, for the integration tests (a module of its
own so that tests needing a second sandbox import it by a name no other conftest shares)."""

from __future__ import annotations

import requests

from crmsync_pipeline.sandbox.hubspot.emulator import HubSpotEmulator
from crmsync_pipeline.sandbox.salesforce.emulator import SalesforceEmulator
from crmsync_pipeline.sandbox.seed import SeedOptions, generate_world
from crmsync_pipeline.sandbox.server import EmulatorThread


class Sandbox:
    def __init__(self, people: int, seed: int):
        options = SeedOptions(records=people, seed=seed)
        world = generate_world(options)
        self.hubspot = EmulatorThread(HubSpotEmulator(None)).start()
        self.salesforce = EmulatorThread(SalesforceEmulator(None)).start()
        for thread in (self.hubspot, self.salesforce):
            thread.call(lambda t=thread: t.emulator.reset(options, world))
        self.hubspot.call(lambda: self.hubspot.emulator.update_settings({"search_lag_seconds": 0}))
        self.world = world

    def calls(self) -> dict[str, int]:
        return {
            name: requests.get(f"{t.url}/_sandbox/stats", timeout=10).json()["api_calls"]
            for name, t in (("hubspot", self.hubspot), ("salesforce", self.salesforce))
        }

    def stop(self) -> None:
        self.hubspot.stop()
        self.salesforce.stop()
