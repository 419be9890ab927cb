"""Literal values: string escapes, LIKE patterns, date/datetime normalisation, record ids.

Stored datetimes are always `YYYY-MM-DDTHH:MM:SS.mmm+0000` (UTC), so a literal normalised to that
form compares correctly as a plain string; dates are `YYYY-MM-DD` for the same reason.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# \n \N \r \R \t \T \b \B \f \F \" \' \\ are the documented escapes (either case for letters)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


class BadEscape(ValueError):
    def __init__(self, sequence: str):
        super().__init__(sequence)
        self.sequence = sequence


def _decode(raw: str, like: bool) -> list[tuple[str, bool]]:
    """(character, is_literal_wildcard) pairs; a wildcard escaped with a backslash is literal."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch != "\\":
            out.append((ch, False))
            i += 1
            continue
        nxt = raw[i + 1] if i + 1 < n else ""
        lower = nxt.lower()
        if lower in _SIMPLE_ESCAPES:
            out.append((_SIMPLE_ESCAPES[lower], False))
            i += 2
        elif lower == "u" and _HEX4.fullmatch(raw[i + 2 : i + 6]):
            out.append((chr(int(raw[i + 2 : i + 6], 16)), False))
            i += 6
        elif like and nxt and nxt in "%_":
            out.append((nxt, True))
            i += 2
        else:
            raise BadEscape("\\" + nxt)
    return out


def decode_string(raw: str) -> str:
    """The value of a quoted literal outside LIKE; raises BadEscape for `\\q`, `\\%`..."""
    if "\\" not in raw:
        return raw
    return "".join(ch for ch, _ in _decode(raw, like=False))


def like_pattern(raw: str) -> re.Pattern[str]:
    """LIKE: `%` any run, `_` one character, `\\%`/`\\_` literal; case-insensitive, whole value."""
    parts = []
    for ch, escaped in _decode(raw, like=True):
        if ch == "%" and not escaped:
            parts.append(".*")
        elif ch == "_" and not escaped:
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def normalize_datetime(text: str) -> str:
    """`2024-01-05T10:11:12+02:00` -> `2024-01-05T08:11:12.000+0000`; raises ValueError if invalid."""
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    ts = datetime.fromisoformat(text)
    return format_datetime(ts)


def format_datetime(ts: datetime) -> str:
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def has_fraction(text: str) -> bool:
    return "." in text


def normalize_date(text: str) -> str:
    """Validates `YYYY-MM-DD` (raises ValueError for 2024-02-30)."""
    return date.fromisoformat(text).isoformat()


_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?")


def _checksum(id15: str) -> str:
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def normalize_id(text: str) -> str | None:
    """The canonical 18-char form of a 15- or 18-char id, or None when it is not an id.

    A 15-char id is case-sensitive; an 18-char id carries the case of its first 15 characters in the
    suffix, so `001r00000064wdtiaa` still finds `001R00000064wdtIAA`, as in Salesforce.
    """
    if not _ID_SHAPE.fullmatch(text):
        return None
    if len(text) == 15:
        return text + _checksum(text)
    restored = []
    for chunk, code in enumerate(text[15:].upper()):
        bits = _CHECKSUM_ALPHABET.index(code)
        for i, ch in enumerate(text[chunk * 5 : chunk * 5 + 5]):
            restored.append(ch.upper() if bits >> i & 1 else ch.lower())
    id15 = "".join(restored)
    return id15 + _checksum(id15)
