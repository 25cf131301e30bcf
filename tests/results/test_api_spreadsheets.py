"""GET /api/v1/campaigns/{slug}/results.xlsx and .ods (issue 21, point 7): the rows and columns
of results.csv, numbers as numbers, a withheld value as the shorthand of its reason, names as
text, the CSV's token rule, documented in the OpenAPI document like the CSV.

On the hand-computed world of tests/fixtures/api.py (k = 3): 00B's two patient leaders and 00D
are withheld; no campaign precedes 2025, so every trend is [x] (no_previous)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from assessor.extensions import db
from assessor.models import Organisation
from assessor.results.api import csv_columns
from tests.fixtures.api import CLOSED, OPEN, STEP_SCORE
from tests.support.spreadsheets import MIMETYPES, Read, as_number, read_book, table_sheets

FORMATS = ["xlsx", "ods"]
#: Columns the API types as strings though their values may look like numbers (identifiers).
TEXT_COLUMNS = {"organisation.code", "scoring.rules"}


def _get(api: Any, world: Any, path: str, token: str = "results") -> Any:
    response = api.get(path, headers=world.headers(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _book_rows(
    api: Any, world: Any, fmt: str, query: str = "", token: str = "results", slug: str = CLOSED
) -> tuple[list[object], list[dict[object, Read]]]:
    response = _get(api, world, f"/api/v1/campaigns/{slug}/results.{fmt}{query}", token)
    assert response.mimetype == MIMETYPES[fmt]
    audience = "staff" if "staff" in query else "combined"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{slug}-results-{audience}.{fmt}"'
    )
    book = read_book(fmt, response.get_data())
    assert table_sheets(book, k=3) == ["Results"]
    rows = book.sheets["Results"]
    header = [c.value for c in rows[2]]
    return header, [dict(zip(header, row, strict=True)) for row in rows[3:]]


def _csv_rows(
    api: Any, world: Any, query: str = "", token: str = "results", slug: str = CLOSED
) -> list[dict[str, str]]:
    text = _get(api, world, f"/api/v1/campaigns/{slug}/results.csv{query}", token).text
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query", ["", "?audience=staff"])
def test_the_csvs_rows_with_numbers_as_numbers(api, world, fmt: str, query: str) -> None:
    header, rows = _book_rows(api, world, fmt, query)
    assert header == csv_columns(list(world.q.domain_keys))
    want = _csv_rows(api, world, query)
    assert [r["organisation.code"].value for r in rows] == [r["organisation.code"] for r in want]
    for got, row in zip(rows, want, strict=True):
        for column, text in row.items():
            cell = got[column]
            number = as_number(text)
            if number is not None and column not in TEXT_COLUMNS:
                assert cell.kind == "number" and cell.value == pytest.approx(number), column
            elif text == "":
                assert cell.value in ("[c]", "[x]", "[z]"), column  # never blank, never 0
            else:
                assert cell.kind == "string" and cell.value == text, column


@pytest.mark.parametrize("fmt", FORMATS)
def test_withheld_values_are_their_reasons_shorthand(api, world, fmt: str) -> None:
    _, rows = _book_rows(api, world, fmt)
    by_code = {r["organisation.code"].value: r for r in rows}
    a, b = by_code["00A"], by_code["00B"]
    assert a["overall.score"].value == pytest.approx(17 / 6)
    assert a["overall.reason"].value == "[z]"  # shown: no reason
    assert a["trend.overall.delta"].value == "[x]"  # no previous campaign
    assert b["overall.reason"].value == "patient_leader_below_minimum"
    for column in ("overall.score", "overall.ci95.low", "overall.percentile.national"):
        assert b[column].value == "[c]", column
    assert b["gap.overall.staff_minus_patient_leader"].value == "[c]"
    for row in rows:
        for cell in row.values():
            assert not (cell.kind == "number" and cell.value == pytest.approx(STEP_SCORE))


@pytest.mark.parametrize("fmt", FORMATS)
def test_open_campaign_counts_below_k_are_c(api, world, fmt: str) -> None:
    _, rows = _book_rows(api, world, fmt, slug=OPEN)
    want = {r["organisation.code"]: r for r in _csv_rows(api, world, slug=OPEN)}
    for row in rows:
        code = row["organisation.code"].value
        assert row["overall.score"].value == "[x]"  # campaign_open
        for voice in ("staff", "patient_leader"):
            text = want[code][f"responses.{voice}"]
            cell = row[f"responses.{voice}"]
            assert cell.value == ("[c]" if text == "" else int(text))


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_names_are_strings(api, world, fmt: str) -> None:
    hostile = ['=HYPERLINK("https://evil.example")', "+cmd", "@SUM(A1)", "-1+2"]
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.code))
    for org, name in zip(orgs, hostile, strict=False):
        org.name = name
    db.session.commit()
    _, rows = _book_rows(api, world, fmt, token="admin", slug=OPEN)
    assert [r["organisation.name"].value for r in rows] == hostile
    assert all(r["organisation.name"].kind == "string" for r in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_token_rule_is_the_csvs(api, world, fmt: str) -> None:
    token = world.headers("results")
    for suffix in ("csv", fmt):
        path = f"/api/v1/campaigns/{CLOSED}/results.{suffix}"
        assert api.get(path).status_code == 401
        assert api.get(path.replace(CLOSED, "no-such")).status_code == 401
        assert api.get(path.replace(CLOSED, "no-such"), headers=token).status_code == 404
        assert api.get(path + "?audience=nobody", headers=token).status_code == 422


def test_documented_like_the_csv(api, world) -> None:
    document = api.get("/api/openapi.json").get_json()
    for fmt, mimetype in MIMETYPES.items():
        operation = document["paths"][f"/api/v1/campaigns/{{slug}}/results.{fmt}"]["get"]
        assert list(operation["responses"]["200"]["content"]) == [mimetype]
        assert (
            operation["security"]
            == document["paths"]["/api/v1/campaigns/{slug}/results.csv"]["get"]["security"]
        )
