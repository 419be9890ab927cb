"""The SQL transforms strip exactly what Python's str.strip() strips (match/canonical.py)."""

from __future__ import annotations

from crmsync_pipeline.match.canonical import WHITESPACE, WHITESPACE_END


def test_the_whitespace_set_is_every_whitespace_character_of_unicode():
    everything = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert everything == WHITESPACE
    assert all(ord(c) < WHITESPACE_END for c in everything)
