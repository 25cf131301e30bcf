"""The shipped questionnaire files: valid, covering the ladder, and revised realistically;
v3 follows the version 3 rules and maps every scored item to the frameworks it reports on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assessor.questionnaires.comparability import compare
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import load_directory, load_file
from assessor.questionnaires.readability import reading_ease

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
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


def test_directory_loads_every_version_in_order() -> None:
    loaded = load_directory(ROOT)
    assert [(q.key, q.version) for q in loaded] == [
        ("engagement-maturity", 1),
        ("engagement-maturity", 2),
        ("engagement-maturity", 3),
    ]


def test_each_file_loads_on_its_own() -> None:
    v1 = load_file(ROOT / "engagement-maturity" / "v1.yaml")
    v2 = load_file(ROOT / "engagement-maturity" / "v2.yaml")
    v3 = load_file(ROOT / "engagement-maturity" / "v3.yaml")
    assert (v1.version, v1.revises, v1.status) == (1, None, "published")
    assert (v2.version, v2.revises, v2.status) == (2, 1, "published")
    assert (v3.version, v3.revises, v3.status) == (3, 2, "published")


@pytest.mark.parametrize("version", [1, 2, 3])
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


@pytest.mark.parametrize("version", [1, 2, 3])
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


def test_v2_is_comparable_only_where_wording_held(versions: dict[int, Questionnaire]) -> None:
    """Rule set 2: a common item keeps its concept, domain, rung, type, wording and answers.
    v2 replaced 4 concepts (ins-6, ins-7, reach-6, gov-6) and reworded 4 (gov-1, ins-1,
    lead-3, acc-1): 23 of 31 are common, and only culture and systems keeps a common item on
    every rung."""
    comparability = compare(versions[2], versions[1])
    assert len(versions[2].scored_items) == 31
    assert {i.link_id for i in versions[2].scored_items} - comparability.comparable_items == {
        "ins-6", "ins-7", "reach-6", "gov-6", "gov-1", "ins-1", "lead-3", "acc-1",
    }  # fmt: skip
    assert comparability.comparable_fraction == pytest.approx(23 / 31)
    assert comparability.same_ladder
    assert comparability.comparable_domains == ("culture_and_systems",)
    assert comparability.trend_possible and not comparability.overall_trended
    assert {i[:4] for i in comparability.items_for_rescoring_current} == {"cult"}


# -- version 3 ---------------------------------------------------------------------------


def test_v3_has_two_items_or_more_for_every_domain_and_rung(
    versions: dict[int, Questionnaire],
) -> None:
    q = versions[3]
    cells = Counter((i.domain, i.rung) for i in q.scored_items)
    assert set(cells) == {(d, r) for d in DOMAINS for r in RUNGS}
    assert min(cells.values()) >= 2
    assert len(q.scored_items) == 67
    # no scored item depends on another: no skip logic among them
    assert not any(i.enable_when for i in q.scored_items)


def test_v3_asks_facts_as_facts(versions: dict[int, Questionnaire]) -> None:
    facts = {i.link_id for i in versions[3].scored_items if i.type == "fact"}
    assert {"gov-3", "gov-4", "gov-6", "gov-9", "cult-4", "cult-6", "cult-8", "acc-6"} <= facts
    for link_id in facts:
        item = versions[3].item(link_id)
        assert item.option_keys() == ("yes", "partly", "no", "dont_know")
        assert not item.not_happening


def test_v3_asks_everyone_the_same_scored_statements(versions: dict[int, Questionnaire]) -> None:
    q = versions[3]
    assert not any(i.text_for for i in q.items)  # one wording for every audience
    assert q.not_happening
    agreement = [i for i in q.scored_items if i.type == "agreement"]
    assert all(i.not_happening and "not_happening" in i.option_keys() for i in agreement)
    assert not any(i.not_happening for i in q.items if not i.scored)
    # No link_id of an earlier version names another concept in v3.
    earlier = {i.link_id: i.concept for v in (1, 2) for i in versions[v].items}
    assert all(earlier.get(i.link_id, i.concept) == i.concept for i in q.items)


def test_v3_defines_a_patient_leader_carers_included(versions: dict[int, Questionnaire]) -> None:
    definition = versions[3].definitions["patient_leader"]
    assert "patient leader" in definition.lower() and "carers" in definition.lower()
    assert reading_ease(definition) >= 60


def test_v3_maps_every_scored_item_to_both_frameworks(versions: dict[int, Questionnaire]) -> None:
    q = versions[3]
    keys = [p.key for p in q.principles]
    assert keys == [f"p{n}" for n in range(1, 11)] + [f"iaf-{c}" for c in "abcde"]
    assert q.frameworks() == ("nhse-2022", "iaf")
    framework = {p.key: p.framework for p in q.principles}
    for item in q.scored_items:
        assert {framework[k] for k in item.principles} == {"nhse-2022", "iaf"}, item.link_id
    used = Counter(k for item in q.scored_items for k in item.principles)
    assert set(used) == set(keys)  # every principle and criterion has evidence to report
    by_principle = q.items_by_principle()
    assert list(by_principle) == keys
    # Healthwatch and the VCS, through patient leaders only (the header says why)
    assert by_principle["p5"] == ("reach-12",)
    assert by_principle["iaf-b"] == ("acc-6", "acc-11", "acc-12", "acc-8")  # annual reporting
    labels = {p.key: p.label for p in q.principles}
    assert labels["p1"].startswith("Put the voices of people and communities at the centre")
    assert all(
        "CCG IAF patient and community engagement indicator" in labels[f"iaf-{c}"] for c in "abcde"
    )


def test_v3_covers_what_the_review_found_missing(versions: dict[int, Questionnaire]) -> None:
    texts = {i.link_id: i.text.lower() for i in versions[3].scored_items}
    assert "offered learning" in texts["lead-12"]  # learning offered at all
    assert "facts they need" in texts["cult-13"]  # access to systems and information
    assert "what a patient leader is" in texts["cult-11"]  # co-option: a definition
    assert "in the room" in texts["cult-12"]  # co-option: discussed without them
    assert "agenda" in texts["gov-9"] and "budget of their own" in texts["cult-8"]
    assert "in ways that suit" in texts["reach-7"]


def test_v3_reads_plainly(versions: dict[int, Questionnaire]) -> None:
    eases = [reading_ease(i.text) for i in versions[3].scored_items]
    assert sum(eases) / len(eases) >= 75
    assert min(eases) >= 60
    v2 = [reading_ease(i.text) for i in versions[2].scored_items]
    assert sum(v2) / len(v2) < 60  # what v3 set out to fix


def test_v2_to_v3_is_a_break_in_the_series(versions: dict[int, Questionnaire]) -> None:
    """No v2 item keeps its wording (and every v3 agreement item offers "This does not happen
    here"), so no domain is trended across v2 -> v3 (scoring.md s.5)."""
    comparability = compare(versions[3], versions[2])
    assert comparability.comparable_items == frozenset()
    assert comparability.comparable_domains == ()
    assert comparability.comparable_fraction == 0.0
    assert comparability.same_ladder and not comparability.trend_possible


def test_v3_header_answers_each_change_in_one_entry() -> None:
    header = (ROOT / "engagement-maturity" / "v3.yaml").read_text().split("\nkey:")[0]
    for link_id in ("gov-3", "gov-6", "gov-9", "ins-14", "lead-12", "cult-11", "reach-7"):
        assert f"# - {link_id}" in header, link_id
    assert "trends resume with the next" in header


@pytest.mark.parametrize(
    ("version", "checksum"),
    [
        (1, "34ea81b5a5c4a527afbdee861c208550b6145047ba4d29f9b79f40a7615291b6"),
        (2, "1b6580ac6da3d581e4db3d0a00eb60e8d06650dda0119888d4649db3432de6b7"),
    ],
)
def test_published_checksums_never_change(
    versions: dict[int, Questionnaire], version: int, checksum: str
) -> None:
    """The fields of format version 3 enter the normalised definition only when set, so
    that every database that published v1 and v2 still accepts their files."""
    assert versions[version].checksum() == checksum
