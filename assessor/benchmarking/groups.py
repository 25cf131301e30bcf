"""Group statistics and percentile ranks (scoring.md s.4).

Suppressed organisations are left out of everything but `n_suppressed`, so that no hidden
value can be recovered by subtracting one group statistic from another.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assessor.scoring.engine import level_of

#: Percentile ranks compare values rounded to this many decimals, so that scores equal up to
#: floating-point noise tie.
RANK_DECIMALS = 6


def group_statistics(values: np.ndarray, shown: np.ndarray, n_rungs: int) -> dict[str, Any]:
    """Statistics of the shown values of one group's organisations, as plain Python numbers;
    quartiles use numpy's default linear interpolation. An empty group has n_orgs 0, None
    statistics and every level count 0."""
    values = np.asarray(values, dtype=np.float64)
    shown = np.asarray(shown, dtype=bool)
    kept = values[shown]
    levels = {str(level): 0 for level in range(n_rungs + 1)}
    body: dict[str, Any] = {
        "n_orgs": int(kept.size),
        "n_suppressed": int(shown.size - kept.size),
        "mean": None,
        "median": None,
        "q1": None,
        "q3": None,
        "min": None,
        "max": None,
        "levels": levels,
    }
    if kept.size == 0:
        return body
    q1, median, q3 = np.percentile(kept, [25.0, 50.0, 75.0])
    body.update(
        mean=float(kept.mean()),
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        min=float(kept.min()),
        max=float(kept.max()),
    )
    level = level_of(kept, n_rungs)
    counts = np.bincount(level[level >= 0], minlength=n_rungs + 1)
    for level in range(n_rungs + 1):
        levels[str(level)] = int(counts[level])
    return body


def percentile_ranks(values: np.ndarray, shown: np.ndarray, group: np.ndarray) -> np.ndarray:
    """100 * (B + 0.5 * E) / N per organisation within its group, where B counts the shown
    values below it, E those equal to it (itself included) and N the shown organisations of the
    group, comparing values rounded to 6 decimals. NaN for organisations not shown."""
    values = np.asarray(values, dtype=np.float64)
    shown = np.asarray(shown, dtype=bool)
    group = np.asarray(group)
    ranks = np.full(values.shape, np.nan)
    keys = np.round(values, RANK_DECIMALS)
    for label in np.unique(group[shown]):
        members = np.flatnonzero(shown & (group == label))
        own = keys[members]
        ordered = np.sort(own)
        below = np.searchsorted(ordered, own, side="left")
        equal = np.searchsorted(ordered, own, side="right") - below
        ranks[members] = 100.0 * (below + 0.5 * equal) / ordered.size
    return ranks
