"""Per-respondent flags behind the rung and answer profiles (scoring.md s.3): pure numpy.

The level counts rungs from the bottom up; the rung profile does not, so it shows where an
organisation is strong even above a rung it has not met. The answer profile counts "don't
know" and "does not happen here" among the respondents who were shown each scored item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assessor.benchmarking.cells import COMPARE_DECIMALS

DONT_KNOW = "dont_know"
NOT_HAPPENING = "not_happening"


def rung_flags(attainment: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(defined, met), each (n, D, R) bool, from the engine's attainment array."""
    defined = ~np.isnan(attainment)
    with np.errstate(invalid="ignore"):
        met = np.round(attainment, COMPARE_DECIMALS) >= round(threshold, COMPARE_DECIMALS)
    return defined, met & defined


def answer_flags(
    link_ids: Sequence[str],
    answers: Sequence[Mapping[str, Any]],
    shown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shown, dont_know, not_happening), each (n, I) bool. `shown` defaults to every item
    (scored items carry no skip logic in the shipped questionnaires)."""
    n, m = len(answers), len(link_ids)
    raw = np.array([[a.get(link) for link in link_ids] for a in answers], dtype=object).reshape(
        n, m
    )
    dont_know = raw == DONT_KNOW
    not_happening = raw == NOT_HAPPENING
    if shown is None:
        shown = np.ones((n, m), dtype=bool)
    return shown, dont_know & shown, not_happening & shown
