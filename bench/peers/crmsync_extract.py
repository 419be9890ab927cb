"""crmsync's extract stage alone, through the production connectors and extract functions, on the pairs
the taps are compared on: HubSpot records (associations measured apart: the taps fetch none), then the
Salesforce sObjects. The first call on an empty state file is the full load; later calls are
incremental from the cursors it saved."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import urllib3.connectionpool

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.fields_needed import hubspot_properties, salesforce_fields
from crmsync_pipeline.extract.hubspot import extract_associations, extract_hubspot, extract_salesforce
from crmsync_pipeline.orchestration.pair_assets import associated_objects
from crmsync_pipeline.orchestration.resources import CrmsyncResource, default_mapping_path
from crmsync_pipeline.state import db

PAIRS = ("companies", "contacts", "deals")  # the objects both taps are asked for


def wanted_fields() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(HubSpot object type -> properties, sObject -> fields) crmsync extracts for PAIRS."""
    mapping = load_mapping(default_mapping_path())
    hubspot, salesforce = {}, {}
    for name in PAIRS:
        pair = mapping.pair(name)
        hubspot[pair.hubspot] = hubspot_properties(pair)
        salesforce.update(salesforce_fields(pair))
    return hubspot, salesforce


@contextmanager
def http_time() -> Iterator[list[float]]:
    """Seconds this process spends waiting on HTTP meanwhile (one-item list, filled as calls return):
    what is left of a run's wall time is crmsync's own work, mostly the state file. Timed in urllib3,
    under both official clients (hubspot-api-client uses it directly, simple-salesforce via requests);
    urlopen calls itself on retries, so only the outermost call counts."""
    spent, depth, urlopen = [0.0], [0], urllib3.connectionpool.HTTPConnectionPool.urlopen

    def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        depth[0] += 1
        started = time.monotonic()
        try:
            return urlopen(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent[0] += time.monotonic() - started

    urllib3.connectionpool.HTTPConnectionPool.urlopen = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        urllib3.connectionpool.HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]


class CrmsyncExtract:
    """One state file, extracted into again and again; each method returns the records it read."""

    def __init__(self, state_db: Path):
        os.environ["CRMSYNC_STATE_DB"] = str(state_db)
        self.state_db = state_db
        self.resource = CrmsyncResource(mapping_file=default_mapping_path(), state_db=str(state_db))
        self.mapping = load_mapping(default_mapping_path())
        self.runs = 0

    def _run_id(self) -> str:
        self.runs += 1
        return f"bench-peers-{self.runs}"

    def hubspot(self) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Records read per object type, and the ids read (for `hubspot_associations`)."""
        hubspot, _ = self.resource.connectors(CallMeter())
        run_id, records, ids = self._run_id(), {}, {}
        for name in PAIRS:
            pair = self.mapping.pair(name)
            stats, ids[name] = extract_hubspot(
                self.resource.state_path, hubspot, name, pair.hubspot, hubspot_properties(pair), run_id
            )
            records[pair.hubspot] = stats.records
        return records, ids

    def hubspot_associations(self, ids: dict[str, list[str]]) -> int:
        """What the snapshot assets read after the records: the associations of the records read."""
        hubspot, _ = self.resource.connectors(CallMeter())
        state = self.resource.state_path
        return sum(
            extract_associations(state, hubspot, self.mapping.pair(name).hubspot, other, ids[name])
            for name in PAIRS
            for other in associated_objects(self.mapping, name)
        )

    def salesforce(self) -> dict[str, int]:
        """Records read per sObject. Each pair keeps the state file open throughout, as its snapshot
        asset does (`extract_salesforce_pair`): Contact and Lead share one opening."""
        _, salesforce = self.resource.connectors(CallMeter())
        run_id, records, state = self._run_id(), {}, self.resource.state_path
        for name in PAIRS:
            with db.connect(state):
                for sobject, fields in salesforce_fields(self.mapping.pair(name)).items():
                    stats = extract_salesforce(state, salesforce, name, sobject, fields, run_id)
                    records[sobject] = stats.records
        return records
