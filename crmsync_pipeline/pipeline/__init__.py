"""The sync stages as plain functions over the state file; Dagster assets call them."""
