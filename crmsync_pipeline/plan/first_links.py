"""What each side held when a field of a link was first judged without a base (a first link, a fill of a
value never set), kept until base is set (docs/design.md, "First links"). The next plan compares with it:
a side that moved since while the other did not is the side that changed, so a person's edit made after
a rebuilt state file, or after a first link whose write never landed (a killed run, a refused write),
wins instead of losing to the first-link rule again (sql/plan/field_decisions.sql)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from crmsync_pipeline.plan.merge import CLOCK_SKEW_SECONDS
from crmsync_pipeline.state.db import sql


def keep_first_link_values(
    con: duckdb.DuckDBPyConnection, pair_name: str, run_id: str, now: datetime
) -> None:
    """Forget the pair's rows that no longer apply, then keep the sides' values of each field the current
    `field_state` judges without a base and writes (the earliest row of a field stays)."""
    con.execute(sql("plan/first_link_values_dropped.sql"), {"pair": pair_name})
    con.execute(
        sql("plan/first_link_values_kept.sql").format(decisions=sql("plan/field_decisions.sql")),
        {"run_id": run_id, "now": now, "skew_seconds": CLOCK_SKEW_SECONDS},
    )
