"""Cell statistics, comparisons, group benchmarks and funnels (scoring.md s.3 to s.5) on
hand-computed numbers, properties that no suppressed value leaks, and agreement with the
plain-Python reference in tests/support/reference.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessor import benchmarking
from assessor.benchmarking import (
    CellSummary,
    Comparison,
    funnel_from_cells,
    funnel_from_values,
    group_statistics,
    percentile_ranks,
)
from assessor.benchmarking.cells import sample_variance
from tests.support import reference

NAN = math.nan
approx = pytest.approx
#: The shipped ladder's R: scores lie on [0, 5], gaps and trends on [-5, 5].
R = 5


def summarise_cells(n, total, total_sq, k: int) -> CellSummary:
    return benchmarking.summarise_cells(n, total, total_sq, k, R)


def combine(staff: CellSummary, patient: CellSummary) -> Comparison:
    return benchmarking.combine(staff, patient, R)


def gap(staff: CellSummary, patient: CellSummary) -> Comparison:
    return benchmarking.gap(staff, patient, R)


def delta(now: CellSummary, before: CellSummary) -> Comparison:
    return benchmarking.delta(now, before, R)


def delta_combined(now: Comparison, before: Comparison) -> Comparison:
    return benchmarking.delta_combined(now, before, R)


def stats_of(cells: list[list[float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sufficient statistics (n, sum, sum of squares) of each cell's values, summed in order
    as the results service does."""
    n = np.array([len(v) for v in cells], dtype=np.int64)
    total = np.array([sum(v) for v in cells], dtype=float)
    total_sq = np.array([sum(x * x for x in v) for v in cells], dtype=float)
    return n, total, total_sq


def summary(cells: list[list[float]], k: int = 5) -> CellSummary:
    return summarise_cells(*stats_of(cells), k)


STAFF = [2, 3, 4, 3, 3]  # n 5, sum 15, mean 3, sum sq 47, var (47 - 45) / 4 = 0.5
PATIENT = [1, 2, 2, 3, 2, 2]  # n 6, sum 12, mean 2, sum sq 26, var (26 - 24) / 5 = 0.4


# --------------------------------------------------------------------------- one cell


def test_cell_mean_sd_and_bounded_interval() -> None:
    c = summary([STAFF])
    assert c.n[0] == 5 and c.shown[0]
    assert c.mean[0] == 3.0
    assert c.sd[0] == approx(math.sqrt(0.5), abs=1e-12)
    assert c.se[0] == approx(math.sqrt(0.1), abs=1e-12)
    # y = 0.6, e = 0.316228 / 5 = 0.063246, n_eff = 0.24 / 0.004 = 60; q = t(0.975, 4) =
    # 2.776445, q^2 = 7.708647; 1 + q^2 / 60 = 1.128477; c = (0.6 + 0.064239) / 1.128477 =
    # 0.588612; h = 2.776445 * sqrt(0.004 + 0.000535323) / 1.128477 = 0.165692;
    # ci = 5 * [0.422923, 0.754306]
    assert c.ci_low[0] == approx(2.114617, abs=1e-6)
    assert c.ci_high[0] == approx(3.771533, abs=1e-6)


def test_the_worked_cases_of_the_bounded_interval() -> None:
    """scoring.md s.3: three scores of 0 give [0, 4.30]; 2.6, 4.2, 4.36 give [1.29, 4.80]
    where the t interval was [1.30, 6.14]."""
    zeros = summarise_cells(*stats_of([[0, 0, 0]]), 3)
    # y = 0, n_eff = n = 3, q = t(0.975, 2) = 4.302653: c = h = (q^2 / 6) / (1 + q^2 / 3)
    assert zeros.ci_low[0] == approx(0.0, abs=1e-12)
    assert zeros.ci_high[0] == approx(4.302741, abs=1e-6)
    spread = summarise_cells(*stats_of([[2.6, 4.2, 4.36]]), 3)
    assert spread.ci_low[0] == approx(1.293830, abs=1e-6)
    assert spread.ci_high[0] == approx(4.801543, abs=1e-6)


def test_suppression_at_k_minus_one_and_k() -> None:
    c = summary([[3, 4, 2, 3], [3, 4, 2, 3, 3]], k=5)
    np.testing.assert_array_equal(c.shown, [False, True])
    np.testing.assert_array_equal(c.n, [4, 5])  # the count stays visible
    for field in ("mean", "sd", "se", "ci_low", "ci_high"):
        value = getattr(c, field)
        assert math.isnan(value[0]), field
        assert not math.isnan(value[1]), field
    # the engine takes any k >= 1 (the service never goes below 5): three are enough at 3
    c3 = summary([[1, 2], [1, 2, 3]], k=3)
    np.testing.assert_array_equal(c3.shown, [False, True])
    assert c3.mean[1] == 2.0


def test_zero_variance_cell_has_an_interval_of_width_above_zero() -> None:
    c = summary([[2, 2, 2, 2, 2]])
    assert (c.sd[0], c.se[0]) == (0.0, 0.0)
    # y = 0.4, n_eff = n = 5, q = t(0.975, 4) = 2.776445, q^2 / 5 = 1.541729:
    # c = (0.4 + 0.770865) / 2.541729 = 0.460650; h = q * sqrt(0.048 + 0.077086) / 2.541729
    # = 0.386324; ci = 5 * [0.074326, 0.846974]
    assert c.ci_low[0] == approx(0.371605, abs=1e-6)
    assert c.ci_high[0] == approx(4.234962, abs=1e-6)


@pytest.mark.parametrize("x", [8 / 3, 0.1, 4 / 3 + 1 / 7, 2.2, 4.866666666666667])
def test_equal_values_give_exactly_zero_variance_despite_cancellation(x: float) -> None:
    c = summary([[x] * n for n in range(3, 400)], k=3)
    assert (c.sd == 0).all()
    assert (c.ci_low < c.mean).all() and (c.mean < c.ci_high).all()
    assert (c.ci_low >= 0).all() and (c.ci_high <= R).all()
    np.testing.assert_allclose(c.mean, x, rtol=1e-13)


def test_snap_needed_and_genuine_small_variances_survive() -> None:
    cells = [[8 / 3] * n for n in range(3, 400)]
    n, total, total_sq = stats_of(cells)
    assert np.any((total_sq - total**2 / n) != 0)  # the cancellation is real
    # one respondent differing by 0.001 among 1000 scores near 2.67: var = 1e-6 / 1000 * 0.999
    values = [8 / 3] * 999 + [8 / 3 + 0.001]
    var = sample_variance(*[np.array(s) for s in stats_of([values])])
    assert var[0] == approx(1e-9, rel=1e-3)


def test_variance_is_undefined_below_two_and_k_must_be_positive() -> None:
    assert math.isnan(sample_variance(np.array([1]), np.array([2.0]), np.array([4.0]))[0])
    c = summarise_cells(np.array([1]), np.array([2.0]), np.array([4.0]), 1)
    assert c.shown[0] and c.mean[0] == 2.0 and math.isnan(c.sd[0]) and math.isnan(c.ci_low[0])
    with pytest.raises(ValueError):
        summarise_cells(np.array([1]), np.array([2.0]), np.array([4.0]), 0)


def test_cells_work_on_two_dimensional_arrays() -> None:
    n, total, total_sq = stats_of([STAFF, PATIENT, [1, 1], [4, 4, 4, 4, 4]])
    c = summarise_cells(n.reshape(2, 2), total.reshape(2, 2), total_sq.reshape(2, 2), 5)
    np.testing.assert_array_equal(c.shown, [[True, True], [False, True]])
    np.testing.assert_array_equal(c.mean, [[3.0, 2.0], [NAN, 4.0]])


# --------------------------------------------------------------------------- combined and gap


def test_combined_weighs_staff_and_patient_leaders_equally_with_welch() -> None:
    c = combine(summary([STAFF]), summary([PATIENT]))
    # score = (3 + 2) / 2 = 2.5, whatever the sizes 5 and 6
    assert c.value[0] == 2.5
    # v_s = 0.5 / 5 = 1/10, v_p = 0.4 / 6 = 1/15, v_s + v_p = 1/6
    # se = sqrt(1/6) / 2 = 0.204124
    assert c.se[0] == approx(math.sqrt(1 / 6) / 2, abs=1e-12)
    # df = (1/6)^2 / ((1/10)^2 / 4 + (1/15)^2 / 5) = (1/36) / (61/18000) = 500/61 = 8.196721
    assert c.df[0] == approx(500 / 61, abs=1e-12)
    # bounded on (2.5, se, 500/61): y = 0.5, e = 0.040825, n_eff = 0.25 / 0.0016667 = 150,
    # q = 2.296406, q^2 = 5.273479, 1 + q^2 / 150 = 1.035157; c = 0.5 (symmetric at y = 0.5);
    # h = q * sqrt(1/600 + 5.273479 / 90000) / 1.035157 = 0.092155
    assert c.ci_low[0] == approx(2.039277, abs=1e-6)
    assert c.ci_high[0] == approx(2.960723, abs=1e-6)
    assert c.shown[0] and c.reason[0] is None and not c.significant[0]


def test_combined_is_not_weighted_by_size() -> None:
    big_staff = summary([[4] * 50 + [3] * 50])  # mean 3.5
    few_patients = summary([[1, 1, 2, 1, 0]])  # mean 1.0
    assert combine(big_staff, few_patients).value[0] == 2.25


def test_gap_significant() -> None:
    g = gap(summary([STAFF]), summary([PATIENT]))
    # 3 - 2 = 1; se = sqrt(1/6) = 0.408248; df 500/61; 1 -/+ 2.296406 * 0.408248
    assert g.value[0] == 1.0
    assert g.se[0] == approx(math.sqrt(1 / 6), abs=1e-12)
    assert g.ci_low[0] == approx(0.062496, abs=1e-6)
    assert g.ci_high[0] == approx(1.937504, abs=1e-6)
    assert g.significant[0]


def test_gap_not_significant() -> None:
    # patient [2,3,2,3,3]: mean 2.6, var (35 - 33.8) / 4 = 0.3, v_p = 0.06; v_s = 0.1
    # gap 0.4, se = sqrt(0.16) = 0.4, df = 0.0256 / (0.01/4 + 0.0036/4) = 7.529412
    # t(0.975, 7.529412) = 2.331334: 0.4 -/+ 0.932533 = [-0.532533, 1.332533]
    g = gap(summary([STAFF]), summary([[2, 3, 2, 3, 3]]))
    assert g.value[0] == approx(0.4, abs=1e-12)
    assert g.df[0] == approx(0.0256 / 0.0034, abs=1e-9)
    assert g.ci_low[0] == approx(-0.532533, abs=1e-6)
    assert g.ci_high[0] == approx(1.332533, abs=1e-6)
    assert not g.significant[0]


def test_zero_variance_gaps_are_point_intervals_significant_iff_nonzero() -> None:
    staff = summary([[3] * 5, [3] * 5, [8 / 3] * 7])
    patient = summary([[2] * 6, [3] * 5, [8 / 3] * 9])
    g = gap(staff, patient)
    assert (g.se == 0).all()
    assert np.isnan(g.df).all()  # both variances 0: Welch's df is undefined, and not needed
    np.testing.assert_array_equal(g.ci_low, g.value)
    np.testing.assert_array_equal(g.ci_high, g.value)
    np.testing.assert_array_equal(g.value, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(g.significant, [True, False, False])
    c = combine(staff, patient)
    # se 0: df = n_s + n_p - 2 and n_eff = n_s + n_p; first cell 2.5 on 11 respondents
    np.testing.assert_array_equal(c.value, [2.5, 3.0, 8 / 3])
    assert (c.ci_low[0], c.ci_high[0]) == (approx(1.091308, abs=1e-6), approx(3.908692, abs=1e-6))
    assert (c.ci_low < c.value).all() and (c.value < c.ci_high).all()


def test_gap_and_trend_intervals_are_clipped_to_the_ladder() -> None:
    """staff [5, 5, 5, 5, 0]: mean 4, var (100 - 80) / 4 = 5, v = 1; patient leaders
    [0, 0, 0, 0, 5]: mean 1, v = 1. Gap 3, se sqrt(2) = 1.414214, df 4 / (1/4 + 1/4) = 8,
    t = 2.306004: 3 -/+ 3.261182 = [-0.261182, 6.261182], cut to [-0.261182, 5]."""
    staff, patient = summary([[5, 5, 5, 5, 0]]), summary([[0, 0, 0, 0, 5]])
    g = gap(staff, patient)
    assert g.df[0] == approx(8.0, abs=1e-12)
    assert (g.ci_low[0], g.ci_high[0]) == (approx(-0.261182, abs=1e-6), 5.0)
    assert g.clipped[0] and not g.significant[0]
    d = delta(staff, patient)  # the same numbers as a trend
    assert d.ci_high[0] == 5.0 and d.clipped[0]
    assert not gap(summary([STAFF]), summary([PATIENT])).clipped[0]
    # the combined rating's trend: 1.5 -/+ 1.959964 * sqrt(2 * se^2) stays inside
    c = combine(staff, patient)
    assert not delta_combined(c, c).clipped[0]


def test_one_zero_variance_side_gives_the_other_sides_df() -> None:
    g = gap(summary([[3] * 5]), summary([PATIENT]))
    # df = v_p^2 / (v_p^2 / 5) = 5; se = sqrt(1/15)
    assert g.df[0] == approx(5.0, abs=1e-12)
    assert g.se[0] == approx(math.sqrt(1 / 15), abs=1e-12)


def test_a_limit_on_zero_is_not_significant() -> None:
    # A point interval at 4e-10 rounds to 0 at 9 decimals: not significant.
    staff = summary([[2 + 4e-10] * 5])
    patient = summary([[2] * 5])
    assert not gap(staff, patient).significant[0]
    assert gap(summary([[2 + 6e-9] * 5]), patient).significant[0]


def test_every_pair_reason_code() -> None:
    shown, hidden = STAFF, [3, 3]
    staff = summary([shown, hidden, shown, hidden])
    patient = summary([shown, shown, hidden, hidden])
    want = [
        None,
        "staff_below_minimum",
        "patient_leader_below_minimum",
        "patient_leader_below_minimum",
    ]
    for comparison in (combine(staff, patient), gap(staff, patient)):
        assert comparison.reason.tolist() == want
        np.testing.assert_array_equal(comparison.shown, [True, False, False, False])
        for field in ("value", "se", "df", "ci_low", "ci_high"):
            assert np.isnan(getattr(comparison, field)[1:]).all(), field
        assert not comparison.significant[1:].any()


# --------------------------------------------------------------------------- trends


NOW_STAFF = [3, 4, 4, 3, 4]  # mean 3.6, var (66 - 64.8) / 4 = 0.3, v = 0.06
BEFORE_STAFF = [2, 3, 3, 2, 3]  # mean 2.6, v = 0.06
NOW_PATIENT = [2, 3, 3, 2, 3]  # mean 2.6, v = 0.06
BEFORE_PATIENT = [1, 2, 2, 1, 2]  # mean 1.6, v = 0.06


def test_delta_for_one_audience() -> None:
    d = delta(summary([NOW_STAFF]), summary([BEFORE_STAFF]))
    # 1.0; se = sqrt(0.12) = 0.346410; df = 0.0144 / (2 * 0.0036 / 4) = 8
    # t(0.975, 8) = 2.306004: 1 -/+ 0.798823 = [0.201177, 1.798823]
    assert d.value[0] == approx(1.0, abs=1e-12)
    assert d.se[0] == approx(math.sqrt(0.12), abs=1e-12)
    assert d.df[0] == approx(8.0, abs=1e-9)
    assert d.ci_low[0] == approx(0.201177, abs=1e-6)
    assert d.ci_high[0] == approx(1.798823, abs=1e-6)
    assert d.significant[0] and d.reason[0] is None


def test_delta_not_significant_and_below_minimum() -> None:
    now = summary([NOW_STAFF, NOW_STAFF, [3, 3]])
    before = summary([[3, 4, 4, 3, 3], [1, 1], NOW_STAFF])
    d = delta(now, before)
    # 3.6 - 3.4 = 0.2; v = 0.06 + 0.3/5 = 0.12: same interval half width 0.798823
    assert d.value[0] == approx(0.2, abs=1e-12)
    assert not d.significant[0]
    assert d.reason.tolist() == [None, "below_minimum", "below_minimum"]
    assert np.isnan(d.value[1:]).all() and not d.shown[1:].any()


def test_delta_of_the_combined_rating() -> None:
    now = combine(summary([NOW_STAFF]), summary([NOW_PATIENT]))  # 3.1, se sqrt(0.12)/2
    before = combine(summary([BEFORE_STAFF]), summary([BEFORE_PATIENT]))  # 2.1, se sqrt(0.12)/2
    d = delta_combined(now, before)
    # 1.0; se = sqrt(0.03 + 0.03) = 0.244949; 1 -/+ 1.959964 * 0.244949 = [0.519909, 1.480091]
    assert d.value[0] == approx(1.0, abs=1e-12)
    assert d.se[0] == approx(math.sqrt(0.06), abs=1e-12)
    assert d.ci_low[0] == approx(0.519909, abs=1e-6)
    assert d.ci_high[0] == approx(1.480091, abs=1e-6)
    assert d.significant[0] and d.df[0] == math.inf


def test_delta_of_the_combined_rating_needs_all_four_cells() -> None:
    ok, low = NOW_STAFF, [3]
    layouts = [
        (ok, ok, ok, ok),
        (low, ok, ok, ok),
        (ok, low, ok, ok),
        (ok, ok, low, ok),
        (ok, ok, ok, low),
    ]
    now = combine(summary([x[0] for x in layouts]), summary([x[1] for x in layouts]))
    before = combine(summary([x[2] for x in layouts]), summary([x[3] for x in layouts]))
    d = delta_combined(now, before)
    assert d.reason.tolist() == [None] + ["below_minimum"] * 4
    np.testing.assert_array_equal(d.shown, [True, False, False, False, False])
    assert np.isnan(d.value[1:]).all() and np.isnan(d.ci_low[1:]).all()
    # Both combined ratings identical with zero se: a point interval at 0, not significant.
    flat = combine(summary([[2] * 5]), summary([[3] * 5]))
    z = delta_combined(flat, flat)
    assert (z.value[0], z.ci_low[0], z.ci_high[0], z.significant[0]) == (0.0, 0.0, 0.0, False)


# --------------------------------------------------------------------------- groups


def test_group_statistics() -> None:
    values = np.array([1.2, 2.5, 3.0, 4.9999999999, 0.4, 9.9])
    shown = np.array([True, True, True, True, True, False])
    body = group_statistics(values, shown, 5)
    assert body["n_orgs"] == 5 and body["n_suppressed"] == 1
    # sorted 0.4, 1.2, 2.5, 3.0, 4.9999999999: q1 at position 1, median 2, q3 3
    assert body["median"] == 2.5 and body["q1"] == 1.2 and body["q3"] == 3.0
    assert body["min"] == 0.4 and body["max"] == 4.9999999999
    assert body["mean"] == approx(12.0999999999 / 5, abs=1e-12)
    # 4.9999999999 is level 5 (floor(x + 1e-9)); 9.9 is suppressed and not counted
    assert body["levels"] == {"0": 1, "1": 1, "2": 1, "3": 1, "4": 0, "5": 1}
    assert all(type(body[k]) is float for k in ("mean", "median", "q1", "q3", "min", "max"))


def test_group_quartiles_interpolate_linearly() -> None:
    body = group_statistics(np.array([4.0, 1.0, 3.0, 2.0]), np.ones(4, bool), 5)
    # positions 0.75, 1.5, 2.25 of 1, 2, 3, 4
    assert (body["q1"], body["median"], body["q3"]) == (1.75, 2.5, 3.25)
    assert body["mean"] == 2.5


def test_empty_groups() -> None:
    body = group_statistics(np.array([1.0, 2.0, NAN]), np.zeros(3, bool), 3)
    assert body == {
        "n_orgs": 0,
        "n_suppressed": 3,
        "mean": None,
        "median": None,
        "q1": None,
        "q3": None,
        "min": None,
        "max": None,
        "levels": {"0": 0, "1": 0, "2": 0, "3": 0},
    }
    assert group_statistics(np.array([]), np.array([], bool), 2)["n_suppressed"] == 0


def test_percentile_ranks_with_ties_and_groups() -> None:
    values = np.array([1.0, 2.0, 2.0000000001, 3.0, 2.0, 0.0, 5.0, 7.0])
    shown = np.array([True, True, True, True, True, False, True, True])
    group = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    ranks = percentile_ranks(values, shown, group)
    # group 0, N = 5 (the suppressed 0.0 is not counted): 1 -> (0 + 0.5) / 5;
    # the three 2s tie at 6 decimals -> (1 + 1.5) / 5; 3 -> (4 + 0.5) / 5
    # group 1, N = 2: 5 -> 25, 7 -> 75
    np.testing.assert_allclose(ranks, [10, 50, 50, 90, 50, NAN, 25, 75])


def test_percentile_ranks_with_string_labels() -> None:
    ranks = percentile_ranks(
        np.array([1.0, 2.0, 3.0]),
        np.ones(3, bool),
        np.array(["north", "south", "north"], dtype=object),
    )
    np.testing.assert_allclose(ranks, [25, 50, 75])


# --------------------------------------------------------------------------- funnels


def test_funnel_every_band_with_tau2_zero() -> None:
    # 20 organisations, se 0.1, target 2: z = -4, -2.5, 16 values in [-0.5, 0.5], 2.5, 4.
    z = [-4, -2.5, -0.5, -0.4, -0.3, -0.2, -0.1, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 2.5, 4]
    y = np.array([2 + 0.1 * v for v in z])
    f = funnel_from_values(y, np.full(20, 0.1), np.ones(20, bool))
    assert f.target == approx(2.0, abs=1e-12)
    # 10th percentile at position 1.9: -2.5 + 0.9 * 2 = -0.7; 90th at 17.1: 0.5 + 0.1 * 2 = 0.7
    # phi = (4 * 0.49 + 2 * (0.25 + 0.16 + 0.09 + 0.04 + 0.01)) / 20 = 3.06 / 20 = 0.153
    assert f.phi == approx(0.153, abs=1e-9)
    # N * phi - (N - 1) = 3.06 - 19 < 0: no overdispersion
    assert f.tau2 == 0.0
    # limits 2 -/+ 1.959964 * 0.1 and 2 -/+ 3.090232 * 0.1
    assert f.lower95[0] == approx(1.8040036, abs=1e-9)
    assert f.upper998[0] == approx(2.3090232, abs=1e-9)
    assert f.bands.tolist() == ["low_99.8", "low_95"] + ["within"] * 16 + ["high_95", "high_99.8"]


def test_funnel_with_overdispersion() -> None:
    y = np.array([1.0, 1.5, 2.0, 2.5, 3.0])
    f = funnel_from_values(y, np.full(5, 0.1), np.ones(5, bool))
    # target 2, z = -10, -5, 0, 5, 10; winsorised at -8 and 8 (positions 0.4 and 3.6)
    # phi = (64 + 25 + 0 + 25 + 64) / 5 = 35.6
    # w = 100 each: sum w - sum w^2 / sum w = 500 - 100 = 400; tau2 = (178 - 4) / 400 = 0.435
    assert f.phi == approx(35.6, abs=1e-9)
    assert f.tau2 == approx(0.435, abs=1e-12)
    # limits widen to 2 -/+ z * sqrt(0.01 + 0.435) = 2 -/+ z * 0.667083: upper95 3.307459
    assert f.upper95[4] == approx(3.307459, abs=1e-6)
    assert f.lower95[0] == approx(0.692541, abs=1e-6)
    # without tau2, 3.0 would be 10 standard errors out; with it, everyone is within
    assert f.bands.tolist() == ["within"] * 5


def test_funnel_from_cells_pools_respondents() -> None:
    orgs = [[1, 1, 3, 3], [2, 2, 4, 4], [0, 2, 2, 4], [1, 1, 1, 1], [4, 4]]
    shown = np.array([True, True, True, True, False])
    f = funnel_from_cells(*stats_of(orgs), shown)
    # pooled over the 4 shown: 16 values, sum 32, target 2; sum sq 88; sigma^2 = (88 - 64) / 15
    # = 1.6; s_i = sqrt(1.6) / 2 = 0.632456; z = 0, 1.581139, 0, -1.581139
    # winsorised at -/+ 0.7 * 1.581139: phi = 2 * 0.49 * 2.5 / 4 = 0.6125 <= 1; tau2 = 0
    assert f.target == 2.0
    assert f.phi == approx(0.6125, abs=1e-9)
    assert f.tau2 == 0.0
    assert f.lower95[0] == approx(0.760410, abs=1e-6)
    assert f.upper95[0] == approx(3.239590, abs=1e-6)
    assert f.bands.tolist() == ["within"] * 4 + [None]
    assert math.isnan(f.lower95[4]) and math.isnan(f.upper998[4])


def test_funnel_needs_three_organisations() -> None:
    f = funnel_from_values(
        np.array([1.0, 3.0, 9.0]), np.array([0.1, 0.1, 0.1]), np.array([True, True, False])
    )
    assert f.target == 2.0
    assert (f.phi, f.tau2) == (None, None)
    assert f.bands.tolist() == [None, None, None]
    assert np.isnan(f.upper95).all()
    cells = funnel_from_cells(*stats_of([[1, 2, 3], [2, 3, 4]]), np.ones(2, bool))
    assert cells.target == 2.5 and cells.bands.tolist() == [None, None]
    empty = funnel_from_values(np.array([1.0]), np.array([0.1]), np.array([False]))
    assert (empty.target, empty.phi, empty.tau2) == (None, None, None)
    assert funnel_from_cells(*stats_of([[1.0]]), np.array([False])).target is None


def test_funnel_with_zero_standard_errors_has_no_bands() -> None:
    # sigma 0: every respondent of the group gave the same score
    same = funnel_from_cells(*stats_of([[2, 2, 2]] * 4), np.ones(4, bool))
    assert same.target == 2.0 and same.phi is None and same.tau2 is None
    assert same.bands.tolist() == [None] * 4
    # one combined score with se 0 makes w infinite: no funnel for the group
    f = funnel_from_values(
        np.array([1.0, 2.0, 3.0, 2.5]), np.array([0.1, 0.0, 0.2, 0.1]), np.ones(4, bool)
    )
    assert f.target == 2.125 and f.bands.tolist() == [None] * 4


# --------------------------------------------------------------------------- no leaks

cell_values = st.lists(
    st.sampled_from([0.0, 0.5, 1.0, 4 / 3, 2.0, 2.75, 8 / 3, 3.5, 5.0]), max_size=9
)


def check_cell_hidden(c: CellSummary) -> None:
    hidden = ~c.shown
    for field in ("mean", "sd", "se", "ci_low", "ci_high"):
        assert np.isnan(getattr(c, field)[hidden]).all(), field


def check_comparison_hidden(c: Comparison) -> None:
    hidden = ~c.shown
    for field in ("value", "se", "df", "ci_low", "ci_high"):
        assert np.isnan(getattr(c, field)[hidden]).all(), field
    assert not c.significant[hidden].any()
    assert all(r is not None for r in c.reason[hidden])
    assert all(r is None for r in c.reason[c.shown])
    assert not np.isnan(c.value[c.shown]).any()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(cell_values, cell_values, cell_values, cell_values), min_size=1, max_size=8),
    st.integers(3, 6),
)
def test_no_suppressed_value_leaks_from_cells_or_comparisons(orgs, k: int) -> None:
    cells = [summary([org[i] for org in orgs], k) for i in range(4)]
    for c in cells:
        check_cell_hidden(c)
    staff, patient, staff_before, patient_before = cells
    now, before = combine(staff, patient), combine(staff_before, patient_before)
    for comparison in (
        now,
        gap(staff, patient),
        delta(staff, staff_before),
        delta(patient, patient_before),
        delta_combined(now, before),
    ):
        check_comparison_hidden(comparison)
    np.testing.assert_array_equal(now.shown, staff.shown & patient.shown)


org_values = st.floats(0, 5, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(org_values, st.floats(0.01, 1), st.booleans(), st.integers(0, 2)),
        min_size=1,
        max_size=25,
    ),
    st.floats(-100, 100) | st.just(NAN),
    st.floats(0, 10),
)
def test_suppressed_organisations_change_no_group_number(orgs, other: float, other_se: float):
    values = np.array([o[0] for o in orgs])
    se = np.array([o[1] for o in orgs])
    shown = np.array([o[2] for o in orgs])
    group = np.array([o[3] for o in orgs])
    changed = np.where(shown, values, other)
    changed_se = np.where(shown, se, other_se)
    for g in range(3):
        members = group == g
        a = group_statistics(values[members], shown[members], 5)
        b = group_statistics(changed[members], shown[members], 5)
        assert a == b
        fa = funnel_from_values(values[members], se[members], shown[members])
        fb = funnel_from_values(changed[members], changed_se[members], shown[members])
        assert (fa.target, fa.phi, fa.tau2) == (fb.target, fb.phi, fb.tau2)
        assert fa.bands.tolist() == fb.bands.tolist()
        assert all(band is None for band in fa.bands[~shown[members]])
        np.testing.assert_array_equal(fa.upper95, fb.upper95)
        assert np.isnan(fa.upper95[~shown[members]]).all()
    a = percentile_ranks(values, shown, group)
    np.testing.assert_array_equal(a, percentile_ranks(changed, shown, group))
    assert np.isnan(a[~shown]).all() and not np.isnan(a[shown]).any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(cell_values, st.booleans()), min_size=1, max_size=10),
    st.integers(1, 50),
    st.floats(0, 500),
    st.floats(0, 5000),
)
def test_suppressed_cells_change_no_funnel_number(orgs, n_other, t_other, q_other) -> None:
    n, total, total_sq = stats_of([o[0] for o in orgs])
    shown = np.array([o[1] for o in orgs]) & (n > 0)
    fa = funnel_from_cells(n, total, total_sq, shown)
    fb = funnel_from_cells(
        np.where(shown, n, n_other),
        np.where(shown, total, t_other),
        np.where(shown, total_sq, q_other),
        shown,
    )
    assert (fa.target, fa.phi, fa.tau2) == (fb.target, fb.phi, fb.tau2)
    assert fa.bands.tolist() == fb.bands.tolist()
    assert all(band is None for band in fa.bands[~shown])


# --------------------------------------------------------------------------- reference


def ref_cells(cells: list[list[float]], k: int) -> list[reference.Cell]:
    return [reference.summarise(list(v), k) for v in cells]


def assert_cells_match(got: CellSummary, want: list[reference.Cell]) -> None:
    for i, w in enumerate(want):
        assert bool(got.shown[i]) == w.shown and got.n[i] == w.n
        for field, wv in (("mean", w.mean), ("sd", w.sd), ("se", w.se)):
            gv = getattr(got, field)[i]
            assert math.isnan(gv) if wv is None else gv == approx(wv, abs=1e-9), field
        if w.ci is None:
            assert math.isnan(got.ci_low[i])
        else:
            assert (got.ci_low[i], got.ci_high[i]) == approx(w.ci, abs=1e-9)


def assert_compared_match(got: Comparison, want: list[reference.Compared]) -> None:
    for i, w in enumerate(want):
        assert bool(got.shown[i]) == w.shown and got.reason[i] == w.reason
        if not w.shown:
            continue
        assert got.value[i] == approx(w.value, abs=1e-9)
        assert got.se[i] == approx(w.se, abs=1e-9)
        if w.df is None:
            assert math.isnan(got.df[i])
        else:
            assert got.df[i] == approx(w.df, rel=1e-9)
        assert (got.ci_low[i], got.ci_high[i]) == approx(w.ci, abs=1e-9)
        assert bool(got.significant[i]) == w.significant
        assert bool(got.clipped[i]) == w.clipped


def random_cells(rng: np.random.Generator, n_orgs: int) -> list[list[float]]:
    """Respondent-level scores like the engine's: multiples of 1/12 on [0, 5], with cells of
    size 0..30 and some zero-variance cells."""
    cells = []
    for _ in range(n_orgs):
        size = int(rng.integers(0, 31))
        if rng.random() < 0.1:
            cells.append([float(rng.integers(0, 61)) / 12] * size)
        else:
            centre = rng.uniform(0.5, 4.5)
            cells.append(
                [
                    float(np.clip(np.round((centre + rng.normal(0, 0.8)) * 12), 0, 60)) / 12
                    for _ in range(size)
                ]
            )
    return cells


@pytest.mark.parametrize("seed", range(8))
def test_benchmarking_agrees_with_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_orgs, k = 60, int(rng.integers(3, 8))
    sets = [random_cells(rng, n_orgs) for _ in range(4)]
    cells = [summarise_cells(*stats_of(s), k) for s in sets]
    refs = [ref_cells(s, k) for s in sets]
    for got, want in zip(cells, refs, strict=True):
        assert_cells_match(got, want)
    staff, patient, staff_b, patient_b = cells
    r_staff, r_patient, r_staff_b, r_patient_b = refs
    now, before = combine(staff, patient), combine(staff_b, patient_b)
    r_now = [reference.combined(a, b) for a, b in zip(r_staff, r_patient, strict=True)]
    r_before = [reference.combined(a, b) for a, b in zip(r_staff_b, r_patient_b, strict=True)]
    assert_compared_match(now, r_now)
    assert_compared_match(
        gap(staff, patient), [reference.gap(a, b) for a, b in zip(r_staff, r_patient, strict=True)]
    )
    assert_compared_match(
        delta(staff, staff_b),
        [reference.delta(a, b) for a, b in zip(r_staff, r_staff_b, strict=True)],
    )
    assert_compared_match(
        delta_combined(now, before),
        [reference.delta_combined(a, b) for a, b in zip(r_now, r_before, strict=True)],
    )

    group = rng.integers(0, 3, n_orgs)
    for values, shown in ((staff.mean, staff.shown), (now.value, now.shown)):
        ranks = percentile_ranks(values, shown, group)
        want = reference.percentile_ranks(
            [None if math.isnan(v) else float(v) for v in values], shown.tolist(), group.tolist()
        )
        np.testing.assert_allclose(ranks, [NAN if w is None else w for w in want], atol=1e-9)
        for g in range(3):
            m = group == g
            got_body = group_statistics(values[m], shown[m], 5)
            want_body = reference.group_statistics(values[m].tolist(), shown[m].tolist(), 5)
            assert got_body["levels"] == want_body["levels"]
            for key in ("n_orgs", "n_suppressed", "mean", "median", "q1", "q3", "min", "max"):
                assert got_body[key] == approx(want_body[key], abs=1e-9), key

    for g in range(3):
        m = np.flatnonzero(group == g)
        got_f = funnel_from_cells(*[a[m] for a in stats_of(sets[0])], staff.shown[m])
        want_f = reference.funnel_from_respondents([sets[0][i] for i in m], staff.shown[m].tolist())
        assert_funnel_match(got_f, want_f)
        got_f = funnel_from_values(now.value[m], now.se[m], now.shown[m])
        want_f = reference.funnel_from_values(
            [r_now[i].value for i in m], [r_now[i].se for i in m], now.shown[m].tolist()
        )
        assert_funnel_match(got_f, want_f)


def assert_funnel_match(got, want: reference.FunnelResult) -> None:
    for field in ("target", "phi", "tau2"):
        g, w = getattr(got, field), getattr(want, field)
        assert (g is None) == (w is None), field
        if w is not None:
            assert g == approx(w, abs=1e-9), field
    assert got.bands.tolist() == want.bands
    for i, limits in enumerate(want.limits):
        if limits is not None:
            got_limits = (got.lower95[i], got.upper95[i], got.lower998[i], got.upper998[i])
            assert got_limits == approx(limits, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 5), st.floats(0.05, 1.5), st.booleans()), min_size=0, max_size=30
    )
)
def test_funnel_from_values_agrees_with_reference(orgs) -> None:
    y = np.array([o[0] for o in orgs], dtype=float)
    se = np.array([o[1] for o in orgs], dtype=float)
    shown = np.array([o[2] for o in orgs], dtype=bool)
    want = reference.funnel_from_values(y.tolist(), se.tolist(), shown.tolist())
    assert_funnel_match(funnel_from_values(y, se, shown), want)
