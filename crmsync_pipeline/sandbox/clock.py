"""Timestamps for emulated records: UTC, millisecond resolution, strictly increasing per emulator.

Real CRMs can stamp two writes with the same millisecond; the emulators never do, so a cursor test
that passes here is not relying on luck about ties (ties are tested separately, on purpose).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)
        self.offset = timedelta(0)

    def now(self) -> datetime:
        now = datetime.now(UTC) + self.offset
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last:
            now = self._last + timedelta(milliseconds=1)
        self._last = now
        return now


def iso_z(ts: datetime) -> str:
    """2024-01-17T19:55:04.281Z, HubSpot's format."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def sf_datetime(ts: datetime) -> str:
    """2024-01-05T10:11:12.000+0000, Salesforce's format."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def parse_ts(value: str) -> datetime:
    """Both CRMs' formats (and plain ISO-8601) back to an aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    ts = datetime.fromisoformat(text)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
