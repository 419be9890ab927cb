"""The extract stage of one object pair, one function per CRM side, each taking the run context: what
the snapshot assets call. HubSpot: the records, then the associations of those read and the members of
the lists the inclusion rule names. Salesforce: every sObject of the pair, then its junction objects."""

from __future__ import annotations

from dataclasses import dataclass

from crmsync_pipeline.extract.cursors import ExtractStats
from crmsync_pipeline.extract.fields_needed import associated_objects, hubspot_properties, salesforce_fields
from crmsync_pipeline.extract.hubspot import extract_associations, extract_hubspot
from crmsync_pipeline.extract.junctions import extract_junctions, junction_associations
from crmsync_pipeline.extract.lists import ListsRead, extract_list_memberships, list_refs
from crmsync_pipeline.extract.salesforce import extract_salesforce_pair
from crmsync_pipeline.state.run_context import RunContext


@dataclass(frozen=True)
class HubSpotRead:
    """What one HubSpot extract of a pair read."""

    stats: ExtractStats
    associations: int
    lists: ListsRead | None  # None: the pair's inclusion rule names no list


def extract_hubspot_side(ctx: RunContext) -> HubSpotRead:
    pair = ctx.pair
    stats, ids = extract_hubspot(
        ctx.state_path,
        ctx.hubspot,
        ctx.pair_name,
        pair.hubspot,
        hubspot_properties(pair),
        ctx.run_id,
        # a first load keeps the recycle bin's records too, flagged archived: one restored later is then
        # known to the archive check, which reads it again (a restore need not move the search's time)
        include_archived=True,
        clock=ctx.clock,
    )
    associations = sum(
        extract_associations(ctx.state_path, ctx.hubspot, pair.hubspot, other, ids)
        for other in associated_objects(ctx.mapping, ctx.pair_name)
    )
    listed = None
    if list_refs(pair):  # in_list: inclusion rules read the named lists' members
        listed = extract_list_memberships(ctx.state_path, ctx.hubspot, ctx.pair_name, pair)
    return HubSpotRead(stats, associations, listed)


def extract_salesforce_side(ctx: RunContext) -> ExtractStats:
    stats = extract_salesforce_pair(
        ctx.state_path,
        ctx.salesforce,
        ctx.pair_name,
        salesforce_fields(ctx.pair),
        ctx.run_id,
        clock=ctx.clock,
    )
    for association in junction_associations(ctx.mapping, ctx.pair_name):
        extract_junctions(ctx.state_path, ctx.salesforce, association, ctx.run_id)
    return stats
