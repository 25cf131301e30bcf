"""Scoring many respondents for the cells: the engine's model and comparisons built once
per definition, the keys of a cell's measures and profile counts, and how a campaign's
trend compares with its previous one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assessor.models import Campaign
from assessor.questionnaires.answers import visible
from assessor.questionnaires.comparability import Comparability, compare
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.publishing import definition_of
from assessor.results.snapshot import OVERALL
from assessor.scoring.encoding import answer_flags, encode_answers
from assessor.scoring.engine import ScoringModel, rung_flags, score_respondents


def measures_of(q: Questionnaire) -> list[str]:
    return [OVERALL, *q.domain_keys]


def rung_keys_of(q: Questionnaire) -> list[str]:
    return [f"rung:{d}:{r}" for d in q.domain_keys for r in q.rung_keys]


def item_keys_of(q: Questionnaire) -> list[str]:
    return [f"item:{item.link_id}" for item in q.scored_items]


def detail_keys_of(q: Questionnaire) -> list[str]:
    return [*rung_keys_of(q), *item_keys_of(q)]


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Scored:
    """Scores of many respondents: `scores` (n, 1 + D), overall then each domain, NaN where a
    respondent has no score; `details` (n, K, 5): per detail key the increments of n, a, b, c
    and total (see models.results.Cell)."""

    scores: np.ndarray
    details: np.ndarray | None


_MODELS: dict[int, tuple[Questionnaire, ScoringModel]] = {}
_COMPARISONS: dict[tuple[int, int], tuple[Questionnaire, Questionnaire, Comparability]] = {}


def scoring_model(q: Questionnaire) -> ScoringModel:
    """The engine's model of a questionnaire, built once per definition (definitions are
    cached and immutable, so identity is a safe key while the entry holds them)."""
    found = _MODELS.get(id(q))
    if found is None or found[0] is not q:
        found = _MODELS[id(q)] = (q, ScoringModel.from_questionnaire(q))
    return found[1]


def comparability(current: Questionnaire, previous: Questionnaire) -> Comparability:
    found = _COMPARISONS.get((id(current), id(previous)))
    if found is None or found[0] is not current or found[1] is not previous:
        found = _COMPARISONS[(id(current), id(previous))] = (
            current,
            previous,
            compare(current, previous),
        )
    return found[2]


def score_answers(
    q: Questionnaire,
    answers_list: Sequence[dict[str, Any]],
    only: Iterable[str] | None = None,
    details: bool = False,
) -> Scored:
    kept = None if only is None else frozenset(only)
    values = encode_answers(q, answers_list, only=kept)
    shown = shown_items(q, answers_list, kept)
    scored = score_respondents(values, scoring_model(q), shown)
    scores = np.column_stack([scored.overall, scored.domain_scores])
    if not details:
        return Scored(scores, None)
    n = len(answers_list)
    defined, met = rung_flags(scored.attainment, q.threshold)
    rungs = np.zeros((n, defined.shape[1] * defined.shape[2], 5))
    rungs[:, :, 0] = defined.reshape(n, -1)
    rungs[:, :, 1] = met.reshape(n, -1)
    dont_know, not_happening = answer_flags(q, answers_list)
    has_value = ~np.isnan(values)
    items = np.zeros((n, len(q.scored_items), 5))
    items[:, :, 0] = shown
    items[:, :, 1] = dont_know
    items[:, :, 2] = not_happening
    items[:, :, 3] = has_value
    items[:, :, 4] = np.where(has_value, values / 4.0, 0.0)
    return Scored(scores, np.concatenate([rungs, items], axis=1))


def shown_items(
    q: Questionnaire, answers_list: Sequence[dict[str, Any]], only: frozenset[str] | None = None
) -> np.ndarray:
    """Which scored items each respondent was shown, (n, I) bool: skip logic hides some, and
    a trend's rescoring treats every item outside `only` as not shown (scoring.md s.5)."""
    items = q.scored_items
    shown = np.ones((len(answers_list), len(items)), dtype=bool)
    for c, item in enumerate(items):
        if only is not None and item.link_id not in only:
            shown[:, c] = False
        elif item.enable_when is not None:
            shown[:, c] = [visible(q, answers, item.link_id) for answers in answers_list]
    return shown


def respondent_scores(
    q: Questionnaire, answers_list: Sequence[dict[str, Any]], only: Iterable[str] | None = None
) -> np.ndarray:
    """Scores of many respondents as a (n, 1 + D) array: overall, then each domain."""
    return score_answers(q, answers_list, only).scores


def scores_dicts(q: Questionnaire, scores: np.ndarray) -> list[dict[str, Any]]:
    """Rows of respondent scores as stored JSON: NaN becomes null."""
    keys = q.domain_keys
    cells = np.where(np.isnan(scores), None, scores).tolist()
    return [{OVERALL: row[0], "domains": dict(zip(keys, row[1:], strict=True))} for row in cells]


# --------------------------------------------------------------------------- trend context


@dataclass(frozen=True)
class TrendContext:
    previous: Campaign
    comparability: Comparability


def trend_context(campaign: Campaign) -> TrendContext | None:
    """How this campaign compares with its previous one, or None with no previous."""
    if campaign.previous_id is None or campaign.previous is None:
        return None
    return TrendContext(
        previous=campaign.previous,
        comparability=comparability(
            definition_of(campaign.questionnaire), definition_of(campaign.previous.questionnaire)
        ),
    )


def comparable_context(campaign: Campaign) -> TrendContext | None:
    """The trend context of a campaign whose previous one it can be compared with."""
    context = trend_context(campaign)
    return context if context is not None and context.comparability.trend_possible else None
