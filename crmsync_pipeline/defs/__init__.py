"""Dagster definitions, discovered by `load_from_defs_folder`; helpers live in `orchestration/`."""
