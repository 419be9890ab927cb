import dagster as dg

from crmsync_pipeline.orchestration.build import build_definitions


@dg.definitions
def crmsync_sync() -> dg.Definitions:
    """The sync job and its assets, one group per stage, built from the mapping file."""
    return build_definitions()
