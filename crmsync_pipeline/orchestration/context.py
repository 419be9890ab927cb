"""What every pair asset does around its step: the state file held, the pause guard, and the run context
it builds once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.state import db
from crmsync_pipeline.state.pauses import pause_of
from crmsync_pipeline.state.run_context import RunContext

from .resources import CrmsyncResource


@contextmanager
def held_for_the_step(crmsync: CrmsyncResource) -> Iterator[None]:
    """The state file kept open through an asset's step, so its phases (each opening short-lived
    connections, between CRM calls) reuse one attachment: attaching and detaching (a checkpoint) cost
    ~10 ms each time, about ten times an asset. Released when the step ends, as before: between steps
    the file is free for the CLI and for the rewrite after an erasure."""
    with db.connect(crmsync.state_path):
        yield


def pause_guard(
    crmsync: CrmsyncResource, pair_name: str, asset_keys: Sequence[str | None] = (None,)
) -> list[dg.MaterializeResult]:
    """Nothing while the pair runs. While it is paused, one result per asset saying so, which the asset
    returns without touching either CRM (a multi-asset names its outputs in `asset_keys`)."""
    held = pause_of(crmsync.state_path, pair_name)
    if held is None:
        return []
    return [dg.MaterializeResult(asset_key=key, metadata={"paused": held.note()}) for key in asset_keys]


def run_context(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
    crmsync: CrmsyncResource,
    mapping: Mapping,
    pair_name: str,
) -> RunContext:
    """The run context of one asset (or check) execution of `pair_name`."""
    return RunContext(
        run_id=context.run.run_id,
        pair_name=pair_name,
        mapping=mapping,
        state_path=crmsync.state_path,
        open_connectors=crmsync.connectors,
        tags=dict(context.run.tags),
        log=context.log,
    )
