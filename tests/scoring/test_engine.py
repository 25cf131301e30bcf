"""The respondent scoring engine (scoring.md s.2) on hand-computed cases, properties, and
agreement with the plain-Python reference in tests/support/reference.py."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from assessor.questionnaires.definition import Domain, Item, Questionnaire, Rung
from assessor.scoring import engine
from assessor.scoring.encoding import answer_kind_counts, encode_answers
from assessor.scoring.engine import ScoringModel, level_of, score_respondents
from tests.support import reference

RUNGS = ("consultation", "co_commissioning", "co_design", "co_delivery", "co_assessment")
NAN = math.nan


def agreement(link_id: str, domain: str, rung: str) -> Item:
    return Item(
        link_id=link_id,
        concept=f"c.{link_id}",
        type="agreement",
        text=link_id,
        domain=domain,
        rung=rung,
    )


def questionnaire(
    items: list[Item], domains: tuple[str, ...] = ("governance",), threshold: float = 0.75
) -> Questionnaire:
    return Questionnaire(
        key="test",
        version=1,
        title="Test",
        status="published",
        audiences=("staff", "patient_leader"),
        threshold=threshold,
        rungs=tuple(Rung(key=k, label=k) for k in RUNGS),
        domains=tuple(Domain(key=d, title=d) for d in domains),
        items=tuple(items),
    )


def one_domain_model(item_rungs: list[int], threshold: float = 0.75) -> ScoringModel:
    return ScoringModel(
        item_domain=np.zeros(len(item_rungs), dtype=np.int64),
        item_rung=np.array(item_rungs),
        n_domains=1,
        n_rungs=5,
        threshold=threshold,
    )


# --------------------------------------------------------------------------- worked example

WORKED = questionnaire(
    [
        agreement("g1a", "governance", "consultation"),
        agreement("g1b", "governance", "consultation"),
        Item(link_id="note", concept="c.note", type="text", text="Anything else?"),
        agreement("g2", "governance", "co_commissioning"),
        agreement("g3", "governance", "co_design"),
        agreement("g4", "governance", "co_delivery"),
        agreement("g5", "governance", "co_assessment"),
    ]
)


def test_worked_example_of_the_spec() -> None:
    answers = {
        "g1a": "agree",
        "g1b": "strongly_agree",
        "note": "free text",
        "g2": "agree",
        "g3": "neutral",
        "g4": "strongly_agree",
        "g5": "dont_know",
    }
    values = encode_answers(WORKED, [answers])
    np.testing.assert_array_equal(values, [[3, 4, 3, 2, 4, NAN]])
    scores = score_respondents(values, ScoringModel.from_questionnaire(WORKED))
    # a = (0.75 + 1) / 2, 0.75, 0.5, 1.0, undefined
    np.testing.assert_array_equal(scores.attainment[0, 0], [0.875, 0.75, 0.5, 1.0, NAN])
    # Rungs 1 and 2 met (0.75 >= 0.75 counts), rung 3 not: L = 2; rung 4 does not count.
    assert scores.domain_levels[0, 0] == 2
    # s = 2 + 0.5 / 0.75
    assert scores.domain_scores[0, 0] == pytest.approx(2.666667, abs=1e-6)
    assert scores.domain_scores[0, 0] == pytest.approx(2 + 0.5 / 0.75, abs=1e-12)
    assert scores.overall[0] == scores.domain_scores[0, 0]


def test_model_from_questionnaire_uses_scored_items_in_order() -> None:
    q = questionnaire(
        [
            agreement("a", "insight", "co_design"),
            Item(link_id="t", concept="c.t", type="text", text="t"),
            agreement("b", "governance", "consultation"),
            agreement("c", "insight", "co_assessment"),
        ],
        domains=("governance", "insight"),
        threshold=0.8,
    )
    model = ScoringModel.from_questionnaire(q)
    np.testing.assert_array_equal(model.item_domain, [1, 0, 1])
    np.testing.assert_array_equal(model.item_rung, [3, 1, 5])
    assert (model.n_domains, model.n_rungs, model.threshold) == (2, 5, 0.8)
    # one column per (domain, rung), row d * R + r - 1; 3 (= n_items) pads the empty ones
    want = np.full((10, 1), 3)
    want[[7, 0, 9], 0] = [0, 1, 2]
    np.testing.assert_array_equal(model.gather, want)


def test_model_gathers_several_items_per_rung_and_tabulates_levels() -> None:
    model = ScoringModel(np.array([0, 0, 0, 0]), np.array([2, 1, 2, 2]), 1, 3, 0.75)
    np.testing.assert_array_equal(model.gather, [[1, 4, 4], [0, 2, 3], [4, 4, 4]])
    # bit r-1 set when rung r is met: 0b011 -> 2, 0b101 -> 1, 0b110 -> 0, 0b111 -> 3
    np.testing.assert_array_equal(model.level_of_code, [0, 1, 0, 2, 0, 1, 0, 3])


def test_model_rejects_items_outside_the_ladder() -> None:
    with pytest.raises(ValueError):
        ScoringModel(np.array([0]), np.array([6]), 1, 5, 0.75)
    with pytest.raises(ValueError):
        ScoringModel(np.array([1]), np.array([1]), 1, 5, 0.75)
    with pytest.raises(ValueError):
        ScoringModel(np.array([0]), np.array([1]), 1, engine.MAX_RUNGS + 1, 0.75)
    with pytest.raises(ValueError):
        ScoringModel(np.array([0]), np.array([1]), 1, 5, 0.0)


# --------------------------------------------------------------------------- encoding


def test_encoding_maps_options_and_treats_everything_else_as_unanswered() -> None:
    answers = [
        {
            "g1a": "strongly_disagree",
            "g1b": "disagree",
            "g2": "neutral",
            "g3": "agree",
            "g4": "strongly_agree",
            "g5": "dont_know",
        },
        {"g1a": "maybe", "g1b": None, "g2": 3, "note": "agree"},  # type: ignore[dict-item]
        {},
    ]
    values = encode_answers(WORKED, answers)
    np.testing.assert_array_equal(
        values,
        [[0, 1, 2, 3, 4, NAN], [NAN] * 6, [NAN] * 6],
    )
    assert values.dtype == np.float64


#: WORKED as a version 3 that offers "This does not happen here" on its agreement items.
NOT_HAPPENING_Q = replace(
    WORKED,
    version=3,
    not_happening=True,
    items=tuple(replace(i, not_happening=i.scored) for i in WORKED.items),
)


def test_not_happening_is_zero_where_offered_and_unanswered_elsewhere() -> None:
    answers = [{"g1a": "not_happening", "g1b": "strongly_disagree", "g2": "dont_know"}]
    np.testing.assert_array_equal(
        encode_answers(NOT_HAPPENING_Q, answers), [[0, 0, NAN, NAN, NAN, NAN]]
    )
    # A version that does not offer it (v1, v2) never scores it.
    np.testing.assert_array_equal(encode_answers(WORKED, answers), [[NAN, 0, NAN, NAN, NAN, NAN]])
    assert "not_happening" in NOT_HAPPENING_Q.item("g1a").option_keys()
    assert "not_happening" not in WORKED.item("g1a").option_keys()
    assert "not_happening" not in NOT_HAPPENING_Q.item("note").option_keys()


def test_not_happening_counts_against_a_rung_where_dont_know_does_not() -> None:
    """Rung 1: agree (0.75) and "This does not happen here" (0): a = 0.375, not met, so
    L = 0 and s = 0.375 / 0.75 = 0.5. With "don't know" instead, a = 0.75 (agree alone):
    rung 1 is met; rung 2 agree (0.75) is met too; rung 3 neutral (0.5) is not: L = 2 and
    s = 2 + 0.5 / 0.75 = 2.666667."""
    model = ScoringModel.from_questionnaire(NOT_HAPPENING_Q)
    base = {"g1a": "agree", "g2": "agree", "g3": "neutral"}
    rows = [{**base, "g1b": "not_happening"}, {**base, "g1b": "dont_know"}]
    scores = score_respondents(encode_answers(NOT_HAPPENING_Q, rows), model)
    assert scores.attainment[0, 0, 0] == pytest.approx(0.375)
    assert scores.domain_levels[:, 0].tolist() == [0, 2]
    assert scores.domain_scores[0, 0] == pytest.approx(0.5)
    assert scores.domain_scores[1, 0] == pytest.approx(2 + 0.5 / 0.75)


OPTION_KEYS = [
    "strongly_disagree", "disagree", "neutral", "agree", "strongly_agree", "dont_know",
    "not_happening", "maybe",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(OPTION_KEYS), min_size=6, max_size=6), max_size=30),
    st.booleans(),
)
def test_encoded_answers_score_as_the_reference_does(rows: list[list[str]], offered: bool) -> None:
    """From option keys to scores: the engine after `encode_answers` agrees with the
    reference reading each key with `answer_value`."""
    q = NOT_HAPPENING_Q if offered else WORKED
    link_ids = [i.link_id for i in q.scored_items]
    answers = [dict(zip(link_ids, row, strict=True)) for row in rows]
    model = ScoringModel.from_questionnaire(q)
    got = score_respondents(encode_answers(q, answers), model)
    for i, row in enumerate(rows):
        want = reference.score_respondent(
            [reference.answer_value(key, offered) for key in row],
            model.item_domain.tolist(),
            model.item_rung.tolist(),
            model.n_domains,
            model.n_rungs,
            model.threshold,
        )
        expected = NAN if want.scores[0] is None else want.scores[0]
        np.testing.assert_allclose(got.domain_scores[i, 0], expected, rtol=0, atol=1e-9)


PROFILE_ANSWERS = [
    # rung 1: (0.75 + 0) / 2 = 0.375, not met; rung 2 agree: met above an unmet rung 1.
    {"g1a": "agree", "g1b": "not_happening", "g2": "agree"},
    # rung 1 undefined (both "don't know"); rung 2 met; rung 3 neutral (0.5), not met.
    {"g1a": "dont_know", "g1b": "dont_know", "g2": "strongly_agree", "g3": "neutral"},
    # every rung agreed: all met.
    {link_id: "agree" for link_id in ("g1a", "g1b", "g2", "g3", "g4", "g5")},
]


def test_rung_profile_counts_on_hand_computed_answers() -> None:
    """met / defined per rung: 1/2, 3/3, 1/2, 1/1, 1/1."""
    model = ScoringModel.from_questionnaire(NOT_HAPPENING_Q)
    scores = score_respondents(encode_answers(NOT_HAPPENING_Q, PROFILE_ANSWERS), model)
    counts = engine.rung_profile_counts(scores, model.threshold)
    assert counts.met.tolist() == [[1, 3, 1, 1, 1]]
    assert counts.defined.tolist() == [[2, 3, 2, 1, 1]]
    # The levels count from the bottom up: 0 and 5, although rung 2 is met by all three; the
    # second respondent answered 2 of 6 shown items, fewer than half: no score (rule set 2),
    # though the profile still counts their rungs.
    assert scores.domain_levels[:, 0].tolist() == [0, -1, 5]


def test_answer_kind_counts_on_hand_computed_answers() -> None:
    dont_know, absent = answer_kind_counts(NOT_HAPPENING_Q, PROFILE_ANSWERS)
    assert dont_know.tolist() == [1, 1, 0, 0, 0, 0]
    assert absent.tolist() == [0, 1, 0, 0, 0, 0]
    # A version that does not offer it never counts it.
    assert answer_kind_counts(WORKED, PROFILE_ANSWERS)[1].tolist() == [0] * 6


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(OPTION_KEYS), min_size=6, max_size=6), max_size=30),
    st.booleans(),
)
def test_answer_kinds_agree_with_reference(rows: list[list[str]], offered: bool) -> None:
    q = NOT_HAPPENING_Q if offered else WORKED
    link_ids = [i.link_id for i in q.scored_items]
    answers = [dict(zip(link_ids, row, strict=True)) for row in rows]
    dont_know, absent = answer_kind_counts(q, answers)
    assert (dont_know.tolist(), absent.tolist()) == reference.answer_profile(
        answers, link_ids, offered
    )


def test_encoding_only_keeps_the_named_items() -> None:
    answers = [{"g1a": "agree", "g1b": "agree", "g2": "agree", "g3": "agree"}]
    values = encode_answers(WORKED, answers, only={"g1b", "g3", "not-an-item"})
    np.testing.assert_array_equal(values, [[NAN, 3, NAN, 3, NAN, NAN]])
    assert encode_answers(WORKED, [], only=None).shape == (0, 6)


# --------------------------------------------------------------------------- rules


def score_one(row: list[float], item_rungs: list[int], threshold: float = 0.75):
    scores = score_respondents(
        np.array([row], dtype=float), one_domain_model(item_rungs, threshold)
    )
    return scores.domain_levels[0, 0], scores.domain_scores[0, 0], scores.attainment[0, 0]


def test_undefined_rung_one_gives_level_zero_and_score_zero() -> None:
    # Rung 1 only "don't know"; rungs 2 and 3 fully agreed: nothing is evidenced from the bottom.
    level, score, attainment = score_one([NAN, 4, 4], [1, 2, 3])
    assert (level, score) == (0, 0.0)
    assert math.isnan(attainment[0])


def test_undefined_rung_above_met_ones_ends_the_level_without_a_partial() -> None:
    # Rung 1 met (0.75), rung 2 only "don't know", rung 3 met: L = 1, second term 0.
    level, score, _ = score_one([3, NAN, 4], [1, 2, 3])
    assert (level, score) == (1, 1.0)


def test_met_rung_above_an_unmet_one_does_not_count() -> None:
    # Rung 1 at 0.5 (unmet); rungs 2..5 at 1.0: L = 0, s = 0.5 / 0.75.
    level, score, _ = score_one([2, 4, 4, 4, 4], [1, 2, 3, 4, 5])
    assert level == 0
    assert score == pytest.approx(2 / 3, abs=1e-12)


def test_all_rungs_met_scores_exactly_r() -> None:
    level, score, _ = score_one([3, 4, 3, 3, 4, 4], [1, 1, 2, 3, 4, 5])
    assert (level, score) == (5, 5.0)


def test_threshold_is_compared_after_rounding_to_nine_decimals() -> None:
    # threshold 0.7 + 4e-10 rounds to 0.7; attainment (3+3+3+3+2)/(4*5) = 0.7 meets it.
    level, score, _ = score_one([3, 3, 3, 3, 2, 0], [1, 1, 1, 1, 1, 2], threshold=0.7 + 4e-10)
    assert level == 1
    assert score == 1.0


def test_unanswered_domain_has_no_score_and_is_left_out_of_overall() -> None:
    model = ScoringModel(
        item_domain=np.array([0, 0, 1, 1, 2]),
        item_rung=np.array([1, 2, 1, 2, 1]),
        n_domains=3,
        n_rungs=5,
        threshold=0.75,
    )
    values = np.array(
        [
            [4, 1, NAN, NAN, 0],  # domain 0: L=1, s = 1 + 0.25/0.75; domain 1 none; domain 2: 0
            [NAN, NAN, NAN, NAN, NAN],  # nothing answered at all
        ]
    )
    scores = score_respondents(values, model)
    np.testing.assert_array_equal(scores.domain_levels, [[1, -1, 0], [-1, -1, -1]])
    assert scores.domain_scores[0, 0] == pytest.approx(4 / 3, abs=1e-12)
    assert math.isnan(scores.domain_scores[0, 1])
    assert scores.domain_scores[0, 2] == 0.0
    # (4/3 + 0) / 2, not divided by 3.
    assert scores.overall[0] == pytest.approx(2 / 3, abs=1e-12)
    assert np.isnan(scores.domain_scores[1]).all()
    assert math.isnan(scores.overall[1])
    assert np.isnan(scores.attainment[1]).all()


def test_no_respondents() -> None:
    scores = score_respondents(np.empty((0, 3)), one_domain_model([1, 2, 3]))
    assert scores.attainment.shape == (0, 1, 5)
    assert scores.overall.shape == (0,)


def test_values_must_match_the_model() -> None:
    model = one_domain_model([1, 2, 3])
    with pytest.raises(ValueError):
        score_respondents(np.zeros((2, 4)), model)
    for bad in (5.0, -1.0, math.inf):
        with pytest.raises(ValueError):
            score_respondents(np.array([[NAN, 3.0, bad]]), model)
    assert math.isnan(score_respondents(np.full((1, 3), NAN), model).overall[0])


def test_level_of() -> None:
    np.testing.assert_array_equal(
        level_of(np.array([0.0, 0.999, 2.9999999999, 3.0, 5.0, 7.2, NAN]), 5),
        [0, 0, 3, 3, 5, 5, -1],
    )
    assert level_of(2.5, 5) == 2
    assert level_of(NAN, 5) == -1
    assert level_of(np.array([[1.5]]), 3).shape == (1, 1)


def test_blocks_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    model, values = random_campaign(np.random.default_rng(3), 50)
    whole = score_respondents(values, model)
    monkeypatch.setattr(engine, "BLOCK_ROWS", 7)
    blocked = score_respondents(values, model)
    for name in ("attainment", "domain_levels", "domain_scores", "overall"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))


# --------------------------------------------------------------------------- properties

THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 1.0)


def random_campaign(
    rng: np.random.Generator, n_resp: int, threshold: float | None = None
) -> tuple[ScoringModel, np.ndarray]:
    n_domains = int(rng.integers(1, 5))
    n_rungs = int(rng.integers(1, 7))
    # every (domain, rung) evidenced by 1..3 items, in shuffled column order
    cells = [(d, r) for d in range(n_domains) for r in range(1, n_rungs + 1)]
    columns = [cell for cell in cells for _ in range(int(rng.integers(1, 4)))]
    order = rng.permutation(len(columns))
    model = ScoringModel(
        item_domain=np.array([columns[i][0] for i in order]),
        item_rung=np.array([columns[i][1] for i in order]),
        n_domains=n_domains,
        n_rungs=n_rungs,
        threshold=threshold if threshold is not None else float(rng.choice(THRESHOLDS)),
    )
    # skew towards agreement so that high levels are reached, with plenty of gaps
    values = rng.choice(5, size=(n_resp, len(columns)), p=[0.05, 0.1, 0.15, 0.35, 0.35])
    values = values.astype(float)
    values[rng.random(values.shape) < float(rng.choice([0.0, 0.1, 0.4, 0.8]))] = NAN
    return model, values


def reference_scores(values: np.ndarray, model: ScoringModel) -> list[reference.RespondentResult]:
    return [
        reference.score_respondent(
            [None if math.isnan(v) else float(v) for v in row],
            model.item_domain.tolist(),
            model.item_rung.tolist(),
            model.n_domains,
            model.n_rungs,
            model.threshold,
        )
        for row in values
    ]


def assert_matches_reference(values: np.ndarray, model: ScoringModel) -> None:
    got = score_respondents(values, model)
    for i, want in enumerate(reference_scores(values, model)):

        def arr(xs):
            return np.array([NAN if x is None else x for x in xs], dtype=float)

        np.testing.assert_allclose(
            got.attainment[i], np.array([arr(row) for row in want.attainment]), rtol=0, atol=1e-9
        )
        np.testing.assert_array_equal(
            got.domain_levels[i], [-1 if x is None else x for x in want.levels]
        )
        np.testing.assert_allclose(got.domain_scores[i], arr(want.scores), rtol=0, atol=1e-9)
        np.testing.assert_allclose(got.overall[i], arr([want.overall])[0], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_engine_agrees_with_reference_on_random_campaigns(seed: int) -> None:
    model, values = random_campaign(np.random.default_rng(seed), 300)
    assert_matches_reference(values, model)


campaigns = st.builds(
    lambda seed, n: random_campaign(np.random.default_rng(seed), n),
    st.integers(0, 2**32 - 1),
    st.integers(0, 40),
)


@settings(max_examples=60, deadline=None)
@given(campaigns)
def test_engine_agrees_with_reference_property(campaign) -> None:
    assert_matches_reference(campaign[1], campaign[0])


@settings(max_examples=100, deadline=None)
@given(campaigns)
def test_floor_of_score_is_level(campaign) -> None:
    model, values = campaign
    scores = score_respondents(values, model)
    has = ~np.isnan(scores.domain_scores)
    np.testing.assert_array_equal(has, scores.domain_levels >= 0)
    np.testing.assert_array_equal(
        level_of(scores.domain_scores, model.n_rungs), scores.domain_levels
    )
    assert ((scores.domain_scores[has] >= 0) & (scores.domain_scores[has] <= model.n_rungs)).all()


@settings(max_examples=60, deadline=None)
@given(campaigns, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(campaign, rnd) -> None:
    model, values = campaign
    order = list(range(values.shape[0]))
    rnd.shuffle(order)
    straight = score_respondents(values, model)
    shuffled = score_respondents(values[order], model)
    for name in ("attainment", "domain_levels", "domain_scores", "overall"):
        np.testing.assert_array_equal(getattr(shuffled, name), getattr(straight, name)[order])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.just(10)),
        elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0, NAN]),
    ),
    st.sampled_from(THRESHOLDS),
)
def test_arbitrary_answer_matrices(values: np.ndarray, threshold: float) -> None:
    model = ScoringModel(
        item_domain=np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
        item_rung=np.array([1, 2, 3, 4, 5, 1, 1, 2, 2, 3]),
        n_domains=2,
        n_rungs=5,
        threshold=threshold,
    )
    assert_matches_reference(values, model)


def test_engine_packages_import_only_numpy_scipy_the_definition_and_disclosure() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "assessor"
    allowed = (
        "numpy",
        "scipy",
        "assessor.scoring",
        "assessor.benchmarking",
        "assessor.questionnaires.definition",
        # pure numpy too, and the one place that decides what is shown
        "assessor.disclosure",
        "__future__",
        "dataclasses",
        "typing",
        "collections",
        "itertools",
        "math",
    )
    for package in ("scoring", "benchmarking"):
        for path in (root / package).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    assert name.split(".")[0] in allowed or name.startswith(allowed), (path, name)


@settings(max_examples=60, deadline=None)
@given(campaigns)
def test_rung_profile_agrees_with_reference(campaign) -> None:
    model, values = campaign
    got = engine.rung_profile_counts(score_respondents(values, model), model.threshold)
    met, defined = reference.rung_profile(reference_scores(values, model), model.threshold)
    if values.shape[0]:
        assert got.met.tolist() == met and got.defined.tolist() == defined
    else:
        assert got.met.sum() == 0 and got.defined.sum() == 0
