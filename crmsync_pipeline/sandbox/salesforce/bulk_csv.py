"""CSV reading and writing in Bulk API 2.0 dialects (delimiters, line endings, `#N/A` nulls)."""

from __future__ import annotations

import csv
import io
from typing import Any

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
NULL_MARKER = "#N/A"


def read_rows(text: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(
        io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=DELIMITERS.get(delimiter, ",")
    )
    rows = [r for r in reader if r]
    return (rows[0], rows[1:]) if rows else ([], [])


def write_rows(
    header: list[str], rows: list[list[Any]], delimiter: str = "COMMA", line_ending: str = "LF"
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITERS.get(delimiter, ","), lineterminator=LINE_ENDINGS.get(line_ending, "\n"),
                        quoting=csv.QUOTE_ALL)  # fmt: skip
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def cell(value: Any) -> str:
    """A stored or query value as a Bulk CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_value(record: dict[str, Any] | None, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value
