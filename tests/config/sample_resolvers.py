"""A resolver a user might write: keep the longer job title, and hold titles mentioning 'interim'."""

from crmsync_pipeline.config import Resolution, ResolverInput


def longer_title(field: ResolverInput) -> Resolution:
    if "interim" in f"{field.hubspot} {field.salesforce}".lower():
        return Resolution.hold_for_review("interim titles are checked by hand")
    if len(field.hubspot or "") >= len(field.salesforce or ""):
        return Resolution.take_hubspot("longer title")
    return Resolution.take_salesforce("longer title")
