"""Fault bursts: a soak that must meet every fault kind asks for the next N requests to meet one,
rather than hoping a random draw does."""

from __future__ import annotations

from crmsync_pipeline.sandbox.faults import FaultInjector


def test_a_drop_burst_drops_exactly_the_next_n_requests_and_counts_them():
    faults = FaultInjector(seed=1)
    faults.configure({"burst_drop": 2})
    kinds = [getattr(faults.draw(), "kind", None) for _ in range(4)]
    assert kinds == ["drop", "drop", None, None]
    assert faults.injected == {"drop": 2}


def test_429_bursts_come_before_drop_bursts():
    faults = FaultInjector(seed=1)
    faults.configure({"burst_429": 1, "burst_drop": 1})
    assert [(f.kind, f.status) for f in (faults.draw(), faults.draw())] == [("rate_limit", 429), ("drop", 0)]
    assert faults.draw() is None
