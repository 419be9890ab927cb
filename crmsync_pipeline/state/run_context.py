"""The run context: what one asset execution knows about its run (the run id and tags, the object pair
and the mapping, a clock, the state file, the CRM connectors and the meter counting their calls). It is
built once per asset execution (orchestration/context.py) and passed to stage functions instead of
loose parameters. The connectors open at their first use, so a step that never calls a CRM opens none."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.config import Mapping, ObjectPair
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.state import db

Connectors = tuple[HubSpotConnector, SalesforceConnector]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunContext:
    """One asset execution of one object pair. `open_connectors(meter)` gives both CRMs' connectors,
    counting their calls on `meter`; it is called at most once."""

    run_id: str
    pair_name: str
    mapping: Mapping
    state_path: Path
    open_connectors: Callable[[CallMeter], Connectors]
    meter: CallMeter = field(default_factory=CallMeter)
    clock: Clock = utc_now
    tags: dict[str, str] = field(default_factory=dict)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("crmsync"))
    _connectors: Connectors | None = field(default=None, init=False, repr=False)

    @property
    def pair(self) -> ObjectPair:
        return self.mapping.pair(self.pair_name)

    def now(self) -> datetime:
        return self.clock()

    def connect(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A short-lived state connection (a `state.connections.Connect`)."""
        return db.connect(self.state_path)

    @property
    def connectors(self) -> Connectors:
        if self._connectors is None:
            self._connectors = self.open_connectors(self.meter)
        return self._connectors

    @property
    def hubspot(self) -> HubSpotConnector:
        return self.connectors[0]

    @property
    def salesforce(self) -> SalesforceConnector:
        return self.connectors[1]
