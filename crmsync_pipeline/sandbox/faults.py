"""Fault injection shared by both emulators, settable at run time through `/_sandbox/faults`.

Faults apply to CRM API routes only, never to the `/_sandbox/` admin API, and are drawn from a seeded
random generator so a soak run with the same seed meets the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class FaultSettings(BaseModel):
    error_rates: dict[int, float] = Field(
        default_factory=dict, description="HTTP status -> probability, e.g. {500: 0.05, 503: 0.02}"
    )
    burst_429: int = Field(0, ge=0, description="the next N API requests answer 429")
    latency_ms: int = Field(0, ge=0, description="added to every API request")
    latency_jitter_ms: int = Field(0, ge=0, description="uniform extra latency, 0..N ms")
    drop_rate: float = Field(0.0, ge=0, le=1, description="probability a connection is closed unanswered")
    record_failure_rate: float = Field(
        0.0, ge=0, le=1, description="probability each record inside a batch fails on its own"
    )
    path_contains: str | None = Field(None, description="only requests whose path contains this")
    seed: int = 0


@dataclass
class Fault:
    kind: str  # "status" | "rate_limit" | "drop"
    status: int = 0


class FaultInjector:
    def __init__(self, seed: int = 0):
        self.settings = FaultSettings(seed=seed)
        self._rng = random.Random(seed)

    def configure(self, changes: dict[str, Any]) -> FaultSettings:
        merged = {**self.settings.model_dump(), **changes}
        self.settings = FaultSettings.model_validate(merged)
        if "seed" in changes:
            self._rng = random.Random(self.settings.seed)
        return self.settings

    def clear(self) -> None:
        self.settings = FaultSettings(seed=self.settings.seed)

    def applies_to(self, path: str) -> bool:
        return self.settings.path_contains is None or self.settings.path_contains in path

    def latency_s(self) -> float:
        s = self.settings
        if not s.latency_ms and not s.latency_jitter_ms:
            return 0.0
        return (s.latency_ms + self._rng.uniform(0, s.latency_jitter_ms)) / 1000.0

    def draw(self) -> Fault | None:
        """The fault, if any, that the current request meets."""
        s = self.settings
        if s.burst_429 > 0:
            self.settings = s.model_copy(update={"burst_429": s.burst_429 - 1})
            return Fault("rate_limit", 429)
        if s.drop_rate and self._rng.random() < s.drop_rate:
            return Fault("drop")
        for status, rate in s.error_rates.items():
            if rate and self._rng.random() < rate:
                return Fault("rate_limit" if status == 429 else "status", int(status))
        return None

    def record_fails(self) -> bool:
        rate = self.settings.record_failure_rate
        return bool(rate) and self._rng.random() < rate
