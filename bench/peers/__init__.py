"""Extraction peers side by side with crmsync's extract (`python -m bench.peers`); `run()` is what
`make bench` includes."""

from .harness import run
from .summary import report

__all__ = ["report", "run"]
