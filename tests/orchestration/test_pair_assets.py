"""What every pair asset does around its step (orchestration/context.py): the pause guard answers
nothing while a pair runs and one result per output while it is paused, and the run context opens the
connectors once, at their first use."""

from __future__ import annotations

from pathlib import Path

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.context import pause_guard
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.orchestration.steps.writes import write_keys
from crmsync_pipeline.state.pauses import pause_pair
from crmsync_pipeline.state.run_context import RunContext


def test_the_pause_guard_names_each_output_of_a_paused_pair(tmp_path: Path):
    crmsync = CrmsyncResource(state_db=str(tmp_path / "state.duckdb"))
    assert pause_guard(crmsync, "contacts") == []
    pause_pair(crmsync.state_path, "contacts", reason="a test")
    (single,) = pause_guard(crmsync, "contacts")
    assert single.asset_key is None and "a test" in single.metadata["paused"]
    both = pause_guard(crmsync, "contacts", write_keys("contacts"))
    assert [r.asset_key.to_user_string() for r in both] == [
        "salesforce_contacts_writes",
        "hubspot_contacts_writes",
    ]
    assert pause_guard(crmsync, "companies") == []


def test_the_run_context_opens_the_connectors_once_and_only_when_used(tmp_path: Path):
    opened: list[CallMeter] = []

    def open_connectors(meter: CallMeter):  # type: ignore[no-untyped-def]
        opened.append(meter)
        return ("hubspot", "salesforce")

    mapping = load_mapping(default_mapping_path())
    pair_name = mapping.active_pairs()[0]
    ctx = RunContext("run-1", pair_name, mapping, tmp_path / "state.duckdb", open_connectors)
    assert ctx.pair is mapping.pair(pair_name) and opened == []
    assert (ctx.hubspot, ctx.salesforce) == ("hubspot", "salesforce")
    assert opened == [ctx.meter]
