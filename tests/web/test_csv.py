"""The one CSV writer (assessor.web.csv): a text cell a spreadsheet would run as a formula is
prefixed with `'`; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from assessor.web.csv import safe_cell, write_csv

HOSTILE_CELLS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(A1)",
                 "-2+3", "\tx", "\rx"]  # fmt: skip


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_a_formula_is_written_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    text = write_csv(["name"], [[cell]])
    assert list(csv.reader(io.StringIO(text)))[1] == ["'" + cell]


@pytest.mark.parametrize("value", [-0.25, "-0.25", -3, "-3", "1e-05", 0.5, "plain", "a=b"])
def test_numbers_and_plain_text_are_written_as_they_are(value: object) -> None:
    assert list(csv.reader(io.StringIO(write_csv(["v"], [[value]]))))[1] == [str(value)]


def test_none_and_booleans() -> None:
    assert write_csv(["a", "b", "c"], [[None, True, False]]) == "a,b,c\r\n,true,false\r\n"
