"""Start both sandbox CRMs: seed a fresh data dir, keep an existing one, apply settings and faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .emulator import Emulator
from .seed import SeedOptions, generate_world

SANDBOX_TOKEN = "sandbox-token"


@dataclass
class SandboxOptions:
    data_dir: Path | None
    hubspot_port: int = 8765
    salesforce_port: int = 8766
    seed: SeedOptions = field(default_factory=SeedOptions)
    reset: bool = False
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # emulator name -> changes
    faults: dict[str, Any] = field(default_factory=dict)
    fault_seed: int = 0


def build_emulators(options: SandboxOptions, say: Callable[[str], None] = print) -> list[Emulator]:
    """Both emulators, seeded when the data dir is new (or --reset), settings and faults applied."""
    from .hubspot.emulator import HubSpotEmulator
    from .salesforce.emulator import SalesforceEmulator

    emulators: list[Emulator] = [
        HubSpotEmulator(options.data_dir, fault_seed=options.fault_seed),
        SalesforceEmulator(options.data_dir, fault_seed=options.fault_seed),
    ]
    for emulator in emulators:
        if options.settings.get(emulator.name):
            emulator.update_settings(options.settings[emulator.name])
        if options.faults:
            emulator.faults.configure(options.faults)

    fresh = any(e.seed_options is None for e in emulators)
    if fresh or options.reset:
        started = time.monotonic()
        world = generate_world(options.seed)
        for emulator in emulators:
            emulator.reset(options.seed, world)
        say(
            f"seeded {options.seed.people} people per side (seed {options.seed.seed}) "
            f"in {time.monotonic() - started:.1f}s"
        )
    else:
        kept = emulators[0].seed_options
        if options.seed.people and kept is not None and kept.people != options.seed.people:
            say(
                f"data dir {options.data_dir} already holds a sandbox seeded with {kept.people} people; "
                "keeping it (pass --reset to reseed)"
            )
    return emulators
