"""Which items and domains of two questionnaire versions measure the same thing
(scoring.md section 5), so that a trend across a version change compares like with like."""

from __future__ import annotations

from dataclasses import dataclass

from assessor.questionnaires.definition import Questionnaire

#: The share of the current version's scored items that must be comparable for a trend.
MIN_COMPARABLE_FRACTION = 0.6


@dataclass(frozen=True)
class Comparability:
    #: link_ids of current scored items whose concept, domain and rung a previous scored
    #: item shares.
    comparable_items: frozenset[str]
    #: link_ids of those previous items.
    previous_items: frozenset[str]
    #: current domains (in the current version's order) where every rung has at least one
    #: comparable item.
    comparable_domains: tuple[str, ...]
    #: comparable scored items / all scored items of the current version.
    comparable_fraction: float
    #: same rung keys in the same order, and the same threshold.
    same_ladder: bool
    trend_possible: bool
    #: the comparable items of comparable domains, on each side: respondents of both
    #: campaigns are rescored on these alone.
    items_for_rescoring_current: frozenset[str]
    items_for_rescoring_previous: frozenset[str]


def compare(current: Questionnaire, previous: Questionnaire) -> Comparability:
    # A concept appears once per version (the loader enforces it), so each current item
    # has at most one counterpart.
    previous_by_concept = {item.concept: item for item in previous.scored_items}
    pairs: dict[str, str] = {}
    for item in current.scored_items:
        match = previous_by_concept.get(item.concept)
        if match is not None and match.domain == item.domain and match.rung == item.rung:
            pairs[item.link_id] = match.link_id

    covered = {(item.domain, item.rung) for item in current.scored_items if item.link_id in pairs}
    comparable_domains = tuple(
        domain
        for domain in current.domain_keys
        if all((domain, rung) in covered for rung in current.rung_keys)
    )
    in_domains = {
        item.link_id
        for item in current.scored_items
        if item.link_id in pairs and item.domain in comparable_domains
    }

    scored = len(current.scored_items)
    fraction = len(pairs) / scored if scored else 0.0
    same_ladder = current.rung_keys == previous.rung_keys and round(current.threshold, 9) == round(
        previous.threshold, 9
    )
    return Comparability(
        comparable_items=frozenset(pairs),
        previous_items=frozenset(pairs.values()),
        comparable_domains=comparable_domains,
        comparable_fraction=fraction,
        same_ladder=same_ladder,
        trend_possible=same_ladder and round(fraction, 9) >= MIN_COMPARABLE_FRACTION,
        items_for_rescoring_current=frozenset(in_domains),
        items_for_rescoring_previous=frozenset(pairs[link_id] for link_id in in_domains),
    )
