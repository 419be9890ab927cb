"""Write: the plan applied to both CRMs in batches (intent before each call, outcome after), Bulk jobs,
associations and junctions, stale-plan rechecks, deletes and mirrored merges. Dagster group `write`."""
