"""How a questionnaire is cut into survey pages, and how answers are shown back.

One page per domain (a long domain cut into parts of at most `MAX_STATEMENTS`), in the
questionnaire's order, then one page for the items outside any domain (unscored questions).
A page shows only the items whose enable_when holds given the saved answers, so follow-up
questions appear without JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessor.questionnaires.answers import visible
from assessor.questionnaires.definition import NOT_HAPPENING, Item, Questionnaire

OTHER_TITLE = "A few more questions"
OTHER_DESCRIPTION = (
    "These questions are not part of the scores. Answer as many or as few as you like."
)
AUDIENCE_NAMES = {"staff": "staff", "patient_leader": "patient leaders"}


@dataclass(frozen=True)
class SurveyPage:
    number: int
    title: str
    description: str
    items: tuple[Item, ...]

    def shown(self, q: Questionnaire, answers: Mapping[str, Any]) -> list[Item]:
        return [item for item in self.items if visible(q, answers, item.link_id)]


#: At most this many statements on a page: a domain with more is cut into equal parts, in
#: its order (v3's domains of 10-13 statements had made a first page 5,666 px tall on a
#: phone; v1's and v2's domains of 5-6 keep one page each).
MAX_STATEMENTS = 7


def survey_pages(q: Questionnaire) -> list[SurveyPage]:
    pages: list[SurveyPage] = []
    for d in q.domains:
        items = tuple(i for i in q.items if i.domain == d.key)
        parts = max(1, math.ceil(len(items) / MAX_STATEMENTS))
        size = math.ceil(len(items) / parts) if items else 0
        for part in range(parts):
            title = d.title if parts == 1 else f"{d.title} (part {part + 1} of {parts})"
            chunk = items[part * size : (part + 1) * size]
            pages.append(SurveyPage(len(pages) + 1, title, d.description, chunk))
    others = tuple(item for item in q.items if item.domain is None)
    if others:
        pages.append(SurveyPage(len(pages) + 1, OTHER_TITLE, OTHER_DESCRIPTION, others))
    return pages


def options_of(item: Item) -> list[tuple[str, str]]:
    """Every answer of an item as (key, label), in the order the page shows them."""
    if item.scored:
        return [(key, label) for key, label, _ in item.agreement_options()]
    return [(option.key, option.label) for option in item.options]


def split_options(item: Item) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the scale, the answers shown apart from it after an "or"): "This does not happen
    here" is not a point on the agreement scale, so it is not drawn as one."""
    options = options_of(item)
    apart = [option for option in options if option[0] == NOT_HAPPENING[0]]
    return [option for option in options if option not in apart], apart


def answer_label(item: Item, answer: str | None) -> str | None:
    """The words a respondent chose (None when unanswered)."""
    if answer in (None, ""):
        return None
    if item.type == "text":
        return answer
    return dict(options_of(item)).get(answer, answer)


def field_message(item: Item) -> str:
    """A plain-English message for an answer the service refused. The only refusals a page
    can cause are an option that is not on the list (a tampered form) and an over-long
    text answer."""
    if item.type == "text":
        return "Your answer must be 5,000 characters or fewer"
    return "Choose one of the answers listed"


def estimated_minutes(q: Questionnaire) -> int:
    """About 20 seconds a statement and a minute for each free-text question, rounded up to
    five minutes: enough for the start page to say "about 15 minutes"."""
    seconds = sum(60 if item.type == "text" else 20 for item in q.items)
    return max(5, -(-seconds // 300) * 5)
