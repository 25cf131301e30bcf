"""The results service: maintained cell statistics equal a rebuild from raw answers, and
results read from them follow scoring.md on hand-computed numbers."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats
from sqlalchemy import select

from assessor import results
from assessor.models import Response
from assessor.responses import submission as responses
from tests.support import reference
from tests.support.factories import (
    add_orgs,
    benchmark_items,
    make_campaign,
    questionnaire,
    result_items,
    set_window,
    submitted_yesterday,
    uniform_answers,
)

OPTIONS = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know"]


def _snapshot(campaign_id: int) -> dict[tuple, tuple]:
    from assessor.extensions import db
    from assessor.models import Campaign

    return results.cells.statistics(db.session.get(Campaign, campaign_id))


def _random_answers(q, rng: random.Random) -> dict[str, str]:
    answers = {}
    for item in q.scored_items:
        if rng.random() < 0.9:
            answers[item.link_id] = rng.choice(OPTIONS)
    return answers


def test_maintained_statistics_equal_a_rebuild(db) -> None:
    add_orgs(("A01", "London", "Urban"), ("B02", "London", "Rural"), ("C03", "Midlands", "Urban"))
    before = make_campaign("y1", version=1, state="open")
    q1 = questionnaire(before)
    rng = random.Random(7)
    for _ in range(40):
        responses.submit(
            before,
            rng.choice(["A01", "B02", "C03"]),
            rng.choice(["staff", "patient_leader"]),
            _random_answers(q1, rng),
        )
    set_window(before, "closed")
    now = make_campaign("y2", version=2, state="open", previous="y1")
    q2 = questionnaire(now)
    for _ in range(60):
        responses.submit(
            now,
            rng.choice(["A01", "B02", "C03"]),
            rng.choice(["staff", "patient_leader"]),
            _random_answers(q2, rng),
        )
    db.session.flush()
    maintained = _snapshot(now.id)
    maintained_profiles = results.cells.profile_counts(now)
    assert any(v[0] for v in maintained_profiles.values())
    stored_scores = {r.id: r.scores for r in db.session.scalars(select(Response))}
    assert any(v[0] for k, v in maintained.items() if k[2] == "before_comparable")
    assert any(v[0] for k, v in maintained.items() if k[2] == "now_comparable")

    outcome = results.rebuild(now)
    db.session.flush()
    assert outcome == {"responses": 60, "scores_changed": 0}
    assert _snapshot(now.id) == maintained  # exactly: same additions in the same order
    assert results.cells.profile_counts(now) == maintained_profiles
    assert {r.id: r.scores for r in db.session.scalars(select(Response))} == stored_scores

    victim = db.session.scalars(select(Response).where(Response.campaign_id == now.id)).first()
    responses.void(victim, "test response", actor="test")
    db.session.flush()
    after_void = _snapshot(now.id)
    results.rebuild(now)
    db.session.flush()
    rebuilt = _snapshot(now.id)
    assert after_void.keys() == rebuilt.keys()
    for key, (n, total, total_sq) in rebuilt.items():
        m_n, m_total, m_sq = after_void[key]
        assert m_n == n
        assert m_total == pytest.approx(total, abs=1e-9)
        assert m_sq == pytest.approx(total_sq, abs=1e-9)


def _submit_many(campaign, org: str, audience: str, options: list[str]) -> None:
    q = questionnaire(campaign)
    for option in options:
        responses.submit(campaign, org, audience, uniform_answers(q, option))


def test_results_follow_the_rules_on_hand_computed_numbers(db) -> None:
    add_orgs(("A01", "London", "Urban"), ("B02", "London", "Urban"))
    campaign = make_campaign("c", state="open", k=3)
    # All "agree": every rung has a = 0.75 = threshold, so L = 5 and s = 5.
    # All "neutral": a = 0.5 on rung 1, so L = 0 and s = 0.5 / 0.75 = 2/3.
    # All "disagree": a = 0.25, s = 1/3.
    _submit_many(campaign, "A01", "staff", ["agree", "agree", "neutral"])
    _submit_many(campaign, "A01", "patient_leader", ["neutral", "neutral", "disagree"])
    _submit_many(campaign, "B02", "staff", ["agree", "agree", "agree", "neutral"])
    _submit_many(campaign, "B02", "patient_leader", ["agree", "agree"])

    submitted_yesterday(campaign)  # a non-administrator's counts are as at yesterday's end
    hidden = result_items(campaign, "combined")
    a01 = next(item for item in hidden if item["organisation"]["code"] == "A01")
    assert a01["responses"] == {"staff": 3, "patient_leader": 3}
    assert a01["overall"]["score"] is None and a01["overall"]["reason"] == "campaign_open"
    assert a01["gap"]["reason"] == "campaign_open"
    assert a01["preview"] is False

    preview = result_items(campaign, "combined", admin=True)
    assert all(item["preview"] for item in preview)

    set_window(campaign, "closed")
    items = {i["organisation"]["code"]: i for i in result_items(campaign, "combined")}
    staff = [5.0, 5.0, 2 / 3]
    patient = [2 / 3, 2 / 3, 1 / 3]
    m_s, m_p = sum(staff) / 3, sum(patient) / 3
    v_s = stats.tvar(staff) / 3
    v_p = stats.tvar(patient) / 3
    se = math.sqrt(v_s + v_p) / 2
    df = (v_s + v_p) ** 2 / (v_s**2 / 2 + v_p**2 / 2)
    t = stats.t.ppf(0.975, df)
    combined = items["A01"]["overall"]
    assert combined["score"] == pytest.approx((m_s + m_p) / 2, abs=1e-12)
    assert combined["level"] == 2 and combined["level_key"] == "co_commissioning"
    assert combined["n"] == 6
    # the bounded interval (scoring.md s.3) on (score, se, Welch's df), spelt out in the
    # plain-Python reference; the t interval would have been score -/+ t * se
    assert combined["ci95"] == pytest.approx(list(reference.bounded((m_s + m_p) / 2, se, df, 6)))
    assert (m_s + m_p) / 2 - t * se < combined["ci95"][0]
    assert combined["imprecise"] is True  # fewer than 10 in a cell
    gap = items["A01"]["gap"]["overall"]
    gap_se = math.sqrt(v_s + v_p)
    assert gap["staff_minus_patient_leader"] == pytest.approx(m_s - m_p)
    # 3 - 5/9 -/+ t * se reaches 9.16 > R = 5: cut to [-3.16, 5] and marked clipped
    assert gap["ci95"] == pytest.approx([m_s - m_p - t * gap_se, 5.0])
    assert m_s - m_p + t * gap_se > 5 and gap["clipped"] is True
    assert gap["significant"] is bool(m_s - m_p - t * gap_se > 0)
    assert items["A01"]["trend"]["reason"] == "no_previous"

    # B02 has two patient leaders, below k = 3: no rating, no gap; counts stay visible.
    b02 = items["B02"]
    assert b02["responses"] == {"staff": 4, "patient_leader": 2}
    assert b02["overall"]["score"] is None and b02["overall"]["suppressed"] is True
    assert b02["overall"]["reason"] == "patient_leader_below_minimum"
    assert b02["gap"]["reason"] == "patient_leader_below_minimum"
    staff_items = {i["organisation"]["code"]: i for i in result_items(campaign, "staff")}
    assert staff_items["B02"]["overall"]["score"] == pytest.approx((5 * 3 + 2 / 3) / 4)
    patient_items = {i["organisation"]["code"]: i for i in result_items(campaign, "patient_leader")}
    assert patient_items["B02"]["overall"]["reason"] == "below_minimum"
    assert patient_items["B02"]["overall"]["n"] is None

    bench = benchmark_items(campaign, "combined", "national")
    assert len(bench) == 1
    overall = bench[0]["overall"]
    assert overall["n_orgs"] == 1 and overall["n_suppressed"] == 1
    assert overall["mean"] == pytest.approx((m_s + m_p) / 2)
    assert bench[0]["scoring"]["min_respondents"] == 3
    assert bench[0]["scoring"]["rules"] == "2"


def test_trend_across_versions_uses_comparable_items_only(db) -> None:
    add_orgs(("A01", "London", "Urban"))
    first = make_campaign("y1", version=1, state="open", k=3)
    _submit_many(first, "A01", "staff", ["neutral"] * 3)
    _submit_many(first, "A01", "patient_leader", ["disagree"] * 3)
    set_window(first, "closed")
    second = make_campaign("y2", version=2, state="open", previous="y1", k=3)
    _submit_many(second, "A01", "staff", ["agree"] * 3)
    _submit_many(second, "A01", "patient_leader", ["neutral"] * 3)
    set_window(second, "closed")

    item = result_items(second, "staff")[0]
    trend = item["trend"]
    assert trend["previous"] == "y1"
    # Rule set 2: v2 kept the wording of 23 of 31 items, and only culture and systems a
    # common item on every rung; overall needs every domain.
    assert trend["comparable_fraction"] == pytest.approx(23 / 31)
    assert trend["comparable_domains"] == ["culture_and_systems"]
    q = questionnaire(second)
    for d in q.domain_keys:
        if d != "culture_and_systems":
            assert trend["domains"][d]["reason"] == "not_comparable"
    assert trend["overall"]["reason"] == "not_comparable" and trend["overall"]["delta"] is None
    culture = trend["domains"]["culture_and_systems"]
    # Uniform answers score the same on any subset of items: agree -> 5, neutral -> 2/3.
    assert culture["before"] == pytest.approx(2 / 3)
    assert culture["now"] == pytest.approx(5.0)
    # Zero variance on both sides: the interval is [delta, delta] and it is significant.
    assert culture["delta"] == pytest.approx(5.0 - 2 / 3)
    assert culture["ci95"] == pytest.approx([5.0 - 2 / 3] * 2)
    assert culture["significant"] is True and culture["clipped"] is False
    combined = result_items(second, "combined")[0]["trend"]["domains"]["culture_and_systems"]
    assert combined["delta"] == pytest.approx((5 + 2 / 3) / 2 - (2 / 3 + 1 / 3) / 2)


def test_staff_below_minimum_and_a_trend_across_a_changed_threshold(db, tmp_path) -> None:
    import shutil

    import yaml

    from assessor.questionnaires.publishing import publish_directory
    from tests.conftest import QUESTIONNAIRES_DIR

    folder = tmp_path / "engagement-maturity"
    shutil.copytree(QUESTIONNAIRES_DIR / "engagement-maturity", folder)
    v4 = yaml.safe_load((folder / "v3.yaml").read_text())
    v4.update(version=4, revises=3, threshold=0.8)
    (folder / "v4.yaml").write_text(yaml.safe_dump(v4, sort_keys=False))
    publish_directory(tmp_path)

    add_orgs(("A01", "London", "Urban"))
    first = make_campaign("y2", version=3, k=3)
    _submit_many(first, "A01", "staff", ["neutral"] * 3)
    _submit_many(first, "A01", "patient_leader", ["neutral"] * 3)
    set_window(first, "closed")
    second = make_campaign("y3", version=4, previous="y2", k=3)
    _submit_many(second, "A01", "staff", ["neutral"] * 2)
    _submit_many(second, "A01", "patient_leader", ["neutral"] * 3)
    set_window(second, "closed")

    item = result_items(second, "combined")[0]
    assert item["overall"]["reason"] == "staff_below_minimum"
    assert item["gap"]["reason"] == "staff_below_minimum"
    # Patient leaders' own view is still shown: their voice is never hidden by staff numbers.
    patient = result_items(second, "patient_leader")[0]
    # Threshold 0.8: "neutral" and a fact's "partly" (0.5) meet no rung: s = 0.5 / 0.8.
    assert patient["overall"]["score"] == pytest.approx(0.625)
    assert patient["overall"]["level_key"] == "not_yet"
    trend = item["trend"]
    assert trend["reason"] == "not_comparable"
    assert trend["previous"] == "y2" and trend["comparable_fraction"] == pytest.approx(1.0)
    assert trend["overall"]["delta"] is None and trend["overall"]["reason"] == "not_comparable"
