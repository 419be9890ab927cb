"""Plan: per link and field, the three-way merge against base, inclusion rules, creates, lookups,
deletes, merges and preflight, into table plan_rows. Dagster group `plan`."""
