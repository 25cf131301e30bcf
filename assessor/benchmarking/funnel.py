"""Funnel plots with Spiegelhalter's (2005) overdispersion adjustment (scoring.md s.4).

One call covers one group, audience and measure. Organisations not shown take no part: they
are neither in the target, nor in phi or tau2, and their band and limits are None/NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assessor.benchmarking.cells import Z95, Z998, sample_variance
from assessor.scoring.engine import COMPARE_DECIMALS

#: The fewest shown organisations for which a funnel is drawn.
MIN_ORGS = 3
HIGH_998, HIGH_95, WITHIN, LOW_95, LOW_998 = "high_99.8", "high_95", "within", "low_95", "low_99.8"


@dataclass(frozen=True)
class Funnel:
    target: float | None
    phi: float | None
    tau2: float | None
    bands: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray
    lower998: np.ndarray
    upper998: np.ndarray


def funnel_from_cells(
    n: np.ndarray, total: np.ndarray, total_sq: np.ndarray, shown: np.ndarray
) -> Funnel:
    """Staff or patient-leader funnel of one group from the cells' sufficient statistics.

    target and sigma are the mean and sd (ddof 1) of every respondent-level value pooled over
    the shown organisations; s_i = sigma / sqrt(n_i) and y_i = total_i / n_i. sigma is
    undefined with fewer than 2 respondents; when it is 0 every s_i is 0 (see `_funnel`).
    """
    n = np.asarray(n, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    total_sq = np.asarray(total_sq, dtype=np.float64)
    shown = np.asarray(shown, dtype=bool) & (n > 0)
    pooled_n = float(n[shown].sum())
    if pooled_n == 0:
        return _funnel(np.full(n.shape, np.nan), np.full(n.shape, np.nan), shown, None)
    pooled_total = float(total[shown].sum())
    target = pooled_total / pooled_n
    sigma = float(
        np.sqrt(sample_variance(np.array(pooled_n), np.array(pooled_total), total_sq[shown].sum()))
    )
    safe_n = np.where(shown, n, 1.0)
    y = np.where(shown, total / safe_n, np.nan)
    s = np.where(shown, sigma / np.sqrt(safe_n), np.nan)
    return _funnel(y, s, shown, target)


def funnel_from_values(y: np.ndarray, se: np.ndarray, shown: np.ndarray) -> Funnel:
    """Combined-rating funnel of one group: target = mean of the shown organisations' scores,
    s_i = their own se."""
    y = np.asarray(y, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    shown = np.asarray(shown, dtype=bool)
    target = float(y[shown].mean()) if shown.any() else None
    return _funnel(np.where(shown, y, np.nan), np.where(shown, se, np.nan), shown, target)


def _funnel(y: np.ndarray, s: np.ndarray, shown: np.ndarray, target: float | None) -> Funnel:
    """Bands and limits around `target` for standard errors `s`.

    No funnel (bands None, phi and tau2 None, limits NaN; target still reported) with fewer
    than 3 shown organisations, or when any shown s_i is not a positive finite number: a zero
    s_i (sigma 0, or a combined cell whose two sds are 0) makes z_i and w_i infinite, so
    neither phi nor tau2 exists, and a band against a zero-width funnel would mean nothing.
    """
    size = shown.shape
    bands = np.full(size, None, dtype=object)
    nan = np.full(size, np.nan)
    s_shown = s[shown]
    if (
        target is None
        or s_shown.size < MIN_ORGS
        or not bool(np.all(np.isfinite(s_shown) & (s_shown > 0)))
    ):
        return Funnel(target, None, None, bands, nan, nan.copy(), nan.copy(), nan.copy())

    y_shown = y[shown]
    count = y_shown.size
    z = (y_shown - target) / s_shown
    low, high = np.percentile(z, [10.0, 90.0])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1.0 / s_shown**2
    tau2 = max(0.0, (count * phi - (count - 1)) / (w.sum() - (w * w).sum() / w.sum()))

    spread = np.sqrt(s**2 + tau2)
    lower95, upper95 = target - Z95 * spread, target + Z95 * spread
    lower998, upper998 = target - Z998 * spread, target + Z998 * spread

    def r(x: np.ndarray) -> np.ndarray:
        return np.round(x, COMPARE_DECIMALS)

    value = r(y)
    with np.errstate(invalid="ignore"):
        choice = np.select(
            [value > r(upper998), value > r(upper95), value < r(lower998), value < r(lower95)],
            [HIGH_998, HIGH_95, LOW_998, LOW_95],
            default=WITHIN,
        ).astype(object)
    bands[shown] = choice[shown]
    return Funnel(float(target), phi, float(tau2), bands, lower95, upper95, lower998, upper998)
