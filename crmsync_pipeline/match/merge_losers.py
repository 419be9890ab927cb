"""Records a CRM merge took away, as the snapshots tell them: a HubSpot id a live survivor names in its
`hs_merged_object_ids`, a deleted Salesforce row with a `MasterRecordId`. The match stage leaves their
links alone: the plan moves such a link to the merge's survivor and records the merge
(plan/record_merges.py). Taken for a re-creation, the link would close as 'recreated' and the survivor
be linked by key instead, leaving no record_merges row and no audit of the loser's values."""

from __future__ import annotations

import duckdb

from crmsync_pipeline.state.names import column_exists, quoted

NONE = "SELECT NULL::VARCHAR WHERE false"


def hubspot_merge_losers(con: duckdb.DuckDBPyConnection, hubspot_table: str) -> str:
    """A one-line subquery (it is formatted into a statement) of the HubSpot ids a live record lists as merged into it (none without the column)."""
    if not column_exists(con, hubspot_table, "hs_merged_object_ids"):
        return NONE
    return (
        f"SELECT trim(unnest(string_split(hs_merged_object_ids, ';'))) FROM {quoted(hubspot_table)} "
        "WHERE hs_merged_object_ids IS NOT NULL AND NOT coalesce(_archived, false)"
    )


def hubspot_survivor_of(con: duckdb.DuckDBPyConnection, hubspot_table: str, survivor: str, loser: str) -> str:
    """An SQL condition: HubSpot row alias `survivor` lists the id expression `loser` as merged into it."""
    if not column_exists(con, hubspot_table, "hs_merged_object_ids"):
        return "false"
    return (
        # ids hold no spaces: dropping them stands for trimming each id
        f"coalesce(list_contains(string_split(replace({survivor}.hs_merged_object_ids, ' ', ''), ';'), "
        f"{loser}), false)"
    )


def salesforce_survivor_of(
    con: duckdb.DuckDBPyConnection, salesforce_table: str, loser: str, survivor: str
) -> str:
    """An SQL condition: Salesforce row alias `loser` was merged into the id expression `survivor`."""
    if not column_exists(con, salesforce_table, "_master_record_id"):
        return "false"
    return f"coalesce({loser}._master_record_id = {survivor}, false)"
