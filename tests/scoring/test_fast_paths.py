"""The engine's fast paths (issue 18) give the numbers of its earlier formulation
(tests/support/engine_before.py) to the last bit: one item per (domain, rung), in order or
not, several items per (domain, rung), every kind of `shown`, rule sets 1 and 2; and the
single comparison with `met_from` decides as rounding both sides to 9 decimals did."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assessor.scoring import engine
from assessor.scoring.engine import COMPARE_DECIMALS, ScoringModel, met_from, score_respondents
from tests.support import engine_before

NAN = math.nan
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 1.0, 0.7 + 4e-10, 0.75 - 4e-10, 0.6000000005)
FIELDS = ("attainment", "domain_levels", "domain_scores", "overall")


def campaign(
    seed: int, one_each: bool, in_order: bool, shown_kind: str, share: float, halves: bool
) -> tuple[ScoringModel, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    n_domains, n_rungs = int(rng.integers(1, 7)), int(rng.integers(1, 8))
    cells = [(d, r) for d in range(n_domains) for r in range(1, n_rungs + 1)]
    per_cell = np.ones(len(cells), dtype=int) if one_each else rng.integers(0, 4, len(cells))
    if not one_each and (per_cell == 1).all():
        per_cell[0] = 2  # not one item in every (domain, rung): the packed path
    columns = [c for c, m in zip(cells, per_cell.tolist(), strict=True) for _ in range(m)]
    order = np.arange(len(columns)) if in_order else rng.permutation(len(columns))
    model = ScoringModel(
        item_domain=np.array([columns[i][0] for i in order], dtype=np.int64),
        item_rung=np.array([columns[i][1] for i in order], dtype=np.int64),
        n_domains=n_domains,
        n_rungs=n_rungs,
        threshold=float(rng.choice(THRESHOLDS)),
        min_answered_share=share,
    )
    n = int(rng.integers(1, 2600))  # several blocks
    values = rng.choice(9 if halves else 5, size=(n, len(columns))) / (2.0 if halves else 1.0)
    values[rng.random(values.shape) < float(rng.choice([0.0, 0.1, 0.4, 0.9]))] = NAN
    shown = None
    if shown_kind == "row":
        shown = rng.random(len(columns)) < 0.8
        values[:, ~shown] = NAN
    elif shown_kind == "each":
        shown = rng.random(values.shape) < 0.8
        values[~shown] = NAN
    return model, values, shown


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["none", "row", "each"]),
    st.sampled_from([0.5, 0.0, 0.3]),
    st.booleans(),
)
def test_fast_paths_give_the_earlier_numbers_to_the_last_bit(
    seed: int, one_each: bool, in_order: bool, shown_kind: str, share: float, halves: bool
) -> None:
    model, values, shown = campaign(seed, one_each, in_order, shown_kind, share, halves)
    assert (model.cell_column is not None) == one_each
    got = score_respondents(values, model, shown)
    want = engine_before.score_respondents(values, model, shown)
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_any_value_in_range_agrees_with_the_earlier_formulation(seed: int, one_each: bool) -> None:
    """On values the encoder never produces (not quarters of 0..4), the single-item path is
    exact where the packed one rounded each contribution to 2**-42: equal to 1e-12."""
    model, values, shown = campaign(seed, one_each, False, "none", 0.5, False)
    rng = np.random.default_rng(seed)
    values = np.where(np.isnan(values), NAN, rng.uniform(0.0, 4.0, values.shape))
    got = score_respondents(values, model, shown)
    want = engine_before.score_respondents(values, model, shown)
    for name in FIELDS:
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.sampled_from(THRESHOLDS), st.floats(1e-12, 1.0)),
    st.lists(st.floats(0.0, 1.0), max_size=20),
    st.integers(-3, 3),
)
def test_met_from_decides_as_rounding_both_sides(
    threshold: float, others: list[float], step: int
) -> None:
    cutoff = met_from(threshold)
    near = cutoff
    for _ in range(abs(step)):
        near = np.nextafter(near, 2.0 if step > 0 else -1.0)
    a = np.array([cutoff, np.nextafter(cutoff, -1.0), near, threshold, 0.0, 1.0, *others])
    a = a[a >= 0]
    np.testing.assert_array_equal(
        a >= cutoff, np.round(a, COMPARE_DECIMALS) >= round(threshold, COMPARE_DECIMALS)
    )


def test_met_from_on_the_shipped_threshold() -> None:
    # round(a, 9) >= 0.75 from 0.7499999995 on (it rounds up), and not just below it.
    cutoff = met_from(0.75)
    assert cutoff == 0.7499999995
    assert np.round(cutoff, 9) == 0.75
    assert np.round(np.nextafter(cutoff, 0.0), 9) < 0.75


def test_one_item_per_cell_is_read_directly() -> None:
    in_order = ScoringModel(np.array([0, 0, 1, 1]), np.array([1, 2, 1, 2]), 2, 2, 0.75)
    assert in_order.cell_column is not None and in_order.cell_column.tolist() == [0, 1, 2, 3]
    shuffled = ScoringModel(np.array([1, 0, 1, 0]), np.array([2, 1, 1, 2]), 2, 2, 0.75)
    assert shuffled.cell_column is not None and shuffled.cell_column.tolist() == [1, 3, 2, 0]
    # an empty (domain, rung), or two items in one, take the packed path
    assert ScoringModel(np.array([0, 0]), np.array([1, 1]), 1, 2, 0.75).cell_column is None
    assert ScoringModel(np.array([0]), np.array([1]), 1, 2, 0.75).cell_column is None


def test_block_size_does_not_matter_on_either_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for one_each in (True, False):
        model, values, shown = campaign(7, one_each, False, "each", 0.5, False)
        whole = score_respondents(values, model, shown)
        monkeypatch.setattr(engine, "BLOCK_ROWS", 5)
        blocked = score_respondents(values, model, shown)
        monkeypatch.undo()
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))
