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
    #: the interval reached -R or R and was cut there (gaps and trends; never a score's).
    clipped: np.ndarray


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


def bounded_interval(
    x: np.ndarray, se: np.ndarray, df: np.ndarray, n: np.ndarray, n_rungs: int
) -> tuple[np.ndarray, np.ndarray]:
    """ci95 of a score on [0, R] (scoring.md s.3): a Wilson-type interval on the effective
    sample size y (1 - y) / e^2 (Korn and Graubard), with y = x / R and e = se / R, or n when
    se is 0. It stays inside [0, R] and is not of zero width when everyone answered alike."""
    r = float(n_rungs)
    y = np.clip(np.asarray(x, dtype=np.float64) / r, 0.0, 1.0)
    e = np.asarray(se, dtype=np.float64) / r
    spread = y * (1.0 - y)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(e > 0, spread / np.where(e > 0, e * e, 1.0), n)
        n_eff = np.where(n_eff > 0, n_eff, n)
        q = t975(df)
        q2 = q * q
        grow = 1.0 + q2 / n_eff
        centre = (y + q2 / (2.0 * n_eff)) / grow
        half = q * np.sqrt(spread / n_eff + q2 / (4.0 * n_eff * n_eff)) / grow
    # Clipped only against rounding, which could put a limit a hair outside [0, R].
    return np.clip(r * (centre - half), 0.0, r), np.clip(r * (centre + half), 0.0, r)


def clip_interval(
    low: np.ndarray, high: np.ndarray, n_rungs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A difference's interval cut to [-R, R], and whether it was (scoring.md conventions)."""
    r = float(n_rungs)
    with np.errstate(invalid="ignore"):
        clipped = (low < -r) | (high > r)
    return np.clip(low, -r, r), np.clip(high, -r, r), clipped


def excludes_zero(ci_low: np.ndarray, ci_high: np.ndarray) -> np.ndarray:
    """Strictly excludes 0 after rounding to 9 decimals: a limit on 0 is not significant, and
    with se 0 ([x, x]) this is exactly "x is not 0"."""
    with np.errstate(invalid="ignore"):
        lo = np.round(ci_low, COMPARE_DECIMALS)
        hi = np.round(ci_high, COMPARE_DECIMALS)
        return (lo > 0) | (hi < 0)


def summarise_cells(
    n: np.ndarray, total: np.ndarray, total_sq: np.ndarray, k: int, n_rungs: int
) -> CellSummary:
    """Mean, sd (ddof 1), se and the bounded ci95 of each cell from its sufficient
    statistics, scores lying on [0, n_rungs].

    A cell is shown when n >= k; otherwise every float field is NaN (n stays as given, being
    the count).

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
    ci_low, ci_high = bounded_interval(mean, se, nf - 1.0, nf, n_rungs)
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


def _welch(a: CellSummary, b: CellSummary, sign: float, scale: float) -> tuple[np.ndarray, ...]:
    """(mean_a + sign * mean_b) * scale with se sqrt(v_a + v_b) * scale and Welch's df."""
    shown = a.shown & b.shown
    v_a, v_b = a.se**2, b.se**2
    value = np.where(shown, (a.mean + sign * b.mean) * scale, np.nan)
    se = np.where(shown, np.sqrt(v_a + v_b) * scale, np.nan)
    df = np.where(shown, welch_df(v_a, a.n, v_b, b.n), np.nan)
    return shown, value, se, df


def _difference(a: CellSummary, b: CellSummary, reason: np.ndarray, n_rungs: int) -> Comparison:
    """a - b with a t ci95 on Welch's df, clipped to [-R, R]; significant when it strictly
    excludes 0."""
    shown, value, se, df = _welch(a, b, -1.0, 1.0)
    low, high = _interval(value, t975(df) * se, se)
    low, high, clipped = clip_interval(low, high, n_rungs)
    significant = excludes_zero(low, high) & shown
    return Comparison(value, se, df, low, high, significant, shown, reason, clipped & shown)


def combine(staff: CellSummary, patient: CellSummary, n_rungs: int) -> Comparison:
    """The organisation's rating: staff and patient leaders weigh equally whatever their sizes
    (scoring.md s.3), with the bounded interval. Shown only when both cells are; patient
    leaders' reason comes first. `significant` is unused (all False)."""
    reason = _reasons(patient.shown, staff.shown, PATIENT_LEADER_BELOW_MINIMUM, STAFF_BELOW_MINIMUM)
    shown, value, se, df = _welch(staff, patient, 1.0, 0.5)
    n = staff.n.astype(np.float64) + patient.n.astype(np.float64)
    # Both cells of sd 0: no Welch df (reported as NaN), so the quantile's is n_s + n_p - 2.
    low, high = bounded_interval(value, se, np.where(np.isnan(df) & shown, n - 2.0, df), n, n_rungs)
    low, high = np.where(shown, low, np.nan), np.where(shown, high, np.nan)
    no = np.zeros(shown.shape, bool)
    return Comparison(value, se, df, low, high, no, shown, reason, no)


def gap(staff: CellSummary, patient: CellSummary, n_rungs: int) -> Comparison:
    """Perception gap, staff minus patient leaders; significant when ci95 strictly excludes 0."""
    reason = _reasons(patient.shown, staff.shown, PATIENT_LEADER_BELOW_MINIMUM, STAFF_BELOW_MINIMUM)
    return _difference(staff, patient, reason, n_rungs)


def delta(now: CellSummary, before: CellSummary, n_rungs: int) -> Comparison:
    """Trend of a staff or patient-leader cell on common items: now minus before."""
    reason = _reasons(now.shown, before.shown, BELOW_MINIMUM, BELOW_MINIMUM)
    return _difference(now, before, reason, n_rungs)


def delta_combined(now: Comparison, before: Comparison, n_rungs: int) -> Comparison:
    """Trend of the combined rating: se = sqrt(se_now^2 + se_before^2) with a normal interval
    (z95), so df is reported as infinite, clipped to [-R, R]. Shown only when all four cells
    are."""
    shown = now.shown & before.shown
    reason = _reasons(now.shown, before.shown, BELOW_MINIMUM, BELOW_MINIMUM)
    value = np.where(shown, now.value - before.value, np.nan)
    se = np.where(shown, np.sqrt(now.se**2 + before.se**2), np.nan)
    df = np.where(shown, np.inf, np.nan)
    low, high = _interval(value, Z95 * se, se)
    low, high, clipped = clip_interval(low, high, n_rungs)
    significant = excludes_zero(low, high) & shown
    return Comparison(value, se, df, low, high, significant, shown, reason, clipped & shown)
