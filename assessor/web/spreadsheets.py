"""The one spreadsheet writer: every table served as CSV is also served as `.xlsx` and `.ods`,
laid out as the Analysis Function's "Releasing statistics in spreadsheets" asks.

A `Workbook` is a neutral read model that each edge fills from the same rows its CSV has
(nothing here computes or withholds a number): a Cover sheet first (what the data is, its
source, publication date, contact and the shorthand used in cells), a Notes sheet, then one
table per sheet. Every sheet starts in A1 with its title, A2 says where the notes and the
shorthand are, the column headings are row 3 and the rows follow with no blank row or column;
no merged cells, no colour carrying meaning. Numbers are stored as numbers, a withheld value
as its shorthand, and text as text, never as a formula (`=HYPERLINK(...)` in a name stays
words)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import xlsxwriter
from flask import Response, current_app
from odf import dc
from odf import number as odfnumber
from odf import style as odfstyle
from odf import table as odftable
from odf import text as odftext
from odf.opendocument import OpenDocumentSpreadsheet

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


# --------------------------------------------------------------------------- the layout


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
    lines += [(f"Sheet {t.sheet}: {t.title}", False) for t in book.tables]
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
        rows = [[Shorthand.NOT_AVAILABLE if c == "" else c for c in row] for row in table.rows]
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
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    wb = xlsxwriter.Workbook(buffer, options)
    wb.set_properties({"title": book.title, "comments": book.source})
    title = wb.add_format({"bold": True, "font_size": 14})
    heading = wb.add_format({"bold": True, "font_size": 12})
    percent = wb.add_format({"num_format": "0%"})
    cover = wb.add_worksheet("Cover")
    cover.set_column(0, 0, 100)
    for r, (line, is_heading) in enumerate(cover_lines(book)):
        cover.write_string(r, 0, line, title if r == 0 else heading if is_heading else None)
    for n, table in enumerate(sheets(book), start=1):
        ws = wb.add_worksheet(table.sheet)
        ws.write_string(0, 0, table.title, title)
        ws.write_string(1, 0, pointer(table))
        top = HEADER_ROW - 1
        for r, row in enumerate(table.rows, start=top + 1):
            for c, cell in enumerate(row):
                kind = _kind(cell)
                if kind == "number":
                    ws.write_number(r, c, cell)  # type: ignore[arg-type]
                elif kind == "percent":
                    ws.write_number(r, c, cell, percent)  # type: ignore[arg-type]
                else:
                    ws.write_string(r, c, _text(cell))
        last = top + len(table.rows)
        ws.add_table(
            top,
            0,
            last,
            len(table.columns) - 1,
            {
                "name": table_name(table, n),
                "columns": [{"header": h} for h in table.columns],
                "style": "Table Style Light 1",
                "autofilter": False,
            },
        )
        for c, column in enumerate(table.columns):
            longest = max([len(column), *(len(_text(row[c])) for row in table.rows[:200])])
            ws.set_column(c, c, min(max(longest + 2, 10), 60))
    wb.close()
    return buffer.getvalue()


# --------------------------------------------------------------------------- .ods


def _ods_styles(doc: OpenDocumentSpreadsheet) -> dict[str, odfstyle.Style]:
    pct = odfnumber.PercentageStyle(name="pct")
    pct.addElement(odfnumber.Number(decimalplaces="0", minintegerdigits="1"))
    pct.addElement(odfnumber.Text(text="%"))
    doc.automaticstyles.addElement(pct)
    styles = {"percent": odfstyle.Style(name="percent", family="table-cell", datastylename="pct")}
    for name, size in (("title", "14pt"), ("heading", "12pt")):
        styles[name] = odfstyle.Style(name=name, family="table-cell")
        styles[name].addElement(odfstyle.TextProperties(fontweight="bold", fontsize=size))
    for name, width in (("wide", "17cm"), ("column", "4.5cm")):
        styles[name] = odfstyle.Style(name=name, family="table-column")
        styles[name].addElement(odfstyle.TableColumnProperties(columnwidth=width))
    for s in styles.values():
        doc.automaticstyles.addElement(s)
    return styles


def _ods_cell(cell: Cell, styles: dict[str, odfstyle.Style], style: str | None = None) -> object:
    kind = _kind(cell)
    if kind == "number":
        out = odftable.TableCell(valuetype="float", value=repr(cell))
    elif kind == "percent":
        out = odftable.TableCell(valuetype="percentage", value=repr(float(cell)))
        out.setAttribute("stylename", styles["percent"])
    else:
        out = odftable.TableCell(valuetype="string")
    if style:
        out.setAttribute("stylename", styles[style])
    shown = f"{float(cell):.0%}" if kind == "percent" else _text(cell)
    out.addElement(odftext.P(text=shown))
    return out


def _ods_row(cells: Sequence[Cell], styles: dict, style: str | None = None) -> object:
    row = odftable.TableRow()
    for cell in cells:
        row.addElement(_ods_cell(cell, styles, style))
    return row


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_ods(book: Workbook) -> bytes:
    doc = OpenDocumentSpreadsheet()
    doc.meta.addElement(dc.Title(text=book.title))
    styles = _ods_styles(doc)
    cover = odftable.Table(name="Cover")
    cover.addElement(odftable.TableColumn(stylename=styles["wide"]))
    for r, (line, is_heading) in enumerate(cover_lines(book)):
        style = "title" if r == 0 else "heading" if is_heading else None
        cover.addElement(_ods_row([line], styles, style))
    doc.spreadsheet.addElement(cover)
    ranges = odftable.DatabaseRanges()
    for n, table in enumerate(sheets(book), start=1):
        sheet = odftable.Table(name=table.sheet)
        sheet.addElement(
            odftable.TableColumn(
                numbercolumnsrepeated=len(table.columns), stylename=styles["column"]
            )
        )
        sheet.addElement(_ods_row([table.title], styles, "title"))
        sheet.addElement(_ods_row([pointer(table)], styles))
        sheet.addElement(_ods_row(table.columns, styles, "heading"))
        for row in table.rows:
            sheet.addElement(_ods_row(row, styles))
        doc.spreadsheet.addElement(sheet)
        last = f"{_column_letter(len(table.columns) - 1)}{HEADER_ROW + len(table.rows)}"
        quoted = "'" + table.sheet + "'"
        ranges.addElement(
            odftable.DatabaseRange(
                name=table_name(table, n),
                targetrangeaddress=f"{quoted}.A{HEADER_ROW}:{quoted}.{last}",
                containsheader="true",
            )
        )
    doc.spreadsheet.addElement(ranges)
    buffer = io.BytesIO()
    doc.write(buffer)
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
