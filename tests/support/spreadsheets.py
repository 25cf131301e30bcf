"""Reading a downloaded workbook back, .xlsx with openpyxl and .ods with odfpy, into one shape:
sheet name -> rows, each cell a `Read` (its value, and whether it is stored as a number, as a
string or as a formula), trailing empty cells dropped."""

from __future__ import annotations

import io
from dataclasses import dataclass

import openpyxl
from odf import table as odftable
from odf import teletype
from odf.opendocument import load

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
MIMETYPES = {"xlsx": XLSX, "ods": ODS}


@dataclass(frozen=True)
class Read:
    value: object
    #: "number", "string", "formula" or "empty".
    kind: str


@dataclass
class Book:
    sheets: dict[str, list[list[Read]]]
    #: table name -> (sheet, first row of the table, 1-based: its headings).
    tables: dict[str, tuple[str, int]]
    merged: int

    def values(self, sheet: str) -> list[list[object]]:
        return [[c.value for c in row] for row in self.sheets[sheet]]


def _trimmed(row: list[Read]) -> list[Read]:
    while row and row[-1].kind == "empty":
        row.pop()
    return row


def read_xlsx(body: bytes) -> Book:
    wb = openpyxl.load_workbook(io.BytesIO(body))
    sheets, tables, merged = {}, {}, 0
    kinds = {"n": "number", "s": "string", "f": "formula"}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            cells = [
                Read(c.value, "empty" if c.value is None else kinds.get(c.data_type, c.data_type))
                for c in row
            ]
            rows.append(_trimmed(cells))
        sheets[ws.title] = rows
        merged += len(ws.merged_cells.ranges)
        for name, ref in ws.tables.items():
            first = ref.split(":")[0]
            tables[name] = (ws.title, int("".join(ch for ch in first if ch.isdigit())))
    return Book(sheets, tables, merged)


def read_ods(body: bytes) -> Book:
    doc = load(io.BytesIO(body))
    sheets, tables, merged = {}, {}, 0
    for sheet in doc.spreadsheet.getElementsByType(odftable.Table):
        rows = []
        for tr in sheet.getElementsByType(odftable.TableRow):
            cells = []
            for tc in tr.getElementsByType(odftable.TableCell):
                if tc.getAttribute("numbercolumnsspanned") or tc.getAttribute("numberrowsspanned"):
                    merged += 1
                kind = tc.getAttribute("valuetype")
                if tc.getAttribute("formula"):
                    cells.append(Read(tc.getAttribute("formula"), "formula"))
                elif kind in ("float", "percentage"):
                    cells.append(Read(float(tc.getAttribute("value")), "number"))
                elif kind == "string":
                    cells.append(Read(teletype.extractText(tc), "string"))
                else:
                    cells.append(Read(None, "empty"))
            rows.append(_trimmed(cells))
        sheets[sheet.getAttribute("name")] = rows
    for found in doc.spreadsheet.getElementsByType(odftable.DatabaseRange):
        start = found.getAttribute("targetrangeaddress").split(":")[0]
        sheet, cell = start.rsplit(".", 1)
        tables[found.getAttribute("name")] = (
            sheet.strip("'"),
            int("".join(ch for ch in cell if ch.isdigit())),
        )
    return Book(sheets, tables, merged)


def read_book(fmt: str, body: bytes) -> Book:
    return read_xlsx(body) if fmt == "xlsx" else read_ods(body)


def as_number(text: str) -> float | None:
    """A CSV cell's number, or None when it is not one."""
    try:
        return float(text)
    except ValueError:
        return None


def table_sheets(book: Book, k: int | None = None) -> list[str]:
    """Checks the layout every download has, and returns the names of its table sheets: the
    Cover first (title in A1; source, publication date, contact; the shorthand explained),
    the Notes next, then one table per sheet, each marked as a table whose headings are row 3
    under its title in A1 and a pointer line in A2, with no blank cell, no merged cell and no
    formula anywhere."""
    names = list(book.sheets)
    assert names[:2] == ["Cover", "Notes"] and len(names) > 2, names
    cover = [row[0].value for row in book.sheets["Cover"] if row]
    assert cover[0] and all(h in cover for h in ("Source", "Publication date", "Contact"))
    confidential = next(line for line in cover if str(line).startswith("[c] = confidential"))
    assert k is None or f"fewer than {k} respondents" in confidential
    assert any(str(line).startswith("[x] = not available") for line in cover)
    assert book.merged == 0
    marked = {sheet: row for sheet, row in book.tables.values()}
    for name in names[1:]:
        rows = book.sheets[name]
        assert rows[0][0].kind == "string" and rows[0][0].value, f"{name}: no title in A1"
        assert "Cover sheet" in str(rows[1][0].value)
        assert marked.get(name) == 3, f"{name} is not marked as a table from row 3"
        width = len(rows[2])
        assert all(c.kind == "string" for c in rows[2])
        for row in rows[3:]:
            assert len(row) == width and all(c.kind in ("number", "string") for c in row), row
    for rows in book.sheets.values():
        assert all(c.kind != "formula" for row in rows for c in row)
    notes = book.sheets["Notes"]
    assert [c.value for c in notes[2]] == ["Note number", "Note text"]
    assert notes[3][0].value == "[note 1]"
    return names[2:]
