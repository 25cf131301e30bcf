"""Which items and domains of two questionnaire versions measure the same thing (scoring.md
section 5, rule set 2), so that a trend across a version change compares like with like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessor.questionnaires.definition import Item, Questionnaire


@dataclass(frozen=True)
class Comparability:
    #: link_ids of current scored items common to the previous version: same concept,
    #: domain, rung, type, wording and answer options as a previous scored item.
    comparable_items: frozenset[str]
    #: link_ids of those previous items.
    previous_items: frozenset[str]
    #: current domains (in the current version's order) where every rung has at least one
    #: common item: the trended domains.
    comparable_domains: tuple[str, ...]
    #: common scored items / all scored items of the current version (reported, not tested).
    comparable_fraction: float
    #: same rung keys in the same order, and the same threshold.
    same_ladder: bool
    #: at least one domain is trended.
    trend_possible: bool
    #: overall is trended only when every domain is.
    overall_trended: bool
    #: the common items of trended domains, on each side: respondents of both campaigns are
    #: rescored on these alone.
    items_for_rescoring_current: frozenset[str]
    items_for_rescoring_previous: frozenset[str]


def _words(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def signature(item: Item) -> tuple[Any, ...]:
    """What must be equal for an item to be common to two versions: a reworded item
    measures something else, however close (the NHS Staff Survey drops a question's trend
    when its wording changes)."""
    return (
        item.concept,
        item.domain,
        item.rung,
        item.type,
        _words(item.text),
        tuple(sorted((a, _words(t)) for a, t in item.text_for.items())),
        _words(item.help),
        item.answer_values(),
    )


def compare(current: Questionnaire, previous: Questionnaire) -> Comparability:
    same_ladder = current.rung_keys == previous.rung_keys and round(current.threshold, 9) == round(
        previous.threshold, 9
    )
    # A concept appears once per version (the loader enforces it), so each current item
    # has at most one counterpart.
    previous_by_concept = {item.concept: item for item in previous.scored_items}
    pairs: dict[str, str] = {}
    for item in current.scored_items:
        match = previous_by_concept.get(item.concept)
        if match is not None and signature(match) == signature(item):
            pairs[item.link_id] = match.link_id

    covered = {(item.domain, item.rung) for item in current.scored_items if item.link_id in pairs}
    comparable_domains = (
        tuple(
            domain
            for domain in current.domain_keys
            if all((domain, rung) in covered for rung in current.rung_keys)
        )
        if same_ladder
        else ()
    )
    in_domains = {
        item.link_id
        for item in current.scored_items
        if item.link_id in pairs and item.domain in comparable_domains
    }
    scored = len(current.scored_items)
    return Comparability(
        comparable_items=frozenset(pairs),
        previous_items=frozenset(pairs.values()),
        comparable_domains=comparable_domains,
        comparable_fraction=len(pairs) / scored if scored else 0.0,
        same_ladder=same_ladder,
        trend_possible=bool(comparable_domains),
        overall_trended=len(comparable_domains) == len(current.domain_keys) > 0,
        items_for_rescoring_current=frozenset(in_domains),
        items_for_rescoring_previous=frozenset(pairs[link_id] for link_id in in_domains),
    )
