"""Helpers that assemble the Dagster definitions (kept outside `defs/`, which only declares them)."""
