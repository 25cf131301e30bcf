"""Answers (link_id -> option key) to the answer matrix the engine scores."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from itertools import chain

import numpy as np

from assessor.questionnaires.definition import (
    AGREEMENT_VALUES,
    FACT_OPTIONS,
    NOT_HAPPENING,
    Questionnaire,
)

#: option key -> value 0..4; "don't know" is NaN, being unanswered everywhere, and "This does
#: not happen here" is 0 where a version offers it (scoring.md s.2).
_VALUE_OF_ALL: dict[str, float] = {
    key: math.nan if value is None else float(value) for key, value in AGREEMENT_VALUES.items()
}
_VALUE_OF: dict[str, float] = {k: v for k, v in _VALUE_OF_ALL.items() if k != NOT_HAPPENING[0]}
#: A fact item's yes, partly and no are 4, 2 and 0, so that value / 4 is their contribution.
_FACT_VALUE_OF: dict[str, float] = {
    key: math.nan if value is None else float(value) for key, _, value in FACT_OPTIONS
}


class _Values(dict[object, float]):
    """Option key -> value, and NaN for anything else (missing, None, an unknown key), so
    that encoding runs as C-level map() calls without a Python branch per answer."""

    def __missing__(self, key: object) -> float:
        return math.nan


_VALUES = _Values(_VALUE_OF)
_VALUES_WITH_NOT_HAPPENING = _Values(_VALUE_OF_ALL)
_FACT_VALUES = _Values(_FACT_VALUE_OF)


def encode_answers(
    q: Questionnaire,
    answers: Sequence[Mapping[str, str]],
    only: Collection[str] | None = None,
) -> np.ndarray:
    """(n_respondents, n_scored_items) float64, columns `q.scored_items` in order.

    A missing answer, "don't know", or anything that is not a scored option key of this
    version is NaN; "This does not happen here" is 0 in a version that offers it.
    With `only`, the items whose link_id is not in it are treated as unanswered: trends
    rescore both campaigns on their comparable items alone (scoring.md s.5).
    """
    link_ids: list[str | None] = [item.link_id for item in q.scored_items]
    if only is not None:
        kept = set(only)
        link_ids = [link_id if link_id in kept else None for link_id in link_ids]
    values = _VALUES_WITH_NOT_HAPPENING if q.not_happening else _VALUES
    facts = [c for c, item in enumerate(q.scored_items) if item.type == "fact"]
    if not facts:
        return _encode(answers, link_ids, values)
    # Each scale read with its own keys: an agreement key on a fact item is no answer.
    scale = [c for c in range(len(link_ids)) if c not in set(facts)]
    out = np.empty((len(answers), len(link_ids)))
    out[:, scale] = _encode(answers, [link_ids[c] for c in scale], values)
    out[:, facts] = _encode(answers, [link_ids[c] for c in facts], _FACT_VALUES)
    return out


def _encode(
    answers: Sequence[Mapping[str, str]], link_ids: list[str | None], values: _Values
) -> np.ndarray:
    n = len(answers)
    try:
        flat = np.fromiter(
            chain.from_iterable(
                map(values.__getitem__, map(answer.get, link_ids)) for answer in answers
            ),
            dtype=np.float64,
            count=n * len(link_ids),
        )
    except TypeError:
        # A value that is not hashable (a list, say) cannot be an option key: the slow path
        # checks each answer's type and treats anything but a string as unanswered.
        value_of = values.get
        nan = math.nan
        flat = np.fromiter(
            (
                value_of(key, nan) if isinstance(key := answer.get(link_id), str) else nan
                for answer in answers
                for link_id in link_ids
            ),
            dtype=np.float64,
            count=n * len(link_ids),
        )
    return flat.reshape(n, len(link_ids))


def answer_flags(
    q: Questionnaire, answers: Sequence[Mapping[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """(dont_know, not_happening) per respondent and scored item, each (n, I) bool, columns
    as `encode_answers`, for the answer profile (scoring.md s.3); "does not happen here"
    only where the version offers it."""
    link_ids = [item.link_id for item in q.scored_items]
    raw = np.array([[a.get(link) for link in link_ids] for a in answers], dtype=object)
    raw = raw.reshape(len(answers), len(link_ids))
    dont_know = raw == "dont_know"
    not_happening = raw == NOT_HAPPENING[0] if q.not_happening else np.zeros(raw.shape, bool)
    return dont_know, not_happening


def answer_kind_counts(
    q: Questionnaire, answers: Sequence[Mapping[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """(dont_know, not_happening) counts per scored item, summed over respondents. Its
    denominator, the respondents shown each item, is the caller's: only skip logic can hide
    an item, and that needs the whole response."""
    dont_know, not_happening = answer_flags(q, answers)
    return dont_know.sum(axis=0, dtype=np.int64), not_happening.sum(axis=0, dtype=np.int64)
