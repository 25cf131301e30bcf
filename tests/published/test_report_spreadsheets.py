"""The annual report by principle as .xlsx and .ods (issue 21, point 7): the CSV's rows, one
sheet per framework, a withheld figure as [c], public like the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.published.test_report import _campaign
from tests.support.spreadsheets import (
    MIMETYPES,
    Book,
    Read,
    as_number,
    read_book,
    table_sheets,
)

FORMATS = ["xlsx", "ods"]


def _download(client, fmt: str):  # type: ignore[no-untyped-def]
    response = client.get(f"/results/c/A01/report.{fmt}")
    assert response.status_code == 200 and response.mimetype == MIMETYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="c-A01-by-principle.{fmt}"'
    return read_book(fmt, response.get_data())


def _csv_rows(client) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = client.get("/results/c/A01/report.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text)))


def _sheet_rows(book: Book, names: list[str]) -> list[dict[object, Read]]:
    out = []
    for name in names:
        rows = book.sheets[name]
        header = [c.value for c in rows[2]]
        out += [dict(zip(header, row, strict=True)) for row in rows[3:]]
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_numbers_are_the_csvs_one_sheet_per_framework(client, db, fmt: str) -> None:
    _campaign(db, ["neutral", "neutral", "not_happening"])
    book = _download(client, fmt)
    names = table_sheets(book, k=3)
    assert names == ["Principles", "IAF_criteria"]
    assert book.sheets["Principles"][0][0].value.startswith("NHS A01 (A01), C: NHS England")
    csv_rows = _csv_rows(client)
    sheet_rows = _sheet_rows(book, names)
    assert [r["key"].value for r in sheet_rows] == [r["key"] for r in csv_rows]
    for got, want in zip(sheet_rows, csv_rows, strict=True):
        assert list(got) == list(want)  # the same columns, in the same order
        for column, text in want.items():
            number = as_number(text)
            if number is not None:
                assert got[column].kind == "number" and got[column].value == pytest.approx(number)
            elif text == "":
                assert got[column].value == "[z]", column  # no reason: not applicable
            else:
                assert got[column].kind == "string" and got[column].value == text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_principle_below_k_is_c_never_a_number(client, db, fmt: str) -> None:
    _campaign(db, ["neutral", "neutral"])  # two patient leaders, k = 3
    rows = _sheet_rows(_download(client, fmt), ["Principles", "IAF_criteria"])
    assert rows
    for row in rows:
        assert row["patient_leader.agreement"].value == "[c]"
        assert row["combined.agreement"].value == "[c]"
        assert row["combined.national_percentile"].value == "[c]"
        assert row["staff.agreement"].kind == "number"
        assert row["patient_leader.reason"].value == "below_minimum"


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_like_the_csv_and_linked_from_the_page(client, db, fmt: str) -> None:
    _campaign(db, ["neutral", "neutral", "neutral"])
    assert client.get("/results/c/A01/report.csv").status_code == 200  # signed out
    _download(client, fmt)
    assert client.get("/results/c/ZZZ/report.csv").status_code == 404
    assert client.get(f"/results/c/ZZZ/report.{fmt}").status_code == 404
    assert client.get(f"/results/nope/A01/report.{fmt}").status_code == 404
    page = client.get("/results/c/A01/report").get_data(as_text=True)
    assert (
        f'href="/results/c/A01/report.{fmt}"' in page and 'href="/results/c/A01/report.csv"' in page
    )
