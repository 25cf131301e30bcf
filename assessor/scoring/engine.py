"""Respondent scoring (scoring.md s.2), vectorised over every respondent at once.

Respondents are scored in blocks of rows; within a block every step is a whole-array numpy
operation, and the only Python loops run over items per (domain, rung), rungs and domains,
never over respondents. The per-(domain, rung) sums and counts come from one column gather
(see `ScoringModel.gather`) rather than a product with a 0/1 indicator matrix: the result is
the same, but BLAS is left out, because a multi-threaded BLAS called block after block keeps
its worker threads spinning on the cores that the web workers share, which made scoring two to
four times slower, and erratic, on a busy machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assessor.questionnaires.definition import Questionnaire

#: floor(x + LEVEL_EPS) is a level, so that floating-point noise never drops a 3 to level 2.
LEVEL_EPS = 1e-9
#: Values are compared with limits after both are rounded to this many decimals.
COMPARE_DECIMALS = 9
#: Respondents scored per block: the intermediate arrays then stay in the CPU cache and the
#: extra memory stays bounded, whatever the number of respondents.
BLOCK_ROWS = 4096
#: Each answered item contributes PACK + value / 4, an unanswered one 0, so that one sum
#: carries both the count of answered items (the multiple of PACK) and the sum of their
#: contributions (the remainder: at most 1 per item, so below PACK while a (domain, rung) has
#: fewer than PACK items). Every number involved is a small dyadic fraction, so the sums, the
#: floor and the remainder are all exact.
PACK = 1024.0
#: Levels are read from a table of 2**R entries indexed by the bit code of the met rungs.
MAX_RUNGS = 16
MAX_VALUE = 4.0


@dataclass(frozen=True)
class ScoringModel:
    """What the engine needs of a questionnaire version: one column per scored item."""

    item_domain: np.ndarray
    item_rung: np.ndarray
    n_domains: int
    n_rungs: int
    threshold: float
    #: A domain has a score only when the respondent answered at least this share of the
    #: scored items they were shown there (rule set 2: half; rule set 1: any one, share 0).
    min_answered_share: float = 0.5
    #: (D * R, m) item columns of each (domain d, rung r) at row d * R + r - 1, m being the
    #: most items any (domain, rung) has; shorter rows are padded with n_items, a column that
    #: is always 0 (unanswered).
    gather: np.ndarray = field(init=False, repr=False, compare=False)
    #: (2**R,) level of each bit code of met rungs (bit r-1 set when rung r is met): the number
    #: of its trailing 1 bits, that is of met rungs counted from the bottom.
    level_of_code: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        domain = np.asarray(self.item_domain, dtype=np.int64)
        rung = np.asarray(self.item_rung, dtype=np.int64)
        d, r = int(self.n_domains), int(self.n_rungs)
        if domain.shape != rung.shape or domain.ndim != 1:
            raise ValueError("item_domain and item_rung must be 1-D arrays of the same length")
        if d < 1 or not 1 <= r <= MAX_RUNGS:
            raise ValueError(f"a model needs at least one domain and 1..{MAX_RUNGS} rungs")
        if domain.size and (domain.min() < 0 or domain.max() >= d):
            raise ValueError("item_domain must lie in 0..n_domains-1")
        if rung.size and (rung.min() < 1 or rung.max() > r):
            raise ValueError("item_rung must lie in 1..n_rungs")
        if not 0 < self.threshold <= 1:
            raise ValueError("threshold must lie in (0, 1]")
        if not 0 <= self.min_answered_share <= 1:
            raise ValueError("min_answered_share must lie in [0, 1]")

        cell = domain * r + rung - 1
        per_cell = np.bincount(cell, minlength=d * r)
        if per_cell.max() >= PACK:
            raise ValueError(f"a (domain, rung) may have at most {int(PACK) - 1} items")
        gather = np.full((d * r, max(1, int(per_cell.max()))), domain.size, dtype=np.intp)
        slot = np.zeros(d * r, dtype=np.intp)
        for item, c in enumerate(cell.tolist()):
            gather[c, slot[c]] = item
            slot[c] += 1

        codes = np.arange(2**r)
        level_of_code = np.zeros(2**r, dtype=np.int64)
        leading = np.ones(2**r, dtype=bool)
        for bit in range(r):
            leading &= (codes >> bit) & 1 == 1
            level_of_code += leading

        object.__setattr__(self, "item_domain", domain)
        object.__setattr__(self, "item_rung", rung)
        object.__setattr__(self, "n_domains", d)
        object.__setattr__(self, "n_rungs", r)
        object.__setattr__(self, "threshold", float(self.threshold))
        object.__setattr__(self, "min_answered_share", float(self.min_answered_share))
        object.__setattr__(self, "gather", gather)
        object.__setattr__(self, "level_of_code", level_of_code)

    @property
    def n_items(self) -> int:
        return int(self.item_domain.size)

    def shown_per_domain(self, shown: np.ndarray) -> np.ndarray:
        """(..., D) count of shown items per domain from a (..., I) bool mask."""
        counts = np.zeros((*shown.shape[:-1], self.n_domains))
        for d in range(self.n_domains):
            counts[..., d] = shown[..., self.item_domain == d].sum(axis=-1)
        return counts

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


def score_respondents(
    values: np.ndarray, model: ScoringModel, shown: np.ndarray | None = None
) -> RespondentScores:
    """Score every respondent. `values` is (n_resp, n_items), answer values 0..4, NaN for
    unanswered or "don't know" (both count as unanswered, scoring.md s.2). `shown` says
    which items each respondent was shown: (n_resp, n_items) or one (n_items,) row for all,
    bool; None when every item was shown. An item not shown must be NaN in `values`."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != model.n_items:
        raise ValueError(f"values must have shape (n_respondents, {model.n_items})")
    if shown is None:
        shown = np.ones(model.n_items, dtype=bool)
    shown = np.asarray(shown, dtype=bool)
    if shown.shape not in ((model.n_items,), values.shape):
        raise ValueError("shown must have shape (n_items,) or that of values")
    # Per domain, the fewest answered items that give a score (at least one).
    needed = np.maximum(model.shown_per_domain(shown) * model.min_answered_share, 1.0)
    if values.size:
        # fmin/fmax skip NaN (they return NaN only when everything is NaN)
        low, high = np.fmin.reduce(values, axis=None), np.fmax.reduce(values, axis=None)
        if low < 0 or high > MAX_VALUE:
            raise ValueError("answer values must lie in 0..4")
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
            needed if needed.ndim == 1 else needed[start:stop],
            attainment[start:stop],
            levels[start:stop],
            scores[start:stop],
            overall[start:stop],
        )
    return RespondentScores(attainment, levels, scores, overall)


def _score_block(
    values: np.ndarray,
    model: ScoringModel,
    needed: np.ndarray,
    attainment: np.ndarray,
    levels: np.ndarray,
    scores: np.ndarray,
    overall: np.ndarray,
) -> None:
    n, n_items = values.shape
    d, r = model.n_domains, model.n_rungs

    # PACK + value / 4 per answered item, 0 per unanswered one, then a zero padding column.
    encoded = np.empty((n, n_items + 1))
    answers = encoded[:, :n_items]
    np.multiply(values, 0.25, out=answers)
    answers += PACK
    np.copyto(answers, 0.0, where=np.isnan(answers))
    encoded[:, n_items] = 0.0

    gathered = np.take(encoded, model.gather.ravel(), axis=1).reshape(n, d * r, -1)
    packed = gathered.sum(axis=2)  # exact in any order (see PACK)
    counts = np.floor(packed * (1.0 / PACK))
    packed -= counts * PACK  # now the sums of contributions
    with np.errstate(invalid="ignore"):
        # 0 / 0 = NaN: a rung with no answered item has undefined attainment.
        attain = np.divide(packed, counts, out=packed).reshape(n, d, r)
    attainment[...] = attain

    # NaN compares False, so an undefined rung is never met.
    met = np.round(attain, COMPARE_DECIMALS) >= round(model.threshold, COMPARE_DECIMALS)
    # Bit r-1 set when rung r is met (a sum of distinct powers of two).
    code = (met.astype(np.intp) << np.arange(r)).sum(axis=2)
    # Rule set 2: at least half of the domain's shown items answered (and at least one).
    answered = np.round(counts.reshape(n, d, r).sum(axis=2), COMPARE_DECIMALS) >= np.round(
        needed, COMPARE_DECIMALS
    )
    level = model.level_of_code[code]

    # a(d, L+1), the first rung not met; nothing to add when L = R or a(d, L+1) is undefined.
    first_unmet = np.arange(0, n * d * r, r).reshape(n, d) + np.minimum(level, r - 1)
    following = attain.ravel()[first_unmet]
    partial = np.where((level < r) & (following == following), following, 0.0)
    partial /= model.threshold
    scores[...] = np.where(answered, level + partial, np.nan)
    levels[...] = np.where(answered, level, -1)

    # The mean of the domain scores that exist, added domain by domain from the first
    # (accumulate is sequential, so the sum is the same to the last bit whatever numpy's
    # reduction order).
    total = np.add.accumulate(np.where(answered, scores, 0.0), axis=1)[:, -1]
    with np.errstate(invalid="ignore"):
        overall[...] = total / answered.sum(axis=1)


@dataclass(frozen=True)
class RungProfileCounts:
    """Per (domain, rung), summed over respondents: how many meet the rung and how many have
    a defined attainment there (scoring.md s.3, rung profile: met_share = met / defined)."""

    met: np.ndarray
    defined: np.ndarray


def rung_flags(attainment: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(defined, met) per respondent, domain and rung, each (n, D, R) bool: unlike the level,
    a rung counts as met here whether or not the rungs below it are, so the rung profile
    shows strengths above an unmet rung (scoring.md s.3)."""
    defined = ~np.isnan(attainment)
    met = defined & (
        np.round(np.where(defined, attainment, 0.0), COMPARE_DECIMALS)
        >= round(threshold, COMPARE_DECIMALS)
    )
    return defined, met


def rung_profile_counts(scores: RespondentScores, threshold: float) -> RungProfileCounts:
    """Counts for the rung profile (met_share = met / defined), summed over respondents."""
    defined, met = rung_flags(scores.attainment, threshold)
    return RungProfileCounts(
        met=met.sum(axis=0, dtype=np.int64), defined=defined.sum(axis=0, dtype=np.int64)
    )
