"""Rule set 2 for one respondent (scoring.md s.2): fact items and the half-answered rule,
on hand-computed cases and against the plain-Python reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessor.questionnaires.definition import Domain, Item, Questionnaire, Rung
from assessor.scoring.encoding import encode_answers
from assessor.scoring.engine import ScoringModel, score_respondents
from tests.support import reference

RUNGS = ("consultation", "co_commissioning", "co_design", "co_delivery", "co_assessment")


def item(link_id: str, rung: str, kind: str = "agreement") -> Item:
    return Item(
        link_id=link_id, concept=f"c.{link_id}", type=kind, text=link_id, domain="d", rung=rung
    )


Q = Questionnaire(
    key="t",
    version=3,
    title="T",
    status="published",
    audiences=("staff", "patient_leader"),
    threshold=0.75,
    rungs=tuple(Rung(key=k, label=k) for k in RUNGS),
    domains=(Domain(key="d", title="d"),),
    items=(
        item("c1", "consultation", "fact"),
        item("c2", "consultation"),
        item("m1", "co_commissioning", "fact"),
        item("m2", "co_commissioning"),
        item("s1", "co_design"),
        item("s2", "co_design", "fact"),
    ),
    not_happening=True,
)


def test_fact_answers_contribute_one_half_and_zero() -> None:
    values = encode_answers(
        Q,
        [
            {"c1": "yes", "m1": "partly", "s2": "no"},
            {"c1": "dont_know", "m1": "agree", "s2": "maybe"},
        ],
    )
    assert values[0, [0, 2, 5]].tolist() == [4.0, 2.0, 0.0]
    assert np.isnan(values[1]).all()


def test_fact_items_score_by_hand() -> None:
    """c: yes (1) and agree (0.75): 0.875, met; m: partly (0.5) and strongly agree (1):
    0.75, met; s: neutral (0.5) and no (0): 0.25, not met. L = 2, s = 2 + 0.25 / 0.75."""
    answers = {"c1": "yes", "c2": "agree", "m1": "partly", "m2": "strongly_agree"}
    answers |= {"s1": "neutral", "s2": "no"}
    scores = score_respondents(encode_answers(Q, [answers]), ScoringModel.from_questionnaire(Q))
    assert scores.attainment[0, 0, :3].tolist() == [0.875, 0.75, 0.25]
    assert scores.domain_levels[0, 0] == 2
    assert scores.domain_scores[0, 0] == pytest.approx(2 + 0.25 / 0.75)


@pytest.mark.parametrize(
    ("answered", "scored"),
    [
        (["c1", "c2", "m1"], True),  # 3 of 6 shown: exactly half, scored
        (["c1", "c2"], False),  # 2 of 6: fewer than half, no score
    ],
)
def test_a_domain_needs_half_its_shown_items_answered(answered: list[str], scored: bool) -> None:
    kinds = {i.link_id: i.type for i in Q.items}
    row = {k: "yes" if kinds[k] == "fact" else "agree" for k in answered} | {"m2": "dont_know"}
    scores = score_respondents(encode_answers(Q, [row]), ScoringModel.from_questionnaire(Q))
    assert math.isnan(scores.domain_scores[0, 0]) is not scored
    assert math.isnan(scores.overall[0]) is not scored


def test_items_not_shown_do_not_count_against_the_half() -> None:
    """2 answered of 6 is too few; with 3 items hidden (skip logic, or a trend's rescoring)
    it is 2 of 3, and the domain is scored: c 0.75 met, m undefined, so L = 1, s = 1."""
    values = encode_answers(Q, [{"c1": "partly", "c2": "strongly_agree"}])
    model = ScoringModel.from_questionnaire(Q)
    assert np.isnan(score_respondents(values, model).domain_scores[0, 0])
    shown = np.array([True, True, True, False, False, False])
    assert score_respondents(values, model, shown).domain_scores[0, 0] == 1.0
    per_row = score_respondents(values, model, shown[None, :])
    assert per_row.domain_scores[0, 0] == 1.0


def test_rule_set_1_scores_any_answered_domain() -> None:
    values = encode_answers(Q, [{"c1": "yes"}])
    model = ScoringModel(
        item_domain=np.zeros(6, dtype=np.int64),
        item_rung=np.array([1, 1, 2, 2, 3, 3]),
        n_domains=1,
        n_rungs=5,
        threshold=0.75,
        min_answered_share=0.0,
    )
    assert score_respondents(values, model).domain_scores[0, 0] == 1.0


KEYS = ["yes", "partly", "no", "dont_know", "agree", "neutral", "not_happening", None]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(KEYS), min_size=6, max_size=6),
            st.lists(st.booleans(), min_size=6, max_size=6),
        ),
        max_size=20,
    )
)
def test_half_rule_and_fact_items_agree_with_the_reference(rows) -> None:
    link_ids = [i.link_id for i in Q.scored_items]
    answers = [
        {k: v for k, v, seen in zip(link_ids, keys, shown, strict=True) if v and seen}
        for keys, shown in rows
    ]
    shown = np.array([s for _, s in rows], dtype=bool).reshape(len(rows), 6)
    model = ScoringModel.from_questionnaire(Q)
    got = score_respondents(encode_answers(Q, answers), model, shown)
    for i, answer in enumerate(answers):
        want = reference.score_respondent(
            [reference.answer_value(answer.get(i.link_id), True, i.type) for i in Q.scored_items],
            [0] * 6,
            model.item_rung.tolist(),
            1,
            5,
            0.75,
            shown=shown[i].tolist(),
        )
        expected = math.nan if want.scores[0] is None else want.scores[0]
        np.testing.assert_allclose(got.domain_scores[i, 0], expected, rtol=0, atol=1e-9)
