"""The one spreadsheet writer (assessor.web.spreadsheets): the Analysis Function's layout in
both formats, numbers as numbers, withheld values as shorthand, hostile text never a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

from assessor.web.spreadsheets import (
    Percent,
    SheetTable,
    Shorthand,
    Workbook,
    from_text,
    shorthand_for,
    write_ods,
    write_xlsx,
)
from tests.support.spreadsheets import read_book, table_sheets

HOSTILE = ['=HYPERLINK("https://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]
WRITERS = {"xlsx": write_xlsx, "ods": write_ods}


def _book(tables: list[SheetTable]) -> Workbook:
    return Workbook(
        title="Ranked scores",
        about=["What it is."],
        source="assessor",
        published="Publication 1, 2026-01-01",
        notes=["First note.", "Second note."],
        tables=tables,
        k=5,
        contact="analysis@example.nhs.uk",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.52", 0.52), ("\u22120.25", -0.25), ("+0.10", 0.1), ("1,234", 1234), ("12", 12)],
)
def test_numbers_as_the_pages_write_them_become_numbers(text: str, expected: float) -> None:
    value = from_text(text, {})
    assert value == pytest.approx(expected) and not isinstance(value, str)


def test_a_percentage_is_a_share_and_other_text_stays_text() -> None:
    assert from_text("45%", {}) == pytest.approx(0.45)
    assert isinstance(from_text("45%", {}), Percent)
    for text in ["0.40 to 0.64", "45% of 12", "1,23", "A01", *HOSTILE]:
        assert from_text(text, {}) == text
    words = {"Not shown (fewer than 5 respondents)": Shorthand.CONFIDENTIAL}
    assert from_text("Not shown (fewer than 5 respondents)", words) is Shorthand.CONFIDENTIAL


def test_reasons_that_protect_respondents_are_confidential() -> None:
    assert shorthand_for("below_minimum") is Shorthand.CONFIDENTIAL
    assert shorthand_for("revision_below_minimum") is Shorthand.CONFIDENTIAL
    assert shorthand_for("patient_leader_below_minimum") is Shorthand.CONFIDENTIAL
    assert shorthand_for("campaign_open") is Shorthand.NOT_AVAILABLE
    assert shorthand_for("no_previous") is Shorthand.NOT_AVAILABLE


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_layout_numbers_shorthand_and_hostile_text(fmt: str) -> None:
    rows = [[name, 0.5, -3, Percent(0.45), Shorthand.CONFIDENTIAL] for name in HOSTILE]
    columns = ["Organisation", "Score", "Change", "Rate", "Patient leaders"]
    book = read_book(fmt, WRITERS[fmt](_book([SheetTable("Ranked", "Ranked", columns, rows)])))
    assert table_sheets(book, k=5) == ["Ranked"]
    sheet = book.sheets["Ranked"]
    assert sheet[0][0].value == "Ranked" and [c.value for c in sheet[2]] == columns
    assert [c.value for c in sheet[3]] == [HOSTILE[0], 0.5, -3, pytest.approx(0.45), "[c]"]
    assert [c.kind for c in sheet[3]] == ["string", "number", "number", "number", "string"]
    assert [row[0].value for row in sheet[3:]] == HOSTILE
    assert all(row[0].kind == "string" for row in sheet[3:])
    cover = [row[0].value for row in book.sheets["Cover"]]
    assert cover[0] == "Ranked scores" and "analysis@example.nhs.uk" in cover
    assert "Sheet Ranked: Ranked" in cover
    assert [c.value for c in book.sheets["Notes"][4]] == ["[note 2]", "Second note."]


def test_xlsx_text_is_never_a_formula_and_a_share_is_formatted_as_one() -> None:
    rows = [[name, Percent(0.45)] for name in HOSTILE]
    body = write_xlsx(_book([SheetTable("T", "T", ["Name", "Rate"], rows)]))
    ws = openpyxl.load_workbook(io.BytesIO(body))["T"]
    assert [ws.cell(r, 1).data_type for r in range(4, 4 + len(HOSTILE))] == ["s"] * len(HOSTILE)
    assert ws["B4"].number_format == "0%" and ws["B4"].value == pytest.approx(0.45)
    assert list(ws.tables) == ["table_1"] and ws.tables["table_1"].ref == "A3:B7"


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_sheet_names_are_legal_and_unique_and_an_empty_table_says_so(fmt: str) -> None:
    tables = [
        SheetTable("Notes", "Clashes with the notes", ["a"], [[1]]),
        SheetTable("a/b:c*d?[e]", "Odd name", ["a", "a"], []),
        SheetTable("x" * 40, "Long name", ["a"], [[2]]),
    ]
    book = read_book(fmt, WRITERS[fmt](_book(tables)))
    names = table_sheets(book)
    assert len(set(names)) == 3 and "Notes" not in names
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    cover = [row[0].value for row in book.sheets["Cover"]]
    titles = ["Clashes with the notes", "Odd name", "Long name"]
    listed = [f"Sheet {name}: {title}" for name, title in zip(names, titles, strict=True)]
    assert [line for line in cover if str(line).startswith("Sheet ")] == listed
    odd = book.sheets[names[1]]
    assert [c.value for c in odd[2]] == ["a", "a (2)"]  # headings of a table are unique
    assert [c.value for c in odd[3]] == ["[z]", "[z]"]
