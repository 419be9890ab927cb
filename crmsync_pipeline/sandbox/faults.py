"""Fault injection shared by both emulators, settable at run time through `/_sandbox/faults`.

Faults apply to CRM API routes only, never to the `/_sandbox/` admin API, and are drawn from a seeded
random generator so a soak run with the same seed meets the same faults.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

# the path of the API request being served: aiohttp serves each request in its own task, so a
# record-level fault drawn deep in a handler sees its own request's path (set by the emulator's middleware)
SERVING_PATH: ContextVar[str | None] = ContextVar("sandbox_serving_path", default=None)


class FaultSettings(BaseModel):
    error_rates: dict[int, float] = Field(
        default_factory=dict, description="HTTP status -> probability, e.g. {500: 0.05, 503: 0.02}"
    )
    burst_429: int = Field(0, ge=0, description="the next N API requests answer 429")
    latency_ms: int = Field(0, ge=0, description="added to every API request")
    latency_jitter_ms: int = Field(0, ge=0, description="uniform extra latency, 0..N ms")
    drop_rate: float = Field(0.0, ge=0, le=1, description="probability a connection is closed unanswered")
    burst_drop: int = Field(
        0, ge=0, description="the connections of the next N API requests close unanswered"
    )
    burst_concurrency: int = Field(
        0, ge=0, description="the next N API requests meet the CRM's concurrent-request limit"
    )
    concurrency_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="probability a request meets the concurrent-request limit (Salesforce: 403 "
        "REQUEST_LIMIT_EXCEEDED; HubSpot, which has no such limit, answers its 429)",
    )
    record_failure_rate: float = Field(
        0.0, ge=0, le=1, description="probability each record inside a batch fails on its own"
    )
    path_contains: str | None = Field(None, description="only requests whose path contains this")
    seed: int = 0


@dataclass
class Fault:
    kind: str  # "status" | "rate_limit" | "concurrency" | "drop"
    status: int = 0


class FaultInjector:
    def __init__(self, seed: int = 0):
        self.settings = FaultSettings(seed=seed)
        self._rng = random.Random(seed)
        self.injected: dict[str, int] = {}  # fault kind -> how many requests or records met it

    def _met(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

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

    def draw(self, allows: Callable[[str], bool] = lambda kind: True) -> Fault | None:
        """The fault, if any, that the current request meets; `allows(kind)` says whether a kind of fault can
        happen to this request at all (a burst left unspent waits for a request it can happen to)."""
        s = self.settings
        if s.burst_429 > 0:
            self.settings = s.model_copy(update={"burst_429": s.burst_429 - 1})
            self._met("burst_429")
            return Fault("rate_limit", 429)
        if s.burst_concurrency > 0 and allows("concurrency"):
            self.settings = s.model_copy(update={"burst_concurrency": s.burst_concurrency - 1})
            self._met("concurrency")
            return Fault("concurrency", 429)
        if s.concurrency_rate and allows("concurrency") and self._rng.random() < s.concurrency_rate:
            self._met("concurrency")
            return Fault("concurrency", 429)
        if s.burst_drop > 0:
            self.settings = s.model_copy(update={"burst_drop": s.burst_drop - 1})
            self._met("drop")
            return Fault("drop")
        if s.drop_rate and self._rng.random() < s.drop_rate:
            self._met("drop")
            return Fault("drop")
        for status, rate in s.error_rates.items():
            if rate and self._rng.random() < rate:
                self._met(f"status_{int(status)}")
                return Fault("rate_limit" if status == 429 else "status", int(status))
        return None

    def record_fails(self) -> bool:
        """Whether the record being handled fails on its own; like every fault, only on requests whose
        path contains `path_contains` when that is set."""
        path = SERVING_PATH.get()
        if path is not None and not self.applies_to(path):
            return False
        rate = self.settings.record_failure_rate
        fails = bool(rate) and self._rng.random() < rate
        if fails:
            self._met("record_failure")
        return fails


class HookRule(BaseModel):
    """When the nth API request matching `on` is served, do `then`: the chaos soak's fixed points."""

    on: dict[str, Any] = Field(
        description='{"method": "PATCH", "contains": "composite/sobjects", "not": "read", "nth": 1}'
    )
    then: dict[str, Any] = Field(description='{"kill_pid": PID, "signal": 9} or {"apply_edits": [...]}')
    seen: int = 0
    fired: bool = False


class RequestHooks:
    """One-shot hooks on API requests, set at `/_sandbox/faults/hooks`.

    `apply_edits` (a list of `{"method", "url", "json"}` admin requests, any emulator) runs before the
    matching request is handled: a user's edit landing between a sync's plan and its write. `kill_pid`
    sends a signal after the request's effect is committed and before its response is sent, and only
    for a successful answer: the CRM has done the write, the client never hears it."""

    def __init__(self) -> None:
        self.rules: list[HookRule] = []

    def add(self, body: dict[str, Any]) -> HookRule:
        rule = HookRule.model_validate(body)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules = []

    def due(self, method: str, target: str) -> list[HookRule]:
        """The rules this request triggers (`target`: path and decoded query string)."""
        hits = []
        for rule in self.rules:
            on = rule.on
            if rule.fired or (on.get("method") and on["method"].upper() != method.upper()):
                continue
            if any(part not in target for part in _parts(on.get("contains"))):
                continue
            if any(part in target for part in _parts(on.get("not"))):
                continue
            rule.seen += 1
            if rule.seen >= int(on.get("nth") or 1):
                hits.append(rule)
        return hits

    async def before(self, rules: list[HookRule]) -> None:
        edits = [e for r in rules for e in r.then.get("apply_edits") or []]
        for rule in rules:
            if "apply_edits" in rule.then:
                rule.fired = True
        if not edits:
            return
        import aiohttp  # the emulators' own server library; edits go through the admin routes

        async with aiohttp.ClientSession() as session:
            for edit in edits:
                method = str(edit.get("method") or "POST")
                async with session.request(method, edit["url"], json=edit.get("json")) as resp:
                    await resp.read()

    def after(self, rules: list[HookRule], status: int) -> None:
        if status >= 300:
            return  # not a confirmed write: stay armed for the next matching request
        for rule in rules:
            if "kill_pid" in rule.then:
                rule.fired = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(rule.then["kill_pid"]), int(rule.then.get("signal") or 9))

    def as_json(self) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in self.rules]


def _parts(contains: Any) -> list[str]:
    if contains is None:
        return []
    return [contains] if isinstance(contains, str) else [str(c) for c in contains]
