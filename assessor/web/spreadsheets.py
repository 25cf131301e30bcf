"""The one spreadsheet writer: every table served as CSV is also served as `.xlsx` and `.ods`,
laid out as the Analysis Function's "Releasing statistics in spreadsheets" asks.

A `Workbook` is a neutral read model that each edge fills from the same rows its CSV has
(nothing here computes or withholds a number): a Cover sheet first (what the data is, its
source, publication date, contact and the shorthand used in cells), a Notes sheet, then one
table per sheet. Every sheet starts in A1 with its title, A2 says where the notes and the
shorthand are, the column headings are row 3 and the rows follow with no blank row or column;
no merged cells, no colour carrying meaning. Numbers are stored as numbers, a withheld value
as its shorthand, and text as text, never as a formula (`=HYPERLINK(...)` in a name stays
words). XlsxWriter writes the .xlsx; the .ods is OpenDocument XML written here as a stream."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter
from flask import Response, current_app

from assessor.disclosure import (
    BELOW_MINIMUM,
    PATIENT_LEADER_BELOW_MINIMUM,
    REVISION_BELOW_MINIMUM,
    STAFF_BELOW_MINIMUM,
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
#: The spreadsheet formats, by file extension.
FORMATS = {"xlsx": XLSX_MIMETYPE, "ods": ODS_MIMETYPE}
#: Where each table sheet's column headings are (row 1 is the title, row 2 the pointer line).
HEADER_ROW = 3


class Shorthand(StrEnum):
    """What stands in a cell for a value that is not shown (the Government Statistical
    Service's symbols), each explained on the Cover sheet."""

    CONFIDENTIAL = "[c]"
    NOT_AVAILABLE = "[x]"
    NOT_APPLICABLE = "[z]"


#: The reasons (assessor.disclosure) that withhold a value to protect respondents.
CONFIDENTIAL_REASONS = frozenset(
    {BELOW_MINIMUM, PATIENT_LEADER_BELOW_MINIMUM, STAFF_BELOW_MINIMUM, REVISION_BELOW_MINIMUM}
)


def shorthand_for(reason: str | None) -> Shorthand:
    """The shorthand of a value the disclosure rule withheld for `reason`: [c] to protect
    respondents, [x] for the rest (not published yet, no trend to show)."""
    return Shorthand.CONFIDENTIAL if reason in CONFIDENTIAL_REASONS else Shorthand.NOT_AVAILABLE


def shorthand_meanings(k: int | None) -> list[tuple[Shorthand, str]]:
    fewer = f"fewer than {k}" if k else "too few"
    return [
        (
            Shorthand.CONFIDENTIAL,
            f"confidential: not shown to protect respondents ({fewer} respondents, or a"
            " change of fewer than that many since the value was last published)",
        ),
        (
            Shorthand.NOT_AVAILABLE,
            "not available: not published yet (the campaign is open or awaiting publication),"
            " or no value to show (no previous campaign, a revised questionnaire, not known)",
        ),
        (Shorthand.NOT_APPLICABLE, "not applicable: the field does not apply to this row"),
    ]


class Percent(float):
    """A share (0.45), written as a number with a percentage format (45%)."""


Cell = str | int | float | Shorthand

#: A number as the pages write it: a sign (- or the typographic minus), thousands separated by
#: commas, decimals, and a percentage sign.
_SHOWN_NUMBER = re.compile(r"([+\-\u2212]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(%?)")


def from_text(text: str, withheld: Mapping[str, Shorthand]) -> Cell:
    """A table cell as a page shows it, stored as what it is: words that stand for a withheld
    value (`withheld`, e.g. "Not shown (fewer than 5 respondents)") as their shorthand, a
    number as a number ("\u22120.25" is -0.25, "1,234" is 1234, "45%" is 0.45 as a percentage),
    anything else as text."""
    if text in withheld:
        return withheld[text]
    found = _SHOWN_NUMBER.fullmatch(text)
    if found is None:
        return text
    sign, digits, pct = found.groups()
    digits = digits.replace(",", "")
    value: float = int(digits) if "." not in digits else float(digits)
    value = -value if sign in ("-", "\u2212") else value
    return Percent(value / 100) if pct else value


@dataclass(frozen=True)
class SheetTable:
    """One table, one sheet: `sheet` is the sheet's short name, `title` goes in A1."""

    sheet: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Workbook:
    title: str
    #: What the data is, a paragraph a line.
    about: list[str]
    source: str
    published: str
    notes: list[str]
    tables: list[SheetTable]
    #: The campaign's minimum number of respondents, said in the shorthand's meaning.
    k: int | None = None
    contact: str = field(default_factory=lambda: contact())


def contact() -> str:
    """Whom analysts ask about the numbers: the API's token contact, else the privacy one."""
    found = current_app.config.get("API_TOKEN_CONTACT") or current_app.config.get("PRIVACY_CONTACT")
    return found or "The administrators of this service (no contact is configured)."


def source_line(campaign: Any, q: Any, then: str = ".") -> str:
    """The Cover's source: whose responses to which questionnaire."""
    return (
        f"assessor: responses of staff and patient leaders to the campaign {campaign.slug}"
        f" ({q.title}, version {q.version}){then}"
    )


def publication_line(publication: Any, unpublished: str) -> str:
    """The Cover's publication: its number, date and reason, or why there is none."""
    if publication is None:
        return unpublished
    reason = f" ({publication.reason})" if getattr(publication, "reason", None) else ""
    return f"Publication {publication.number}, {publication.published_on.isoformat()}{reason}"


# --------------------------------------------------------------------------- the layout


#: Characters XML 1.0 cannot carry at all (a spreadsheet cell neither).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\']")


def sheet_name(name: str) -> str:
    """A legal sheet name: at most 31 characters, none of [ ] : * ? / \\ '."""
    return _SHEET_NAME_BAD.sub("", name).strip()[:31] or "Table"


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = name or "Column"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return out


def cover_lines(book: Workbook) -> list[tuple[str, bool]]:
    """The Cover sheet, one cell of column A a line: (text, whether it is a heading)."""
    lines: list[tuple[str, bool]] = [(book.title, True), ("About this data", True)]
    lines += [(text, False) for text in book.about]
    lines.append(("Tables in this workbook", True))
    lines += [(f"Sheet {t.sheet}: {t.title}", False) for t in sheets(book)[1:]]
    lines.append(("The Notes sheet lists the notes on these tables.", False))
    lines += [("Source", True), (book.source, False)]
    lines += [("Publication date", True), (book.published, False)]
    lines += [("Contact", True), (book.contact, False)]
    lines.append(("Shorthand used in the tables", True))
    lines += [(f"{s.value} = {meaning}", False) for s, meaning in shorthand_meanings(book.k)]
    lines.append(("A number is never replaced by zero or left blank when it is withheld.", False))
    return lines


def sheets(book: Workbook) -> list[SheetTable]:
    """The Notes sheet and the tables, each a table under its title, with legal unique names."""
    notes = SheetTable(
        "Notes",
        "Notes",
        ["Note number", "Note text"],
        [[f"[note {n}]", text] for n, text in enumerate(book.notes, start=1)],
    )
    out, names = [], {"Cover"}
    for table in [notes, *book.tables]:
        name = sheet_name(table.sheet)
        while name in names:
            name = sheet_name(name[:28] + f"_{len(names)}")
        names.add(name)
        width = len(table.columns)
        rows = [[_present(c) for c in row] for row in table.rows]
        rows = rows or [[Shorthand.NOT_APPLICABLE] * width]
        out.append(SheetTable(name, table.title, _unique(table.columns), rows))
    return out


def pointer(table: SheetTable) -> str:
    if table.sheet == "Notes":
        return "This worksheet contains one table: the notes referred to on the Cover sheet."
    return (
        "This worksheet contains one table. Its notes are on the Notes sheet; the shorthand"
        " [c], [x] and [z] is explained on the Cover sheet."
    )


def _present(cell: Cell) -> Cell:
    """No blank cell and no number that is not one (both are [x]), no control character."""
    if cell == "" or (isinstance(cell, float) and not math.isfinite(cell)):
        return Shorthand.NOT_AVAILABLE
    if isinstance(cell, str) and not isinstance(cell, Shorthand):
        return _NOT_XML.sub("", cell) or Shorthand.NOT_AVAILABLE
    return cell


def table_name(table: SheetTable, n: int) -> str:
    """The name the table is marked with (n counts the Notes sheet as 1)."""
    return "notes" if n == 1 else f"table_{n - 1}"


def _kind(cell: Cell) -> str:
    """'shorthand', 'percent', 'number' or 'text': how a cell is stored."""
    if isinstance(cell, Shorthand):
        return "shorthand"
    if isinstance(cell, bool):
        return "text"
    if isinstance(cell, Percent):
        return "percent"
    if isinstance(cell, int | float):
        return "number"
    return "text"


def _text(cell: Cell) -> str:
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell.value if isinstance(cell, Shorthand) else cell)


# --------------------------------------------------------------------------- .xlsx


def write_xlsx(book: Workbook) -> bytes:
    """The workbook as .xlsx (XlsxWriter keeps the cells in memory until it closes: its
    constant-memory mode cannot mark a table)."""
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    wb = xlsxwriter.Workbook(buffer, options)
    wb.set_properties({"title": book.title, "comments": book.source})
    formats = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "heading": wb.add_format({"bold": True, "font_size": 12}),
        "percent": wb.add_format({"num_format": "0%"}),
    }
    cover = wb.add_worksheet("Cover")
    cover.set_column(0, 0, 100)
    for r, (line, is_heading) in enumerate(cover_lines(book)):
        style = "title" if r == 0 else "heading" if is_heading else None
        cover.write_string(r, 0, line, formats.get(style or ""))
    for n, table in enumerate(sheets(book), start=1):
        _xlsx_table(wb.add_worksheet(table.sheet), table, table_name(table, n), formats)
    wb.close()
    return buffer.getvalue()


def _xlsx_table(ws: Any, table: SheetTable, name: str, formats: dict[str, Any]) -> None:
    """Title, pointer line, the headings as the table's (add_table writes them), data."""
    for c, column in enumerate(table.columns):
        longest = max([len(column), *(len(_text(row[c])) for row in table.rows[:200])])
        ws.set_column(c, c, min(max(longest + 2, 10), 60))
    ws.write_string(0, 0, table.title, formats["title"])
    ws.write_string(1, 0, pointer(table))
    top = HEADER_ROW - 1
    options = {
        "name": name,
        "columns": [{"header": h} for h in table.columns],
        "style": "Table Style Light 1",
        "autofilter": False,
    }
    ws.add_table(top, 0, top + len(table.rows), len(table.columns) - 1, options)
    for r, row in enumerate(table.rows, start=top + 1):
        for c, cell in enumerate(row):
            kind = _kind(cell)
            if kind == "number":
                ws.write_number(r, c, cell)
            elif kind == "percent":
                ws.write_number(r, c, cell, formats["percent"])
            else:
                ws.write_string(r, c, _text(cell))


# --------------------------------------------------------------------------- .ods

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "number": "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
_ODS_STYLES = (
    '<number:percentage-style style:name="pct"><number:number number:decimal-places="0"'
    ' number:min-integer-digits="1"/><number:text>%</number:text></number:percentage-style>'
    '<style:style style:name="percent" style:family="table-cell" style:data-style-name="pct"/>'
    '<style:style style:name="title" style:family="table-cell"><style:text-properties'
    ' fo:font-weight="bold" fo:font-size="14pt"/></style:style>'
    '<style:style style:name="heading" style:family="table-cell"><style:text-properties'
    ' fo:font-weight="bold" fo:font-size="12pt"/></style:style>'
    '<style:style style:name="wide" style:family="table-column"><style:table-column-properties'
    ' style:column-width="17cm"/></style:style>'
    '<style:style style:name="column" style:family="table-column">'
    '<style:table-column-properties style:column-width="4.5cm"/></style:style>'
)
_SPACES = re.compile("  +|^ | $")


def _xml(text: str) -> str:
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _paragraph(text: str) -> str:
    """Text as a <text:p>, its tabs, line breaks and runs of spaces kept (ODF collapses
    white space in a paragraph otherwise)."""
    body = _SPACES.sub(lambda m: f'<text:s text:c="{len(m.group())}"/>', _xml(text))
    body = body.replace("\t", "<text:tab/>").replace("\r\n", "\n").replace("\r", "\n")
    return "<text:p>" + body.replace("\n", "<text:line-break/>") + "</text:p>"


def _ods_cell(cell: Cell, style: str | None = None) -> str:
    kind = _kind(cell)
    styled = f' table:style-name="{style}"' if style else ""
    if kind == "number":
        value = repr(float(cell)) if isinstance(cell, float) else str(cell)
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}"{styled}>'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if kind == "percent":
        return (
            '<table:table-cell office:value-type="percentage" table:style-name="percent"'
            f' office:value="{float(cell)!r}"><text:p>{float(cell):.0%}</text:p>'
            "</table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"{styled}>{_paragraph(_text(cell))}'
        "</table:table-cell>"
    )


def _ods_row(cells: Sequence[Cell], style: str | None = None) -> str:
    return "<table:table-row>" + "".join(_ods_cell(c, style) for c in cells) + "</table:table-row>"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _ods_content(book: Workbook) -> Iterator[str]:
    spaces = " ".join(f'xmlns:{k}="{v}"' for k, v in _NS.items() if k != "manifest")
    yield f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {spaces}'
    yield f' office:version="1.2"><office:automatic-styles>{_ODS_STYLES}'
    yield "</office:automatic-styles><office:body><office:spreadsheet>"
    yield '<table:table table:name="Cover"><table:table-column table:style-name="wide"/>'
    for r, (line, is_heading) in enumerate(cover_lines(book)):
        yield _ods_row([line], "title" if r == 0 else "heading" if is_heading else None)
    yield "</table:table>"
    ranges = []
    for n, table in enumerate(sheets(book), start=1):
        yield f'<table:table table:name="{_xml(table.sheet)}"><table:table-column'
        yield f' table:number-columns-repeated="{len(table.columns)}"'
        yield ' table:style-name="column"/>'
        yield _ods_row([table.title], "title") + _ods_row([pointer(table)])
        yield _ods_row(table.columns, "heading")
        for row in table.rows:
            yield _ods_row(row)
        yield "</table:table>"
        quoted = _xml("'" + table.sheet.replace("'", "''") + "'")
        last = f"{_column_letter(len(table.columns) - 1)}{HEADER_ROW + len(table.rows)}"
        ranges.append(
            f'<table:database-range table:name="{table_name(table, n)}"'
            f' table:target-range-address="{quoted}.A{HEADER_ROW}:{quoted}.{last}"'
            ' table:contains-header="true"/>'
        )
    yield f"<table:database-ranges>{''.join(ranges)}</table:database-ranges>"
    yield "</office:spreadsheet></office:body></office:document-content>"


def write_ods(book: Workbook) -> bytes:
    """The workbook as .ods (OpenDocument 1.2), its XML written as a stream of rows: a
    document model of a national table would hold millions of objects."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<manifest:manifest xmlns:manifest="{_NS["manifest"]}" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
        f' manifest:media-type="{ODS_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-meta xmlns:office="{_NS["office"]}" xmlns:dc="{_NS["dc"]}"'
        f' xmlns:meta="{_NS["meta"]}" office:version="1.2"><office:meta>'
        f"<dc:title>{_xml(book.title)}</dc:title><meta:generator>assessor</meta:generator>"
        "</office:meta></office:document-meta>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        # The mimetype first and uncompressed, as ODF requires, so that it can be sniffed.
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("meta.xml", meta)
        with z.open("content.xml", "w") as content:
            for part in _ods_content(book):
                content.write(part.encode("utf-8"))
    return buffer.getvalue()


# --------------------------------------------------------------------------- responses


def spreadsheet_response(book: Workbook, fmt: str, filename: str) -> Response:
    """The workbook as a download in `fmt` ('xlsx' or 'ods'), named `filename`.`fmt`."""
    body = write_xlsx(book) if fmt == "xlsx" else write_ods(book)
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )
