"""Cell statistics, the combined rating, perception gaps and trend deltas (scoring.md s.3, s.5).

Every function is elementwise over arrays of any matching shape, typically
(n_organisations, n_measures), and works from sufficient statistics (n, sum, sum of squares)
so that results never need raw answers. A number that is not shown is NaN in every float
field, so that a suppressed value cannot leak through any output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assessor.disclosure import reaches_k
from assessor.scoring.engine import COMPARE_DECIMALS

Z95 = 1.959964
Z998 = 3.090232
#: Relative tolerance, per respondent, of the zero-variance snap (see `summarise_cells`).
VARIANCE_SNAP = 4.0 * float(np.finfo(np.float64).eps)

BELOW_MINIMUM = "below_minimum"
PATIENT_LEADER_BELOW_MINIMUM = "patient_leader_below_minimum"
STAFF_BELOW_MINIMUM = "staff_below_minimum"


@dataclass(frozen=True)
class CellSummary:
    n: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    shown: np.ndarray


@dataclass(frozen=True)
class Comparison:
    value: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    significant: np.ndarray
    shown: np.ndarray
    reason: np.ndarray


def sample_variance(n: np.ndarray, total: np.ndarray, total_sq: np.ndarray) -> np.ndarray:
    """Variance (ddof 1) from sufficient statistics; NaN where n < 2; never negative.

    total_sq - total**2 / n cancels catastrophically when the values are (nearly) equal: for n
    equal values the rounding error of the two sums is at most about 0.75 * n * eps relative
    to total_sq (eps = 2.2e-16). So the numerator is snapped to exactly 0 when
    |total_sq - total**2 / n| <= 4 * n * eps * total_sq, that is when the variance is below
    about 4 * n * eps (8.9e-13 at n = 1000) times the mean square. Genuinely different scores
    are far apart by comparison: distinct scores differ by at least ~1e-3 and are at most R,
    so a real variance is at least ~4e-8 / n of the mean square, well above the snap for any
    cell of up to a few thousand respondents. Anything still negative is rounding too: 0.
    """
    n = np.asarray(n, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    total_sq = np.asarray(total_sq, dtype=np.float64)
    ok = n >= 2
    safe_n = np.where(ok, n, 2.0)
    numerator = total_sq - total * total / safe_n
    snap = np.abs(numerator) <= VARIANCE_SNAP * safe_n * np.abs(total_sq)
    numerator = np.where(snap, 0.0, np.maximum(numerator, 0.0))
    return np.where(ok, numerator / (safe_n - 1.0), np.nan)


def t975(df: np.ndarray) -> np.ndarray:
    """t(0.975, df) where df > 0, NaN elsewhere (an infinite df gives the normal quantile)."""
    df = np.asarray(df, dtype=np.float64)
    ok = df > 0
    # Cells' df are n - 1, a few hundred distinct values across thousands of organisations:
    # the quantile is costly, so compute it once per distinct df.
    distinct, where = np.unique(np.where(ok, df, 1.0), return_inverse=True)
    # Imported here: scipy.stats costs a second at start-up, which every worker, CLI
    # command and test process would pay before its first interval.
    from scipy import stats

    quantiles = stats.t.ppf(0.975, distinct)[where.reshape(df.shape)]
    return np.where(ok, quantiles, np.nan)


def _interval(value: np.ndarray, half: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, ...]:
    """value -/+ half, and exactly [value, value] when se is 0 (whatever the df)."""
    half = np.where(se == 0, 0.0, half)
    return value - half, value + half


def excludes_zero(ci_low: np.ndarray, ci_high: np.ndarray) -> np.ndarray:
    """Strictly excludes 0 after rounding to 9 decimals: a limit on 0 is not significant, and
    with se 0 ([x, x]) this is exactly "x is not 0"."""
    with np.errstate(invalid="ignore"):
        lo = np.round(ci_low, COMPARE_DECIMALS)
        hi = np.round(ci_high, COMPARE_DECIMALS)
        return (lo > 0) | (hi < 0)


def summarise_cells(n: np.ndarray, total: np.ndarray, total_sq: np.ndarray, k: int) -> CellSummary:
    """Mean, sd (ddof 1), se and t-based ci95 of each cell from its sufficient statistics.

    A cell is shown when n >= k; otherwise every float field is NaN (n stays as given, being
    the count). With sd 0 the interval is [mean, mean].

    Cancellation guard: the variance (total_sq - total**2 / n) / (n - 1) is snapped to exactly
    0 when |total_sq - total**2 / n| <= 4 * n * eps * total_sq (eps = 2.2e-16), i.e. when it
    is below about 4 * n * eps times the mean square (8.9e-13 of it at n = 1000), and it is
    never negative; `sample_variance` explains why that bound separates rounding error from
    real spread. Equal values therefore always give sd 0 and a point interval.
    """
    n_int = np.asarray(n).astype(np.int64)
    shown = reaches_k(n_int, k)
    nf = n_int.astype(np.float64)
    total = np.asarray(total, dtype=np.float64)
    total_sq = np.asarray(total_sq, dtype=np.float64)
    safe_n = np.where(shown & (nf > 0), nf, 1.0)
    mean = np.where(shown, total / safe_n, np.nan)
    sd = np.where(shown, np.sqrt(sample_variance(nf, total, total_sq)), np.nan)
    se = sd / np.sqrt(safe_n)
    ci_low, ci_high = _interval(mean, t975(nf - 1.0) * se, se)
    return CellSummary(
        n=n_int, mean=mean, sd=sd, se=se, ci_low=ci_low, ci_high=ci_high, shown=shown
    )


def welch_df(v_a: np.ndarray, n_a: np.ndarray, v_b: np.ndarray, n_b: np.ndarray) -> np.ndarray:
    """Welch-Satterthwaite df, with v = sd^2 / n. Undefined (NaN) when both variances are 0:
    the se is then 0 as well, so the interval is [x, x] and needs no quantile."""
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = v_a * v_a / (n_a - 1.0) + v_b * v_b / (n_b - 1.0)
        df = (v_a + v_b) ** 2 / np.where(denominator > 0, denominator, np.nan)
    return df


def _reasons(shown_a: np.ndarray, shown_b: np.ndarray, reason_a: str, reason_b: str) -> np.ndarray:
    """reason_a where a is not shown, else reason_b where b is not shown, else None."""
    shape = np.broadcast(shown_a, shown_b).shape
    reason = np.full(shape, None, dtype=object)
    reason[~np.asarray(shown_b)] = reason_b
    reason[~np.asarray(shown_a)] = reason_a
    return reason


def _welch(
    a: CellSummary, b: CellSummary, sign: float, scale: float, reason: np.ndarray, test: bool
) -> Comparison:
    """(mean_a + sign * mean_b) * scale with se sqrt(v_a + v_b) * scale, Welch df, t ci95."""
    shown = a.shown & b.shown
    v_a, v_b = a.se**2, b.se**2
    value = np.where(shown, (a.mean + sign * b.mean) * scale, np.nan)
    se = np.where(shown, np.sqrt(v_a + v_b) * scale, np.nan)
    df = np.where(shown, welch_df(v_a, a.n, v_b, b.n), np.nan)
    ci_low, ci_high = _interval(value, t975(df) * se, se)
    significant = excludes_zero(ci_low, ci_high) & shown if test else np.zeros(shown.shape, bool)
    return Comparison(value, se, df, ci_low, ci_high, significant, shown, reason)


def combine(staff: CellSummary, patient: CellSummary) -> Comparison:
    """The organisation's rating: staff and patient leaders weigh equally whatever their sizes
    (scoring.md s.3). Shown only when both cells are; patient leaders' reason comes first.
    `significant` is unused (all False)."""
    reason = _reasons(patient.shown, staff.shown, PATIENT_LEADER_BELOW_MINIMUM, STAFF_BELOW_MINIMUM)
    return _welch(staff, patient, 1.0, 0.5, reason, test=False)


def gap(staff: CellSummary, patient: CellSummary) -> Comparison:
    """Perception gap, staff minus patient leaders; significant when ci95 strictly excludes 0."""
    reason = _reasons(patient.shown, staff.shown, PATIENT_LEADER_BELOW_MINIMUM, STAFF_BELOW_MINIMUM)
    return _welch(staff, patient, -1.0, 1.0, reason, test=True)


def delta(now: CellSummary, before: CellSummary) -> Comparison:
    """Trend of a staff or patient-leader cell on comparable items: now minus before."""
    reason = _reasons(now.shown, before.shown, BELOW_MINIMUM, BELOW_MINIMUM)
    return _welch(now, before, -1.0, 1.0, reason, test=True)


def delta_combined(now: Comparison, before: Comparison) -> Comparison:
    """Trend of the combined rating: se = sqrt(se_now^2 + se_before^2) with a normal interval
    (z95), so df is reported as infinite. Shown only when all four cells are."""
    shown = now.shown & before.shown
    reason = _reasons(now.shown, before.shown, BELOW_MINIMUM, BELOW_MINIMUM)
    value = np.where(shown, now.value - before.value, np.nan)
    se = np.where(shown, np.sqrt(now.se**2 + before.se**2), np.nan)
    df = np.where(shown, np.inf, np.nan)
    ci_low, ci_high = _interval(value, Z95 * se, se)
    significant = excludes_zero(ci_low, ci_high) & shown
    return Comparison(value, se, df, ci_low, ci_high, significant, shown, reason)
