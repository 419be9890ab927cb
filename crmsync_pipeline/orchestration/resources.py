"""The one Dagster resource: where the state file and the mapping file are, and how to reach the CRMs.
Connection secrets are read from the environment when a run needs them, never stored in config."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from crmsync_pipeline.config import Mapping, MappingError, load_mapping
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.connectors.settings import ConnectionSettings
from crmsync_pipeline.extract.schemas import cached_schema
from crmsync_pipeline.orchestration.api_budget import attach_budget
from crmsync_pipeline.state.db import PROJECT_ROOT, default_state_path


def default_mapping_path() -> str:
    return os.environ.get("CRMSYNC_CONFIG") or str(PROJECT_ROOT / "crmsync.yaml")


class CrmsyncResource(dg.ConfigurableResource):
    """crmsync's state file (DuckDB), mapping file (YAML), and CRM connections (environment)."""

    state_db: str = ""
    mapping_file: str = ""

    @property
    def state_path(self) -> Path:
        return Path(self.state_db) if self.state_db else default_state_path()

    @property
    def mapping_path(self) -> Path:
        return Path(self.mapping_file or default_mapping_path())

    def mapping(self) -> Mapping:
        return load_mapping(self.mapping_path)

    def connectors(self, meter: CallMeter) -> tuple[HubSpotConnector, SalesforceConnector]:
        settings = ConnectionSettings.from_env()
        settings.salesforce.assignment_rules = _assignment_rules_of(self)  # Sforce-Auto-Assign on writes
        state, run_id = self.state_path, _current_run_id()
        attach_budget(state, run_id, meter)  # CRMSYNC_*_DAILY_CAP: stop cleanly at the cap

        def describes(sobject, fetch):  # type: ignore[no-untyped-def]
            return cached_schema(state, "salesforce", sobject, fetch)

        return (
            HubSpotConnector(settings.hubspot, meter),
            # one OAuth session per process, shared by every asset; one renewal cap per run
            SalesforceConnector(settings.salesforce, meter, describe_cache=describes, run_id=run_id),
        )


def _assignment_rules_of(resource: CrmsyncResource) -> bool:
    try:
        return resource.mapping().salesforce.assignment_rules
    except (MappingError, FileNotFoundError):  # reported by whatever reads the mapping next
        return False


def _current_run_id() -> str | None:
    try:
        context = dg.OpExecutionContext.get()
    except Exception:  # noqa: BLE001 - outside a run (CLI checks, tests): no run to mark stopped
        return None
    return context.run_id if context is not None else None
