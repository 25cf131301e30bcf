"""The shipped questionnaire files: valid, covering the ladder, and revised realistically."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.questionnaires.comparability import compare
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import load_directory, load_file

ROOT = Path(__file__).resolve().parent.parent / "questionnaires"
RUNGS = ("consultation", "co_commissioning", "co_design", "co_delivery", "co_assessment")
DOMAINS = (
    "governance",
    "insight",
    "leadership_development",
    "culture_and_systems",
    "reach_and_equalities",
    "accountability",
)


@pytest.fixture(scope="module")
def versions() -> dict[int, Questionnaire]:
    return {q.version: q for q in load_directory(ROOT) if q.key == "engagement-maturity"}


def test_directory_loads_both_versions_in_order() -> None:
    loaded = load_directory(ROOT)
    assert [(q.key, q.version) for q in loaded] == [
        ("engagement-maturity", 1),
        ("engagement-maturity", 2),
    ]


def test_each_file_loads_on_its_own() -> None:
    v1 = load_file(ROOT / "engagement-maturity" / "v1.yaml")
    v2 = load_file(ROOT / "engagement-maturity" / "v2.yaml")
    assert (v1.version, v1.revises, v1.status) == (1, None, "published")
    assert (v2.version, v2.revises, v2.status) == (2, 1, "published")


@pytest.mark.parametrize("version", [1, 2])
def test_ladder_domains_and_audiences(versions: dict[int, Questionnaire], version: int) -> None:
    q = versions[version]
    assert q.rung_keys == RUNGS
    assert [r.label for r in q.rungs] == [
        "Consultation",
        "Co-commissioning",
        "Co-design",
        "Co-delivery",
        "Co-assessment",
    ]
    assert all(r.description for r in q.rungs)
    assert q.domain_keys == DOMAINS
    assert q.domains[0].title == "Decision-making and governance"
    assert all(d.description for d in q.domains)
    assert q.threshold == 0.75
    assert q.audiences == ("staff", "patient_leader")


@pytest.mark.parametrize("version", [1, 2])
def test_every_domain_has_every_rung(versions: dict[int, Questionnaire], version: int) -> None:
    q = versions[version]
    for domain in DOMAINS:
        for rung in RUNGS:
            assert [i for i in q.scored_items if (i.domain, i.rung) == (domain, rung)], (
                domain,
                rung,
            )


def test_v1_has_exactly_one_item_per_domain_and_rung(versions: dict[int, Questionnaire]) -> None:
    q = versions[1]
    cells = [(i.domain, i.rung) for i in q.scored_items]
    assert len(cells) == 30
    assert sorted(cells) == sorted((d, r) for d in DOMAINS for r in RUNGS)
    prefixes = {"gov", "ins", "lead", "cult", "reach", "acc"}
    assert {i.link_id.split("-")[0] for i in q.scored_items} == prefixes


@pytest.mark.parametrize("version", [1, 2])
def test_unscored_items_and_skip_logic(versions: dict[int, Questionnaire], version: int) -> None:
    q = versions[version]
    choice = [i for i in q.items if i.type == "single_choice"]
    assert len(choice) == 1 and len(choice[0].options) >= 3
    follow_up = [i for i in q.items if i.enable_when is not None]
    assert len(follow_up) == 1
    assert follow_up[0].enable_when.link_id == choice[0].link_id  # type: ignore[union-attr]
    assert follow_up[0].enable_when.answer in choice[0].option_keys()  # type: ignore[union-attr]
    assert not any(i.required for i in q.items)
    assert sum(1 for i in q.scored_items if "patient_leader" in i.text_for) >= 3
    assert len({i.concept for i in q.items}) == len(q.items)


def test_v2_adds_one_free_text_question(versions: dict[int, Questionnaire]) -> None:
    text_v1 = {i.concept for i in versions[1].items if i.type == "text"}
    text_v2 = {i.concept for i in versions[2].items if i.type == "text"}
    assert len(text_v2 - text_v1) == 1
    assert text_v1 <= text_v2


def test_v2_rewords_some_items_keeping_their_concept(versions: dict[int, Questionnaire]) -> None:
    v1 = {i.concept: i for i in versions[1].scored_items}
    reworded = [
        i for i in versions[2].scored_items if i.concept in v1 and i.text != v1[i.concept].text
    ]
    assert len(reworded) >= 3


def test_v2_is_mostly_but_not_wholly_comparable(versions: dict[int, Questionnaire]) -> None:
    comparability = compare(versions[2], versions[1])
    # 31 scored items in v2, of which 4 are new concepts (ins-6, ins-7, reach-6, gov-6).
    assert len(versions[2].scored_items) == 31
    assert comparability.comparable_items == {i.link_id for i in versions[2].scored_items} - {
        "ins-6",
        "ins-7",
        "reach-6",
        "gov-6",
    }
    assert comparability.comparable_fraction == pytest.approx(27 / 31)
    assert 0.6 <= comparability.comparable_fraction < 1
    assert comparability.same_ladder
    assert comparability.trend_possible


def test_v2_has_comparable_and_non_comparable_domains(versions: dict[int, Questionnaire]) -> None:
    comparability = compare(versions[2], versions[1])
    assert comparability.comparable_domains == (
        "governance",
        "leadership_development",
        "culture_and_systems",
        "accountability",
    )
    non_comparable = set(DOMAINS) - set(comparability.comparable_domains)
    assert non_comparable == {"insight", "reach_and_equalities"}
    # governance stays comparable although it gained an item with a new concept.
    assert "gov-6" not in comparability.items_for_rescoring_current
    assert {"gov-1", "gov-5"} <= comparability.items_for_rescoring_current
    assert not any(
        link_id.startswith(("ins-", "reach-"))
        for link_id in comparability.items_for_rescoring_current
        | comparability.items_for_rescoring_previous
    )
    assert len(comparability.items_for_rescoring_current) == 20
    assert len(comparability.items_for_rescoring_previous) == 20
