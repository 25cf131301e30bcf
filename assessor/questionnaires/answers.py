"""Which items a respondent is shown, given their answers so far."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessor.questionnaires.definition import Questionnaire


def visible(q: Questionnaire, answers: Mapping[str, Any], link_id: str) -> bool:
    """Whether an item is shown, given the answers so far (its enable_when, recursively:
    an item that depends on a hidden item is hidden too)."""
    item = q.item(link_id)
    condition = item.enable_when
    if condition is None:
        return True
    if not visible(q, answers, condition.link_id):
        return False
    return answers.get(condition.link_id) == condition.answer
