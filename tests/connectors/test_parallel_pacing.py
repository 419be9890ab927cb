"""Parallel requests: answers keep their input order, a failure is not lost, and the HubSpot pacer never
lets more calls through in any window than the window allows, however many threads ask at once (a fake
clock: every thread asks at the same instants, so only the pacer's slots spread the calls)."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from crmsync_pipeline.connectors.budget import BudgetExhausted, DailyBudget
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.hubspot_batches import in_batches
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.pacing import HUBSPOT_RESERVE, Pacer
from crmsync_pipeline.connectors.parallel import in_parallel


def _most_in_any_window(slots: list[float], interval: float) -> int:
    slots = sorted(slots)
    return max(sum(1 for t in slots[i:] if t - start < interval) for i, start in enumerate(slots))


def test_the_pacer_never_lets_more_than_the_window_through_under_concurrency():
    now = [1_000.0]
    pacer = Pacer("hubspot", clock=lambda: now[0])
    pacer.observe_hubspot({"X-HubSpot-RateLimit-Remaining": "190", "X-HubSpot-RateLimit-Max": "190",
                           "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})  # fmt: skip
    slots: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def ask(n: int) -> None:
        start.wait()
        for _ in range(n):
            at = now[0] + pacer.wait_s("contacts.batch.update")
            with lock:
                slots.append(at)

    threads = [threading.Thread(target=ask, args=(100,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(slots) == 800
    assert _most_in_any_window(slots, 10.0) <= 190 - HUBSPOT_RESERVE
    # and it does not over-wait: 800 calls at 187 a window need a little over four windows
    assert max(slots) - now[0] < 50


def test_before_any_answer_the_pacer_assumes_the_lowest_tier():
    pacer = Pacer("hubspot", clock=lambda: 5.0)
    slots = [5.0 + pacer.wait_s("deals.batch.read") for _ in range(300)]
    assert _most_in_any_window(slots, 10.0) <= 100 - HUBSPOT_RESERVE


def test_the_pacer_finds_a_slot_where_adding_and_removing_the_interval_does_not_round_trip():
    # (8183.446761290154 + 10.0) - 10.0 is one ulp below 8183.446761290154: the slot search once moved to
    # "the earliest neighbour's time + interval", saw that neighbour still inside the window, and spun
    # forever holding the lock (a 100,000-contact first sync hung in its HubSpot extract).
    moment = 8183.446761290154
    assert (moment + 10.0) - 10.0 < moment
    pacer = Pacer("hubspot", clock=lambda: moment)
    slots: list[float] = []
    worker = threading.Thread(target=lambda: slots.extend(moment + pacer.wait_s("x") for _ in range(300)))
    worker.daemon = True  # on the old code it never returns
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the pacer never found a slot"
    assert len(slots) == 300
    assert _most_in_any_window(slots, 10.0) <= 100 - HUBSPOT_RESERVE


def test_parallel_batches_keep_every_record_and_its_order():
    records = [{"id": str(i)} for i in range(950)]
    seen_threads = set()

    def send(batch):
        seen_threads.add(threading.get_ident())
        time.sleep(0.01 * (int(batch[0]["id"]) % 3))  # answers come back out of order
        return [
            WriteResult.ok(r["id"]) if int(r["id"]) % 7 else WriteResult.failed(r["id"], "BAD", None)
            for r in batch
        ]

    results = in_batches(records, send, isolate=True, parallel=4)
    assert [r.record_id for r in results] == [r["id"] for r in records]
    assert [r.error_code for r in results if not r.succeeded] == ["BAD"] * len(range(0, 950, 7))
    assert len(seen_threads) > 1


def test_a_failed_request_among_parallel_ones_is_raised():
    def call(n: int) -> int:
        if n == 3:
            raise ValueError("boom")
        return n

    with pytest.raises(ValueError, match="boom"):
        in_parallel(call, list(range(8)), 4)
    assert in_parallel(call, [1, 2], 4) == [1, 2]


def test_threads_never_pass_the_budget_cap_together():
    budget = DailyBudget.from_env({}, environ={"CRMSYNC_HUBSPOT_DAILY_CAP": "50"})
    meter = CallMeter(budget)
    caller = CrmCaller("hubspot", meter, sleep=lambda s: None, pacer=None)
    made = []

    def call(n: int) -> None:
        with contextlib.suppress(BudgetExhausted):
            caller("contacts.batch.read", lambda: made.append(n))

    in_parallel(call, list(range(200)), 8)
    assert len(made) == 50 and meter.total("hubspot") == 50


def test_parallel_hubspot_writes_through_the_sandbox_keep_order_and_each_rejects_code(hubspot_sandbox, admin):
    """450 upserts in five batches, four in flight: every input gets its own result in input order, and
    a record HubSpot rejects fails alone with HubSpot's code while its batch-mates sync."""
    from crmsync_pipeline.connectors.hubspot import HubSpotConnector

    meter = CallMeter()
    settings = admin.settings(hubspot_sandbox.url, "http://127.0.0.1:1")
    hubspot = HubSpotConnector(settings.hubspot, meter, parallel=4, base_delay_s=0.01)
    inputs = [
        {"email": f"parallel{n}@example.com", "lastname": f"P{n}", "lifecyclestage": "lead"}
        for n in range(450)
    ]
    inputs[321]["lifecyclestage"] = "not-a-stage"
    results = hubspot.batch_upsert("contacts", inputs, "email")
    assert len(results) == 450
    assert [r.succeeded for r in results].count(False) == 1 and results[321].error_code == "INVALID_OPTION"
    read = hubspot.batch_read(
        "contacts", [r.record_id for r in results if r.succeeded], ["email", "lastname"]
    )
    by_id = {r["id"]: r["properties"] for r in read}
    for n, result in enumerate(results):
        if n != 321:
            assert by_id[result.record_id]["email"] == f"parallel{n}@example.com"
    assert meter.calls[("hubspot", "contacts.batch.upsert")] >= 5
