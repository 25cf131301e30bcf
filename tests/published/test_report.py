"""The report by principle and IAF criterion (questionnaire v3), on hand-computed numbers.

Every scored item answered alike: strongly agree (a fact item: yes) contributes 1, neutral
(partly) 2/4, "does not happen here" (no) 0 (scoring.md s.2), so each principle's figure is
that contribution.
"""

from __future__ import annotations

import csv
import io

import pytest

from assessor.responses import submission as responses
from tests.support.factories import (
    add_orgs,
    make_campaign,
    questionnaire,
    set_window,
    uniform_answers,
)


def _campaign(db, leaders: list[str]):  # type: ignore[no-untyped-def]
    add_orgs(("A01", "London", "Urban"))
    campaign = make_campaign("c", version=3, k=3)
    q = questionnaire(campaign)
    for option in ["strongly_agree"] * 3:
        responses.submit(campaign, "A01", "staff", uniform_answers(q, option))
    for option in leaders:
        responses.submit(campaign, "A01", "patient_leader", uniform_answers(q, option))
    set_window(campaign, "closed")
    db.session.commit()
    return q


def test_report_by_principle_on_hand_computed_numbers(client, db) -> None:
    q = _campaign(db, ["neutral", "neutral", "not_happening"])
    body = client.get("/results/c/A01/report.csv")
    assert body.status_code == 200 and body.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))
    assert [r["key"] for r in rows] == [p.key for p in q.principles]
    assert {r["framework"] for r in rows} == {"nhse-2022", "iaf"}
    leaders = (0.5 + 0.5 + 0.0) / 3
    for row in rows:
        assert float(row["staff.agreement"]) == pytest.approx(1.0)
        assert float(row["patient_leader.agreement"]) == pytest.approx(leaders)
        assert float(row["combined.agreement"]) == pytest.approx((1.0 + leaders) / 2)
        # one organisation: it is the national median, at the 50th percentile
        assert float(row["combined.national_median"]) == pytest.approx((1.0 + leaders) / 2)
        assert float(row["combined.national_percentile"]) == 50.0
        assert row["combined.national_organisations"] == "1"
        assert row["publication"] == "1"
    page = client.get("/results/c/A01/report").get_data(as_text=True)
    assert "ten principles" in page and "CCG Improvement and Assessment Framework" in page
    assert f"{(1.0 + leaders) / 2 * 100:.0f}%" in page
    assert "National median" in page and "Percentile nationally" in page


def test_a_principle_below_k_is_withheld_in_words(client, db) -> None:
    _campaign(db, ["neutral", "neutral"])
    rows = list(
        csv.DictReader(io.StringIO(client.get("/results/c/A01/report.csv").get_data(as_text=True)))
    )
    for row in rows:
        assert row["patient_leader.agreement"] == "" and row["combined.agreement"] == ""
        assert row["patient_leader.reason"] == "below_minimum"
        assert row["combined.reason"] == "patient_leader_below_minimum"
    page = client.get("/results/c/A01/report").get_data(as_text=True)
    assert "Not shown (fewer than 3 patient leaders responded)" in page


def test_attack_voiding_dont_knows_cannot_difference_an_item_mean(client, runner, db) -> None:
    """Issue 17, finding 2: the item means of the report were gated on the people shown an
    item, but the revision check looked at that count alone. Voiding k = 3 people of whom
    two answered "don't know" leaves the shown count k lower (published normally) and the
    answered count one lower: 5 x before - 4 x after gave the third person's answer."""
    _campaign(db, ["neutral"] * 4 + ["strongly_agree", "dont_know", "dont_know"])
    first = list(
        csv.DictReader(io.StringIO(client.get("/results/c/A01/report.csv").get_data(as_text=True)))
    )
    assert float(first[0]["patient_leader.agreement"]) == pytest.approx((4 * 0.5 + 1.0) / 5)
    from sqlalchemy import select

    from assessor.models import Response

    victims = db.session.scalars(
        select(Response.id)
        .where(Response.audience == "patient_leader")
        .order_by(Response.seq.desc())
        .limit(3)
    ).all()
    for victim in victims:
        assert runner.invoke(args=["responses", "void", victim, "--reason", "test"]).exit_code == 0
    out = runner.invoke(args=["results", "publish", "c", "--reason", "three test entries"])
    assert out.exit_code == 0, out.output
    after = list(
        csv.DictReader(io.StringIO(client.get("/results/c/A01/report.csv").get_data(as_text=True)))
    )
    assert after[0]["publication"] == "2"
    for row in after:
        assert row["patient_leader.agreement"] == "" and row["combined.agreement"] == ""
        assert row["patient_leader.reason"] == "revision_below_minimum"


def test_each_principle_is_set_against_the_same_principle_nationally(client, db) -> None:
    """Three organisations, every item answered alike in each cell: combined figures
    A01 (1 + 0.5) / 2 = 0.75, B02 (0.5 + 0.5) / 2 = 0.5, C03 (1 + 1) / 2 = 1; D04's patient
    leaders are too few, so D04 has no figure and is left out of the national numbers.
    Median of 0.5, 0.75, 1 = 0.75; A01's percentile 100 * (1 + 0.5) / 3 = 50, C03's 83.3."""
    add_orgs(
        ("A01", "London", "Urban"),
        ("B02", "London", "Urban"),
        ("C03", "Midlands", "Rural"),
        ("D04", "Midlands", "Rural"),
    )
    campaign = make_campaign("c", version=3, k=3)
    q = questionnaire(campaign)
    cells = {
        "A01": ("strongly_agree", "neutral", 3),
        "B02": ("neutral", "neutral", 3),
        "C03": ("strongly_agree", "strongly_agree", 3),
        "D04": ("strongly_agree", "strongly_agree", 2),
    }
    for org, (staff, leaders, n_leaders) in cells.items():
        for _ in range(3):
            responses.submit(campaign, org, "staff", uniform_answers(q, staff))
        for _ in range(n_leaders):
            responses.submit(campaign, org, "patient_leader", uniform_answers(q, leaders))
    set_window(campaign, "closed")
    db.session.commit()

    def rows(org: str) -> list[dict[str, str]]:
        body = client.get(f"/results/c/{org}/report.csv").get_data(as_text=True)
        return list(csv.DictReader(io.StringIO(body)))

    for row in rows("A01"):
        assert float(row["combined.agreement"]) == pytest.approx(0.75)
        assert float(row["combined.national_median"]) == pytest.approx(0.75)
        assert float(row["combined.national_percentile"]) == pytest.approx(50.0)
        assert row["combined.national_organisations"] == "3"
    assert float(rows("C03")[0]["combined.national_percentile"]) == pytest.approx(250 / 3)
    d04 = rows("D04")[0]
    assert d04["combined.agreement"] == "" and d04["combined.national_percentile"] == ""
    assert float(d04["combined.national_median"]) == pytest.approx(0.75)
