"""Entry point for `dagster dev` / `dagster definitions validate`: everything under `defs/`."""

from pathlib import Path

import dagster as dg

# dg.toml beside this file names the defs module, in a checkout and in an installed wheel alike
defs = dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
