"""Reading a Singer tap's stdout: RECORD messages counted per stream, the last STATE kept."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TapOutput:
    records: Counter[str] = field(default_factory=Counter)
    state: dict[str, Any] | None = None
    schemas: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.records.values())


def read_messages(lines: Iterable[bytes | str]) -> TapOutput:
    """Count RECORD messages by stream and keep the last STATE's value; anything that is not a
    Singer message (a stray print) is ignored."""
    out = TapOutput()
    for raw in lines:
        line = raw.decode() if isinstance(raw, bytes) else raw
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "RECORD":
            out.records[message["stream"]] += 1
        elif kind == "STATE":
            out.state = message.get("value")
        elif kind == "SCHEMA":
            out.schemas.add(message["stream"])
    return out
