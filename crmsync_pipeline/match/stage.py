"""The match stage of one pair: link its records (links by ids, then keys), after making sure a lost state
file is not taken for a first sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.match.linked_twins import PartnerReads
from crmsync_pipeline.match.links import MatchResult, match_links
from crmsync_pipeline.match.state_guard import refuse_if_state_lost
from crmsync_pipeline.state import db


def match_stage(
    state_path: Path,
    mapping: Mapping,
    pair_name: str,
    run_id: str,
    rebuilding: bool = False,
    reads: PartnerReads | None = None,
) -> MatchResult:
    """Link the pair's records; refuses (StateLostError) on a fresh state facing linked records, unless
    this run is a `crmsync rebuild-state`."""
    with db.connect(state_path) as con:
        refuse_if_state_lost(con, str(state_path), pair_name, mapping.pair(pair_name), rebuilding)
        pair = mapping.pair(pair_name)
        return match_links(
            con,
            pair_name,
            pair,
            run_id,
            datetime.now(UTC),
            reads=reads,
            placeholders=mapping.lead_company_placeholders(),
        )
