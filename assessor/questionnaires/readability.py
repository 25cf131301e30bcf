"""Flesch reading ease of questionnaire texts, for authors (questionnaire-format.md).

GOV.UK and NHS guidance aim at a reading age of about 9; a reading ease of 60 or more is
plain English. The score is advice shown by `assessor questionnaires validate`, never a
reason to refuse a file. textstat is pinned to 0.7.4: later releases fetch a word list
through nltk on first use, which fails offline; 0.7.4 counts syllables with pyphen alone.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import textstat

from assessor.questionnaires.definition import Questionnaire

#: Below this, `validate` warns: harder than plain English for the public.
PLAIN_ENGLISH = 60.0


def reading_ease(text: str) -> float:
    """Flesch reading ease of a text (higher is easier; 60-70 is plain English)."""
    return float(textstat.flesch_reading_ease(" ".join(text.split())))


@dataclass(frozen=True)
class ItemEase:
    link_id: str
    #: None for the wording everyone sees, else the audience of a `text_for` wording.
    audience: str | None
    scored: bool
    ease: float

    @property
    def label(self) -> str:
        return self.link_id if self.audience is None else f"{self.link_id} ({self.audience})"


def item_eases(q: Questionnaire) -> list[ItemEase]:
    """Every wording of every item, in the file's order."""
    out: list[ItemEase] = []
    for item in q.items:
        out.append(ItemEase(item.link_id, None, item.scored, reading_ease(item.text)))
        for audience, text in item.text_for.items():
            out.append(ItemEase(item.link_id, audience, item.scored, reading_ease(text)))
    return out


def summary(eases: list[ItemEase]) -> tuple[float, ItemEase] | None:
    """(mean, the hardest) over the scored wordings; None when there are none."""
    scored = [e for e in eases if e.scored]
    if not scored:
        return None
    return statistics.fmean(e.ease for e in scored), min(scored, key=lambda e: e.ease)
