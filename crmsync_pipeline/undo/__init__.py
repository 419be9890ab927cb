"""Undo of a run: every field it wrote put back on both sides, with base, and the records it created
archived."""
