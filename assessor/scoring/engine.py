"""Respondent scoring (scoring.md s.2), vectorised over every respondent at once.

The per-(domain, rung) sums and counts of answered items come from two matrix products with
a 0/1 indicator matrix (n_items, D * R), so the cost is a handful of passes over the answer
matrix whatever the number of respondents; nothing loops over respondents in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assessor.questionnaires.definition import Questionnaire

#: floor(x + LEVEL_EPS) is a level, so that floating-point noise never drops a 3 to level 2.
LEVEL_EPS = 1e-9
#: Values are compared with limits after both are rounded to this many decimals.
COMPARE_DECIMALS = 9
#: Respondents scored per block: the intermediate (block, D * R) arrays then stay in cache
#: and peak memory stays bounded, whatever the number of respondents.
BLOCK_ROWS = 8192


@dataclass(frozen=True)
class ScoringModel:
    """What the engine needs of a questionnaire version: one column per scored item."""

    item_domain: np.ndarray
    item_rung: np.ndarray
    n_domains: int
    n_rungs: int
    threshold: float
    #: (n_items, D * R) float 0/1: item j evidences (domain d, rung r) at column d * R + r - 1.
    indicator: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        domain = np.asarray(self.item_domain, dtype=np.int64)
        rung = np.asarray(self.item_rung, dtype=np.int64)
        if domain.shape != rung.shape or domain.ndim != 1:
            raise ValueError("item_domain and item_rung must be 1-D arrays of the same length")
        if self.n_domains < 1 or self.n_rungs < 1:
            raise ValueError("a model needs at least one domain and one rung")
        if domain.size and (domain.min() < 0 or domain.max() >= self.n_domains):
            raise ValueError("item_domain must lie in 0..n_domains-1")
        if rung.size and (rung.min() < 1 or rung.max() > self.n_rungs):
            raise ValueError("item_rung must lie in 1..n_rungs")
        if not self.threshold > 0:
            raise ValueError("threshold must be positive")
        indicator = np.zeros((domain.size, self.n_domains * self.n_rungs))
        indicator[np.arange(domain.size), domain * self.n_rungs + rung - 1] = 1.0
        object.__setattr__(self, "item_domain", domain)
        object.__setattr__(self, "item_rung", rung)
        object.__setattr__(self, "threshold", float(self.threshold))
        object.__setattr__(self, "indicator", indicator)

    @property
    def n_items(self) -> int:
        return int(self.item_domain.size)

    @classmethod
    def from_questionnaire(cls, q: Questionnaire) -> ScoringModel:
        """Columns are `q.scored_items` in order, as `encode_answers` lays them out."""
        domains = {key: i for i, key in enumerate(q.domain_keys)}
        items = q.scored_items
        return cls(
            item_domain=np.array([domains[item.domain] for item in items], dtype=np.int64),
            item_rung=np.array([q.rung_rank(item.rung) for item in items], dtype=np.int64),
            n_domains=len(q.domains),
            n_rungs=len(q.rungs),
            threshold=q.threshold,
        )


@dataclass(frozen=True)
class RespondentScores:
    attainment: np.ndarray
    domain_levels: np.ndarray
    domain_scores: np.ndarray
    overall: np.ndarray


def level_of(x: np.ndarray | float, n_rungs: int) -> np.ndarray:
    """min(R, floor(x + 1e-9)) as int64, -1 where x is NaN (no score, so no level)."""
    arr = np.asarray(x, dtype=np.float64)
    finite = ~np.isnan(arr)
    floored = np.floor(np.where(finite, arr, 0.0) + LEVEL_EPS)
    return np.where(finite, np.minimum(floored, n_rungs), -1).astype(np.int64)


def score_respondents(values: np.ndarray, model: ScoringModel) -> RespondentScores:
    """Score every respondent. `values` is (n_resp, n_items), answer values 0..4, NaN for
    unanswered or "don't know" (both count as unanswered, scoring.md s.2)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != model.n_items:
        raise ValueError(f"values must have shape (n_respondents, {model.n_items})")
    n_resp = values.shape[0]
    d, r = model.n_domains, model.n_rungs
    attainment = np.empty((n_resp, d, r))
    levels = np.empty((n_resp, d), dtype=np.int64)
    scores = np.empty((n_resp, d))
    overall = np.empty(n_resp)
    for start in range(0, n_resp, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_resp)
        _score_block(
            values[start:stop],
            model,
            attainment[start:stop],
            levels[start:stop],
            scores[start:stop],
            overall[start:stop],
        )
    return RespondentScores(attainment, levels, scores, overall)


def _score_block(
    values: np.ndarray,
    model: ScoringModel,
    attainment: np.ndarray,
    levels: np.ndarray,
    scores: np.ndarray,
    overall: np.ndarray,
) -> None:
    n, d, r = values.shape[0], model.n_domains, model.n_rungs
    answered = values == values  # False exactly where NaN
    filled = np.where(answered, values, 0.0)
    sums = (filled @ model.indicator).reshape(n, d, r)
    counts = (answered.astype(np.float64) @ model.indicator).reshape(n, d, r)

    defined = counts > 0
    # Contributions are value / 4; dividing the sums once is cheaper than every answer.
    np.divide(sums, counts * 4.0, out=attainment, where=defined)
    attainment[~defined] = np.nan

    threshold = round(model.threshold, COMPARE_DECIMALS)
    # NaN compares False, so an undefined rung is never met.
    met = np.round(attainment, COMPARE_DECIMALS) >= threshold
    # Level = number of leading met rungs: the index of the first unmet rung, or R.
    all_met = met.all(axis=2)
    level = np.where(all_met, r, met.argmin(axis=2))

    nxt = np.take_along_axis(attainment, np.minimum(level, r - 1)[:, :, None], axis=2)[:, :, 0]
    partial = np.where(all_met | np.isnan(nxt), 0.0, nxt) / model.threshold
    has_score = defined.any(axis=2)
    scores[...] = np.where(has_score, level + partial, np.nan)
    levels[...] = np.where(has_score, level, -1)

    n_scored = has_score.sum(axis=1)
    total = np.where(has_score, scores, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall[...] = np.where(n_scored > 0, total / n_scored, np.nan)
