"""Respondent scoring (scoring.md s.2), vectorised over every respondent at once.

Respondents are scored in blocks of rows, small enough that a block's arrays stay in the CPU
cache; within a block every step is a whole-array numpy operation, and the only Python loops
run over rungs and domains, never over respondents. No step calls BLAS (a matrix product):
its threads spin on the cores that the web workers share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assessor.questionnaires.definition import Questionnaire

#: floor(x + LEVEL_EPS) is a level, so that floating-point noise never drops a 3 to level 2.
LEVEL_EPS = 1e-9
#: Values are compared with limits after both are rounded to this many decimals.
COMPARE_DECIMALS = 9
#: Respondents scored per block: a block's arrays then stay in the CPU's L2 cache and the
#: extra memory stays bounded, whatever the number of respondents.
BLOCK_ROWS = 1024
#: Where a (domain, rung) has several items, each answered item contributes PACK + value / 4
#: and an unanswered one 0, so that one sum carries both the count of answered items (the
#: multiple of PACK) and the sum of their contributions (the remainder: at most 1 per item,
#: so below PACK while a (domain, rung) has fewer than PACK items). Every number involved is
#: a small dyadic fraction, so the sums, the floor and the remainder are all exact.
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
    #: (R,) 2**(r-1) for rung r, as small unsigned integers: met rungs' bit code is a product.
    rung_bits: np.ndarray = field(init=False, repr=False, compare=False)
    #: The least attainment that meets the threshold as scoring.md compares them (both rounded
    #: to 9 decimals): rounding is monotone, so `a >= met_from` decides exactly as the rule.
    met_from: float = field(init=False, repr=False, compare=False)
    #: When every (domain, rung) has exactly one item: the item column of each, in the order
    #: of `gather`'s rows, so that attainment is that column's value / 4 (None otherwise).
    cell_column: np.ndarray | None = field(init=False, repr=False, compare=False)
    #: Whether `cell_column` is 0, 1, 2...: the items are the (domain, rung)s in order.
    cells_in_order: bool = field(init=False, repr=False, compare=False)
    #: `gather`'s first column with column 0 for a (domain, rung) that has no item, and those.
    first_slot: np.ndarray = field(init=False, repr=False, compare=False)
    empty_cells: np.ndarray = field(init=False, repr=False, compare=False)
    #: `gather`'s later columns without their padding: for each slot after the first, the
    #: (domain, rung) rows that have an item there (None for all of them) and those items.
    later_slots: tuple[tuple[np.ndarray | None, np.ndarray], ...] = field(
        init=False, repr=False, compare=False
    )
    #: The item columns of each domain.
    domain_columns: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)

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
        bits = (1 << np.arange(r)).astype(np.uint8 if r <= 8 else np.uint16)
        object.__setattr__(self, "rung_bits", bits)
        object.__setattr__(self, "met_from", met_from(self.threshold))
        one_each = bool((per_cell == 1).all())
        object.__setattr__(self, "cell_column", gather[:, 0].copy() if one_each else None)
        in_order = one_each and bool((gather[:, 0] == np.arange(d * r)).all())
        object.__setattr__(self, "cells_in_order", in_order)
        object.__setattr__(self, "first_slot", np.where(per_cell > 0, gather[:, 0], 0))
        object.__setattr__(self, "empty_cells", np.flatnonzero(per_cell == 0))
        later = []
        for j in range(1, gather.shape[1]):
            cells = np.flatnonzero(per_cell > j)
            later.append((None if cells.size == d * r else cells, gather[cells, j]))
        object.__setattr__(self, "later_slots", tuple(later))
        object.__setattr__(
            self, "domain_columns", tuple(np.flatnonzero(domain == j) for j in range(d))
        )

    @property
    def n_items(self) -> int:
        return int(self.item_domain.size)

    def shown_per_domain(self, shown: np.ndarray) -> np.ndarray:
        """(..., D) count of shown items per domain from a (..., I) bool mask."""
        counts = np.zeros((*shown.shape[:-1], self.n_domains))
        for d, columns in enumerate(self.domain_columns):
            counts[..., d] = np.count_nonzero(shown[..., columns], axis=-1)
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


def met_from(threshold: float) -> float:
    """The least float a >= 0 with round(a, 9) >= round(threshold, 9), rounded as the rule
    has always rounded them (numpy's round for a, Python's for the threshold): found by
    bisection on the bit patterns of non-negative floats, which sort as the floats do."""
    limit = round(threshold, COMPARE_DECIMALS)

    def meets(bits: int) -> bool:
        a = np.array([bits], dtype=np.int64).view(np.float64)
        return bool(np.round(a, COMPARE_DECIMALS)[0] >= limit)

    low, high = 0, int(np.array([1.0]).view(np.int64)[0])  # 1.0 meets any threshold <= 1
    if meets(low):
        return 0.0
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return float(np.array([high], dtype=np.int64).view(np.float64)[0])


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
    # Per domain, the fewest answered items that give a score (at least one), rounded as
    # the rule compares it; a count of items is a whole number, which rounding keeps.
    needed = np.round(
        np.maximum(model.shown_per_domain(shown) * model.min_answered_share, 1.0),
        COMPARE_DECIMALS,
    )
    n_resp = values.shape[0]
    d, r = model.n_domains, model.n_rungs
    attainment = np.empty((n_resp, d, r))
    levels = np.empty((n_resp, d), dtype=np.int64)
    scores = np.empty((n_resp, d))
    overall = np.empty(n_resp)
    for start in range(0, n_resp, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_resp)
        block = values[start:stop]
        if block.size:
            # fmin/fmax skip NaN (they return NaN only when everything is NaN)
            low, high = np.fmin.reduce(block, axis=None), np.fmax.reduce(block, axis=None)
            if low < 0 or high > MAX_VALUE:
                raise ValueError("answer values must lie in 0..4")
        attain = attainment[start:stop].reshape(stop - start, d * r)
        counts = _attainment(block, model, attain)
        _score_block(
            attain.reshape(stop - start, d, r),
            counts,
            model,
            needed if needed.ndim == 1 else needed[start:stop],
            levels[start:stop],
            scores[start:stop],
            overall[start:stop],
        )
    return RespondentScores(attainment, levels, scores, overall)


def _attainment(values: np.ndarray, model: ScoringModel, attain: np.ndarray) -> np.ndarray:
    """Write each (domain, rung)'s attainment into `attain` (n, D * R), NaN where none of
    its items is answered; return the (n, D) count of answered items per domain."""
    n, n_items = values.shape
    d, r = model.n_domains, model.n_rungs
    if model.cell_column is not None:
        # One item per (domain, rung): the attainment is its value / 4, NaN when unanswered.
        if model.cells_in_order:
            np.multiply(values, 0.25, out=attain)
        else:
            np.take(values, model.cell_column, axis=1, out=attain)
            attain *= 0.25
        answered = np.equal(attain, attain).reshape(n, d, r)
        counts = answered[:, :, 0].astype(np.int64)
        for j in range(1, r):
            counts += answered[:, :, j]
        return counts

    if n_items == 0:
        attain[...] = np.nan
        return np.zeros((n, d))
    # PACK + value / 4 per answered item, 0 per unanswered one.
    encoded = values * 0.25
    encoded += PACK
    np.copyto(encoded, 0.0, where=np.isnan(encoded))
    # Slot by slot: each (domain, rung)'s first item (0 where it has none), then its second
    # where it has one, and so on; exact in any order (see PACK).
    packed = np.take(encoded, model.first_slot, axis=1)
    packed[:, model.empty_cells] = 0.0
    for cells, columns in model.later_slots:
        if cells is None:
            packed += np.take(encoded, columns, axis=1)
        else:
            packed[:, cells] += np.take(encoded, columns, axis=1)
    per_rung = np.floor(packed * (1.0 / PACK))
    packed -= per_rung * PACK  # now the sums of contributions
    with np.errstate(invalid="ignore"):
        # 0 / 0 = NaN: a rung with no answered item has undefined attainment.
        np.divide(packed, per_rung, out=attain)
    per_rung = per_rung.reshape(n, d, r)
    counts = per_rung[:, :, 0].copy()
    for j in range(1, r):
        counts += per_rung[:, :, j]
    return counts


def _score_block(
    attain: np.ndarray,
    counts: np.ndarray,
    model: ScoringModel,
    needed: np.ndarray,
    levels: np.ndarray,
    scores: np.ndarray,
    overall: np.ndarray,
) -> None:
    n, d, r = attain.shape
    # NaN compares False, so an undefined rung is never met.
    met = attain >= model.met_from
    # Bit r-1 set when rung r is met: a product of 0/1 bytes with powers of two, in integers
    # (numpy's own loop, not BLAS).
    level = model.level_of_code.take(met.view(np.uint8) @ model.rung_bits)

    # a(d, L+1), the first rung not met; nothing to add when L = R (rung R is met, so not
    # below met_from) or when a(d, L+1) is undefined (NaN compares False).
    first_unmet = np.minimum(level, r - 1)
    first_unmet += np.arange(0, n * d * r, r).reshape(n, d)
    following = attain.reshape(-1).take(first_unmet)
    partial = np.where(following < model.met_from, following, 0.0)
    partial /= model.threshold
    # Rule set 2: at least half of the domain's shown items answered (and at least one).
    answered = counts >= needed
    score = level + partial
    scores[...] = np.where(answered, score, np.nan)
    levels[...] = np.where(answered, level, -1)

    # The mean of the domain scores that exist, added domain by domain from the first, so
    # that the sum is the same to the last bit whatever numpy's reduction order.
    present = np.where(answered, score, 0.0)
    total = present[:, 0].copy()
    n_scored = answered[:, 0].astype(np.int64)
    for j in range(1, d):
        total += present[:, j]
        n_scored += answered[:, j]
    with np.errstate(invalid="ignore"):
        np.divide(total, n_scored, out=overall)


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
