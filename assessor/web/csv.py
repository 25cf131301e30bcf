"""The one CSV writer: every CSV the service serves is written here, formula-safe.

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (`=HYPERLINK(...)` in an organisation's name would be a live link), so such a text cell
is prefixed with `'`, as OWASP advises. Numbers stay numbers: an int or a float is written as
itself (`-0.25` stays `-0.25`), and so is a text cell that is exactly a decimal number (the
dashboards format their numbers before they reach the table), since no spreadsheet reads
`-0.25` as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from flask import Response

#: The first characters that make a spreadsheet evaluate a cell (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A text cell that is exactly a number: written as it is, never prefixed.
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def safe_cell(value: object) -> object:
    """The cell as written: numbers as they are, text that could run as a formula prefixed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(columns: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """The whole CSV (RFC 4180 line ends), header first, every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return buffer.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A CSV download named `filename`."""
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
