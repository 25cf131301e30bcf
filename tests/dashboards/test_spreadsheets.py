"""Every board table as .xlsx and .ods beside its CSV (issue 21, point 7): the same rows as the
CSV, numbers stored as numbers, a withheld value as its shorthand and never a number, names as
text never formulas, and the CSV's access rules.

The world: k = 5; A01, A02 and B01 have 10 staff and 10 patient leaders each, C01 10 staff and
2 patient leaders, so its combined and patient-leader values are withheld."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from assessor.auth.passwords import create_user
from assessor.models import Organisation
from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    submitted_yesterday,
    uniform_answers,
)
from tests.support.spreadsheets import MIMETYPES, as_number, read_book, table_sheets
from tests.web.test_web import PASSWORD, _login

FORMATS = ["xlsx", "ods"]
LEADERS = {"A01": 10, "A02": 10, "B01": 10, "C01": 2}
HOSTILE = {"A01": '=HYPERLINK("https://evil.example")', "A02": "+cmd"}


@pytest.fixture(autouse=True)
def _fresh_results_cache():  # type: ignore[no-untyped-def]
    from assessor.results import publications

    publications.clear_cache()
    yield
    publications.clear_cache()


def _world(db: Any, state: str = "closed", names: dict[str, str] | None = None) -> Any:
    create_user("board@example.nhs.uk", "viewer", PASSWORD)
    add_orgs(
        ("A01", "London", "Urban"),
        ("A02", "London", "Urban"),
        ("B01", "North West", "Rural"),
        ("C01", "North West", "Rural"),
    )
    for org in db.session.scalars(select(Organisation)):
        org.name = (names or {}).get(org.code, org.name)
    campaign = make_campaign("spring", state="open", k=5)
    q = questionnaire(campaign)
    agree, neutral = uniform_answers(q, "agree"), uniform_answers(q, "neutral")
    for i, (org, leaders) in enumerate(LEADERS.items()):
        for s in range(10):
            responses.submit(campaign, org, "staff", agree if s < 5 + i else neutral)
        for _ in range(leaders):
            responses.submit(campaign, org, "patient_leader", neutral)
    if state == "closed":
        set_window(campaign, "closed")
    db.session.commit()
    return campaign


def _csv(client, url: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _sheet(client, url: str, fmt: str, filename: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == MIMETYPES[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{filename}.{fmt}"'
    book = read_book(fmt, response.get_data())
    (name,) = table_sheets(book, k=5)
    return book.sheets[name]


def _same_as_csv(sheet, rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    """The sheet's table is the CSV's: the same headings, and cell for cell a number where the
    CSV has one (the same number), the shorthand [c] where it withholds a value for fewer than
    k, and otherwise the CSV's text (a withheld value's words, or [x]/[z], aside)."""
    assert [c.value for c in sheet[2]] == rows[0]
    assert len(sheet) - 3 == len(rows) - 1
    for got, want in zip(sheet[3:], rows[1:], strict=True):
        for cell, text in zip(got, want, strict=True):
            number = as_number(text.replace("\u2212", "-").replace(",", "").removesuffix("%"))
            if number is not None and text.endswith("%"):
                assert cell.kind == "number" and cell.value == pytest.approx(number / 100), text
            elif number is not None:
                assert cell.kind == "number" and cell.value == pytest.approx(number), text
            elif "fewer than 5" in text:
                assert cell.value == "[c]", text
            elif cell.value not in ("[x]", "[z]"):
                assert cell.kind == "string" and cell.value == text.removeprefix("'")


@pytest.mark.parametrize("fmt", FORMATS)
def test_national_table_is_the_csv_with_the_withheld_as_c(client, db, fmt: str) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    rows = _csv(client, "/dashboards/spring/csv/ranked")
    sheet = _sheet(client, f"/dashboards/spring/{fmt}/ranked", fmt, "spring-ranked")
    assert sheet[0][0].value.startswith("Ranked scores")
    _same_as_csv(sheet, rows)
    by_org = {row[0].value: row for row in sheet[3:]}
    assert set(by_org) == {f"NHS {code} ({code})" for code in LEADERS}
    assert [c.value for c in by_org["NHS C01 (C01)"][1:]] == ["[x]", "[c]", "[c]", "[c]"]
    shown = by_org["NHS A01 (A01)"]
    assert shown[1].kind == shown[2].kind == "number"  # rank and score, stored as numbers
    assert [r[0] for r in rows[1:]] == [r[0].value for r in sheet[3:]]  # the CSV's order


@pytest.mark.parametrize("fmt", FORMATS)
def test_organisation_tables_are_the_csv(client, db, fmt: str) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    for org, chart in [("A01", "profile"), ("C01", "profile"), ("A01", "responses")]:
        rows = _csv(client, f"/dashboards/spring/{org}/csv/{chart}")
        url = f"/dashboards/spring/{org}/{fmt}/{chart}"
        _same_as_csv(_sheet(client, url, fmt, f"spring-{org}-{chart}"), rows)
    suppressed = _sheet(client, f"/dashboards/spring/C01/{fmt}/profile", fmt, "spring-C01-profile")
    for row in suppressed[3:]:
        assert [c.value for c in row[1:4]] == ["[c]", "[c]", "[c]"]  # score, interval, level
    staff = _sheet(
        client,
        f"/dashboards/spring/C01/{fmt}/profile?audience=staff",
        fmt,
        "spring-C01-profile",
    )
    assert all(row[1].kind == "number" for row in staff[3:])  # C01's staff are shown
    assert client.get(f"/dashboards/spring/ZZZ/{fmt}/profile").status_code == 404
    assert client.get(f"/dashboards/spring/A01/{fmt}/nope").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_names_are_strings_not_formulas(client, db, fmt: str) -> None:
    _world(db, names=HOSTILE)
    _login(client, "board@example.nhs.uk")
    sheet = _sheet(client, f"/dashboards/spring/{fmt}/ranked", fmt, "spring-ranked")
    names = {row[0].value: row[0].kind for row in sheet[3:]}
    for code, name in HOSTILE.items():
        assert names[f"{name} ({code})"] == "string"
    heat = _sheet(client, f"/dashboards/spring/{fmt}/heatmap", fmt, "spring-heatmap")
    assert all(row[0].kind == "string" for row in heat[3:])


@pytest.mark.parametrize("fmt", FORMATS)
def test_access_is_the_csvs(client, db, fmt: str) -> None:
    submitted_yesterday(_world(db, "open"))  # counts are as at the end of the previous day
    db.session.commit()
    urls = ["/dashboards/spring/{}/responses", "/dashboards/spring/A01/{}/responses"]
    for url in urls:
        refused, asked = client.get(url.format("csv")), client.get(url.format(fmt))
        assert refused.status_code == asked.status_code == 302  # to sign in
        assert "/login" in asked.headers["Location"]
    _login(client, "board@example.nhs.uk")
    # While the campaign is open, no score table exists, in any format.
    assert client.get("/dashboards/spring/csv/funnel").status_code == 404
    assert client.get(f"/dashboards/spring/{fmt}/funnel").status_code == 404
    rows = _csv(client, "/dashboards/spring/csv/responses")
    sheet = _sheet(client, f"/dashboards/spring/{fmt}/responses", fmt, "spring-responses")
    _same_as_csv(sheet, rows)
    by_org = {row[0].value: [c.value for c in row[1:]] for row in sheet[3:]}
    assert by_org["NHS A01 (A01)"] == ["London", 10, "[x]", 10, "[x]"]
    assert by_org["NHS C01 (C01)"] == ["North West", 10, "[x]", "[c]", "[x]"]  # 2 leaders


def test_pages_link_the_three_formats(client, db) -> None:
    _world(db)
    _login(client, "board@example.nhs.uk")
    page = client.get("/dashboards/spring?audience=staff").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "ods"):
        assert f'href="/dashboards/spring/{fmt}/ranked?audience=staff"' in page
    assert "Excel (.xlsx)" in page and "OpenDocument (.ods)" in page
    page = client.get("/dashboards/spring/A01").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "ods"):
        assert f'href="/dashboards/spring/A01/{fmt}/profile"' in page
    page = client.get("/dashboards/spring/table/ranked").get_data(as_text=True)
    assert 'href="/dashboards/spring/ods/ranked"' in page
