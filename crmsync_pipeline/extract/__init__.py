"""Extract: each CRM mirrored into its snapshot tables (incremental, by cursor), with owners, associations,
list memberships, archives and the schemas crmsync reads. Dagster group `extract`."""
