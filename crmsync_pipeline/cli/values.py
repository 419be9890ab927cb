"""CRM values as a person reads them in the terminal: on one line, cut to a width, an empty value named."""

from __future__ import annotations

EMPTY = "(empty)"
WIDTH = 40


def shown(value: object, width: int = WIDTH) -> str:
    """`value` on one line, at most `width` characters (a cut value ends with '…')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return EMPTY
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def change(old: object, new: object) -> str:
    """`old -> new`, each as `shown` gives it."""
    return f"{shown(old)} -> {shown(new)}"
