"""Comparability between questionnaire versions (scoring.md section 5), on hand-built
questionnaires whose answers are worked out by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assessor.questionnaires.comparability import compare
from assessor.questionnaires.definition import Domain, Item, Questionnaire, Rung

RUNGS = (Rung("low", "Low"), Rung("high", "High"))
DOMAINS = (Domain("a", "A"), Domain("b", "B"))


def scored(link_id: str, concept: str, domain: str, rung: str) -> Item:
    return Item(
        link_id=link_id, concept=concept, type="agreement", text=link_id, domain=domain, rung=rung
    )


def questionnaire(version: int, *items: Item, **changes: object) -> Questionnaire:
    q = Questionnaire(
        key="demo",
        version=version,
        title="Demo",
        status="published",
        audiences=("staff", "patient_leader"),
        threshold=0.75,
        rungs=RUNGS,
        domains=DOMAINS,
        items=items,
    )
    return replace(q, **changes)  # type: ignore[arg-type]


PREVIOUS = questionnaire(
    1,
    scored("a1", "a.one", "a", "low"),
    scored("a2", "a.two", "a", "high"),
    scored("b1", "b.one", "b", "low"),
    scored("b2", "b.two", "b", "high"),
    Item(link_id="t1", concept="text.one", type="text", text="Anything else?"),
)


def test_identical_versions_are_wholly_comparable() -> None:
    c = compare(PREVIOUS, PREVIOUS)
    assert c.comparable_items == {"a1", "a2", "b1", "b2"}
    assert c.previous_items == {"a1", "a2", "b1", "b2"}
    assert c.comparable_domains == ("a", "b")
    assert c.comparable_fraction == 1.0
    assert c.same_ladder and c.trend_possible
    assert c.items_for_rescoring_current == c.items_for_rescoring_previous == c.comparable_items


def test_matching_is_by_concept_domain_rung_and_wording_not_link_id() -> None:
    current = questionnaire(
        2,
        # renamed and reworded, same concept, domain and rung: a reworded item measures
        # something else (rule set 2), so not common
        replace(scored("A-1", "a.one", "a", "low"), text="Reworded."),
        # same link_id, new concept: not comparable
        scored("a2", "a.two-new", "a", "high"),
        # an extra item on a rung that is still evidenced by a comparable one
        scored("a3", "a.three", "a", "low"),
        # same concept but moved to another rung: not comparable
        scored("b1", "b.one", "b", "high"),
        scored("b2", "b.two", "b", "high"),
        scored("b3", "b.three", "b", "low"),
    )
    c = compare(current, PREVIOUS)
    assert c.comparable_items == {"b2"}
    assert c.previous_items == {"b2"}
    # a: no rung has a common item; b: rung low has none.
    assert c.comparable_domains == ()
    assert c.comparable_fraction == pytest.approx(1 / 6)
    assert c.same_ladder and not c.trend_possible
    assert c.items_for_rescoring_current == frozenset()
    assert c.items_for_rescoring_previous == frozenset()


def test_a_domain_is_comparable_when_every_rung_has_a_comparable_item() -> None:
    current = questionnaire(
        2,
        scored("a1", "a.one", "a", "low"),
        scored("a2", "a.two", "a", "high"),
        scored("a3", "a.three", "a", "high"),  # new concept beside a comparable one
        scored("b1", "b.one", "b", "low"),
        scored("b4", "b.four", "b", "high"),  # replaces b.two: b loses rung high
    )
    c = compare(current, PREVIOUS)
    assert c.comparable_items == {"a1", "a2", "b1"}
    assert c.previous_items == {"a1", "a2", "b1"}
    assert c.comparable_domains == ("a",)
    assert c.comparable_fraction == pytest.approx(3 / 5)
    assert c.trend_possible and not c.overall_trended  # overall needs every domain
    # b1 is comparable but lies in a non-comparable domain: not used for rescoring.
    assert c.items_for_rescoring_current == {"a1", "a2"}
    assert c.items_for_rescoring_previous == {"a1", "a2"}


def test_rescoring_sets_differ_when_link_ids_changed() -> None:
    current = questionnaire(
        2,
        replace(scored("x1", "a.one", "a", "low"), text="a1"),
        replace(scored("x2", "a.two", "a", "high"), text="a2"),
        replace(scored("x3", "b.one", "b", "low"), text="b1"),
        replace(scored("x4", "b.two", "b", "high"), text="b2"),
    )
    c = compare(current, PREVIOUS)
    assert c.items_for_rescoring_current == {"x1", "x2", "x3", "x4"}
    assert c.items_for_rescoring_previous == {"a1", "a2", "b1", "b2"}


def test_the_fraction_is_reported_not_tested() -> None:
    current = questionnaire(
        2,
        scored("a1", "a.one", "a", "low"),
        scored("a2", "a.two", "a", "high"),
        scored("a3", "a.new", "a", "high"),
        scored("b1", "b.new-one", "b", "low"),
        scored("b2", "b.new-two", "b", "high"),
    )
    c = compare(current, PREVIOUS)
    assert c.comparable_fraction == pytest.approx(2 / 5)
    assert c.comparable_domains == ("a",)
    assert c.trend_possible and not c.overall_trended


@pytest.mark.parametrize(
    ("change", "common"),
    [
        ({"text": "  a1 \n"}, True),  # whitespace-normalised wording
        ({"text": "A1"}, False),
        ({"help": "A hint."}, False),
        ({"text_for": {"patient_leader": "I a1"}}, False),
        ({"type": "fact"}, False),
        ({"not_happening": True}, False),  # "This does not happen here" offered now
    ],
)
def test_a_common_item_keeps_type_wording_and_answer_options(
    change: dict[str, object], common: bool
) -> None:
    """scoring.md s.5: same concept, domain, rung, type, text, text_for, help and answer
    options (keys, values, and whether not_happening is offered)."""
    items = [replace(i, **change) if i.link_id == "a1" else i for i in PREVIOUS.items]
    c = compare(questionnaire(2, *items), PREVIOUS)
    assert ("a1" in c.comparable_items) is common
    assert c.comparable_domains == (("a", "b") if common else ("b",))
    assert c.overall_trended is common


def test_unscored_items_neither_count_nor_match() -> None:
    current = questionnaire(
        2,
        *PREVIOUS.items,
        Item(link_id="t2", concept="text.two", type="text", text="New question?"),
    )
    c = compare(current, PREVIOUS)
    assert c.comparable_fraction == 1.0
    assert "t1" not in c.comparable_items and "t2" not in c.comparable_items


def test_an_agreement_item_does_not_match_an_unscored_one_with_its_concept() -> None:
    previous = questionnaire(
        1, *PREVIOUS.scored_items, Item(link_id="c1", concept="a.choice", type="text", text="?")
    )
    current = questionnaire(2, *PREVIOUS.scored_items, scored("c1", "a.choice", "a", "low"))
    c = compare(current, previous)
    assert "c1" not in c.comparable_items
    assert c.comparable_fraction == pytest.approx(4 / 5)


@pytest.mark.parametrize(
    "changes",
    [
        {"threshold": 0.8},
        {"rungs": (Rung("high", "High"), Rung("low", "Low"))},
        {"rungs": (Rung("low", "Low"), Rung("high", "High"), Rung("top", "Top"))},
    ],
    ids=["threshold", "rung order", "extra rung"],
)
def test_a_different_ladder_means_no_trend(changes: dict[str, object]) -> None:
    current = questionnaire(2, *PREVIOUS.items, **changes)
    c = compare(current, PREVIOUS)
    assert not c.same_ladder
    assert not c.trend_possible
    assert c.comparable_fraction == 1.0


def test_labels_and_domain_order_do_not_affect_the_ladder() -> None:
    current = questionnaire(
        2,
        *PREVIOUS.items,
        rungs=(Rung("low", "Lower", "Reworded."), Rung("high", "Higher")),
        domains=(Domain("b", "B"), Domain("a", "A")),
    )
    c = compare(current, PREVIOUS)
    assert c.same_ladder and c.trend_possible
    assert c.comparable_domains == ("b", "a")  # in the current version's order


def test_no_scored_items() -> None:
    empty = questionnaire(2, Item(link_id="t1", concept="text.one", type="text", text="?"))
    c = compare(empty, PREVIOUS)
    assert c.comparable_fraction == 0.0
    assert not c.trend_possible
    assert c.comparable_domains == ()
