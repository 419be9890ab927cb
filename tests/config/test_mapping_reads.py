"""Reading the same mapping file again (a sync does in nearly every step) gives what the file says now."""

from __future__ import annotations

import os
from pathlib import Path

from crmsync_pipeline.config import load_mapping
from crmsync_pipeline.config.fields import Direction

BEFORE = "{hubspot: lead_source, salesforce: LeadSource, direction: prefer_hubspot}"
AFTER = "{hubspot: lead_source, salesforce: LeadSource, direction: always_hubspot}"  # same length


def _direction(path: Path, hubspot: str) -> Direction:
    fields = [f for pair in load_mapping(path).objects.values() for f in pair.fields if f.hubspot == hubspot]
    return fields[0].direction


def test_an_edit_keeping_size_and_times_is_seen(tmp_path: Path, default_text: str) -> None:
    assert BEFORE in default_text and len(BEFORE) == len(AFTER)
    path = tmp_path / "crmsync.yaml"
    path.write_text(default_text)
    stamp = path.stat()
    assert _direction(path, "lead_source") is Direction.PREFER_HUBSPOT

    path.write_text(default_text.replace(BEFORE, AFTER))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # an edit within the clock's granularity
    assert path.stat().st_size == stamp.st_size

    assert _direction(path, "lead_source") is Direction.ALWAYS_HUBSPOT


def test_changing_a_loaded_mapping_leaves_the_next_read_alone(tmp_path: Path, default_text: str) -> None:
    path = tmp_path / "crmsync.yaml"
    path.write_text(default_text)
    first = load_mapping(path)
    first.objects.clear()
    again = load_mapping(path)
    assert again.objects and again is not first
    assert again.model_dump() == load_mapping(path).model_dump()
