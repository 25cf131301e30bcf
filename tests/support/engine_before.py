"""The scoring engine's block step as it was before issue 18 made it faster (column gather
of packed values for every model, levels from a table of met-rung bit codes, each limit
compared after rounding both sides): an oracle for the fast paths, which must give the same
numbers to the last bit on every answer the encoder can produce."""

from __future__ import annotations

import numpy as np

from assessor.scoring.engine import (
    COMPARE_DECIMALS,
    PACK,
    RespondentScores,
    ScoringModel,
)


def score_respondents(
    values: np.ndarray, model: ScoringModel, shown: np.ndarray | None = None
) -> RespondentScores:
    values = np.asarray(values, dtype=np.float64)
    d, r = model.n_domains, model.n_rungs
    if shown is None:
        shown = np.ones(model.n_items, dtype=bool)
    shown = np.asarray(shown, dtype=bool)
    shown_per_domain = np.zeros((*shown.shape[:-1], d))
    for j in range(d):
        shown_per_domain[..., j] = shown[..., model.item_domain == j].sum(axis=-1)
    needed = np.maximum(shown_per_domain * model.min_answered_share, 1.0)
    n = values.shape[0]

    # (D * R, m) item columns per (domain, rung), padded with the always-0 column n_items.
    cell = model.item_domain * r + model.item_rung - 1
    per_cell = np.bincount(cell, minlength=d * r)
    gather = np.full((d * r, max(1, int(per_cell.max(initial=0)))), model.n_items, dtype=np.intp)
    slot = np.zeros(d * r, dtype=np.intp)
    for item, c in enumerate(cell.tolist()):
        gather[c, slot[c]] = item
        slot[c] += 1
    # level of each bit code of met rungs: its trailing 1 bits
    codes = np.arange(2**r)
    level_of_code = np.zeros(2**r, dtype=np.int64)
    leading = np.ones(2**r, dtype=bool)
    for bit in range(r):
        leading &= (codes >> bit) & 1 == 1
        level_of_code += leading

    encoded = np.empty((n, model.n_items + 1))
    answers = encoded[:, : model.n_items]
    np.multiply(values, 0.25, out=answers)
    answers += PACK
    np.copyto(answers, 0.0, where=np.isnan(answers))
    encoded[:, model.n_items] = 0.0
    packed = np.take(encoded, gather.ravel(), axis=1).reshape(n, d * r, -1).sum(axis=2)
    counts = np.floor(packed * (1.0 / PACK))
    packed -= counts * PACK
    with np.errstate(invalid="ignore"):
        attain = np.divide(packed, counts, out=packed).reshape(n, d, r)

    met = np.round(attain, COMPARE_DECIMALS) >= round(model.threshold, COMPARE_DECIMALS)
    code = (met.astype(np.intp) << np.arange(r)).sum(axis=2)
    answered = np.round(counts.reshape(n, d, r).sum(axis=2), COMPARE_DECIMALS) >= np.round(
        needed, COMPARE_DECIMALS
    )
    level = level_of_code[code]
    first_unmet = np.arange(0, n * d * r, r).reshape(n, d) + np.minimum(level, r - 1)
    following = attain.ravel()[first_unmet]
    partial = np.where((level < r) & (following == following), following, 0.0)
    partial /= model.threshold
    scores = np.where(answered, level + partial, np.nan)
    levels = np.where(answered, level, -1)
    total = np.add.accumulate(np.where(answered, scores, 0.0), axis=1)[:, -1]
    with np.errstate(invalid="ignore"):
        overall = total / answered.sum(axis=1)
    return RespondentScores(attain, levels, scores, overall)
