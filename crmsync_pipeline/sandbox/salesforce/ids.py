"""Salesforce record ids: 3-char key prefix, pod, base-62 record number, and the 3-char checksum
that makes an 18-char id safe to compare case-insensitively."""

from __future__ import annotations

import re
import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")
POD = "8d0"  # chars 4-6: instance and reserved character, constant for one emulated org

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Lead": "00Q",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Organization": "00D",
    "RecordType": "012",
    "OpportunityStage": "01J",
    "LeadStatus": "01J",
    "Profile": "00e",
    "CustomField": "00N",
    "CustomObject": "01I",
    "BulkJob": "750",
    "QueryLocator": "01g",
}


def checksum(id15: str) -> str:
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def to18(record_id: str) -> str:
    """The 18-char form of a 15- or 18-char id (an 18-char id is re-derived from its first 15)."""
    id15 = record_id[:15]
    return id15 + checksum(id15)


def looks_like_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID_SHAPE.match(value))


def normalize(value: str) -> str | None:
    """The canonical 18-char id for a 15/18-char id, or None when the text cannot be an id."""
    if not looks_like_id(value):
        return None
    if len(value) == 18 and checksum(value[:15]) != value[15:]:
        return None
    return to18(value)


def base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, digit = divmod(number, 62)
        out = _BASE62[digit] + out
    return out.rjust(width, "0")


def make_id(prefix: str, number: int) -> str:
    return to18(prefix + POD + base62(number, 9))
