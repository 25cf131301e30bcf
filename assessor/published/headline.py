"""The message first: one sentence in words that opens every organisation page (public and
board), before any number. It says the organisation's level in words, how it compares with
similar organisations (its peer group) and whether patient leaders see less sharing of power
than staff, and gives the level's meaning to put beside it.

Like the readings, it counts; it never computes a statistic. "Higher" or "lower" than similar
organisations is said only when the organisation's 95% interval leaves out their median;
otherwise "about the same". The numbers and intervals follow on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessor.questionnaires.definition import Questionnaire
from assessor.results.records import GroupResult, OrgResult
from assessor.web.presentation import level_label, reason_text

#: What level 0 (below the first rung) means, in the rungs' own plain words.
NOT_YET_MEANING = (
    "Patients and the public are told about decisions, but are not yet asked for their views"
    " in a way that can change them."
)
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


@dataclass(frozen=True)
class Headline:
    sentence: str
    level: str | None
    meaning: str | None


def level_meaning(q: Questionnaire, level: int | None) -> str | None:
    if level is None:
        return None
    return NOT_YET_MEANING if level == 0 else q.rungs[level - 1].description or None


def _compared(item: OrgResult, peers: GroupResult | None) -> str | None:
    overall = item.overall
    median = peers.overall.median if peers is not None else None
    if overall.suppressed or median is None or overall.ci95 is None:
        return None
    low, high = overall.ci95
    if low > median:
        return "Higher than most similar organisations."
    if high < median:
        return "Lower than most similar organisations."
    return "About the same as similar organisations."


def _areas(n: int, total: int) -> str:
    if n == total:
        return f"all {NUMBER_WORDS.get(n, str(n))} areas" if n > 1 else "the one area"
    return f"{n} of {total} areas"


def _gap(item: OrgResult) -> str | None:
    shown = [g for g in item.gap.domains.values() if not g.suppressed]
    if not shown:
        return None
    less = sum(1 for g in shown if round(g.staff_minus_patient_leader or 0, 2) > 0)
    more = sum(1 for g in shown if round(g.staff_minus_patient_leader or 0, 2) < 0)
    n = len(shown)
    if less == 0 and more == 0:
        return "Patient leaders and staff see the same sharing of power."
    if less >= more:
        return f"Patient leaders see less sharing of power than staff in {_areas(less, n)}."
    return f"Patient leaders see more sharing of power than staff in {_areas(more, n)}."


def headline(item: OrgResult, q: Questionnaire, peers: GroupResult | None, k: int) -> Headline:
    """The opening sentence of an organisation page and the meaning of its level."""
    name = item.organisation.name
    overall = item.overall
    if overall.suppressed:
        why = reason_text(overall.reason, k).removeprefix("Not shown").strip(" ()")
        sentence = [f"{name}: not rated{f' ({why})' if why else ''}."]
        level = meaning = None
    else:
        level = level_label(q, overall.level)
        meaning = level_meaning(q, overall.level)
        sentence = [f"{name}: {level}."]
    compared = None if overall.suppressed else _compared(item, peers)
    if compared:
        sentence.append(compared)
    gap = _gap(item)
    if gap:
        sentence.append(gap)
    return Headline(" ".join(sentence), level, meaning)
