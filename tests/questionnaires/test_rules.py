"""The version 3 rules of questionnaire-format.md: each failure named by file, item and
field; older versions valid as published; reading ease printed, never a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessor.cli import main
from assessor.questionnaires import rules
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.loader import load_file
from assessor.questionnaires.readability import item_eases, reading_ease, summary
from tests.questionnaires.test_validation import (
    assert_reported,
    base,
    errors_of,
    format3,
    item,
    version,
    write,
)


def v3(**changes: Any) -> dict[str, Any]:
    data = version(3, revises=None)
    data.update(changes)
    return data


def write_v3(tmp_path: Path, data: dict[str, Any]) -> Path:
    return write(tmp_path / "qs", data, name="v3.yaml")


def test_a_version_3_file_following_the_rules_loads(tmp_path: Path) -> None:
    data = v3(not_happening=True, fixed_phrases=["patients and carers"])
    item(data, "a-1")["text"] = "Staff talk with patients and carers."
    q = load_file(write_v3(tmp_path, data))
    assert q.not_happening and q.definitions["patient_leader"].startswith("Someone")
    assert [(p.key, p.framework) for p in q.principles] == [("p1", "nhse-2022"), ("iaf-a", "iaf")]
    assert q.item("a-1").principles == ("p1", "iaf-a")
    assert q.item("a-1").option_keys()[-1] == "not_happening"
    assert q.item("c-1").principles == () and not q.item("c-1").not_happening
    assert Questionnaire.from_dict(q.to_dict()) == q


def test_older_versions_are_not_held_to_the_rules(tmp_path: Path) -> None:
    """base() has text_for on a scored item and no principles: valid as version 1 or 2."""
    q = load_file(write(tmp_path / "qs", version(2, revises=1), name="v2.yaml"))
    assert q.item("a-1").text_for and not q.principles and not q.not_happening
    body = q.to_dict()
    assert not {"not_happening", "definitions", "principles"} & set(body)
    assert "principles" not in body["items"][0]


@pytest.mark.parametrize(
    ("change", "where", "field", "fragment"),
    [
        (lambda d: d.pop("definitions"), "top level", "definitions.patient_leader", "required"),
        (lambda d: d.pop("principles"), "top level", "principles", "declare the principles"),
        (
            lambda d: item(d, "a-1").update(text_for={"patient_leader": "I am asked."}),
            "item a-1",
            "text_for",
            "one wording for every audience",
        ),
        (
            lambda d: item(d, "a-2").pop("principles"),
            "item a-2",
            "principles",
            "map each scored item to a principle",
        ),
        (
            lambda d: item(d, "a-2").update(principles=["p1", "p99"]),
            "item a-2",
            "principles",
            "'p99' is not a declared principle (p1, iaf-a)",
        ),
        (
            lambda d: item(d, "c-1").update(principles=["p1"]),
            "item c-1",
            "principles",
            "only scored (agreement, fact) items are mapped",
        ),
        (
            lambda d: item(d, "a-1").update(text="Staff listen and the board acts."),
            "item a-1",
            "text",
            "not one statement: the text joins two things with 'and'",
        ),
        (
            lambda d: item(d, "a-1").update(text="Staff review the board, including its power."),
            "item a-1",
            "text",
            "joins two things with 'including'",
        ),
        (
            lambda d: item(d, "a-1").update(text="Staff listen. The board acts."),
            "item a-1",
            "text",
            "has more than one sentence",
        ),
        (
            lambda d: item(d, "a-1").update(text="Staff listen; the board acts."),
            "item a-1",
            "text",
            "joins clauses with ';'",
        ),
        (
            lambda d: item(d, "a-1").update(text="Do staff listen?"),
            "item a-1",
            "text",
            "is a question",
        ),
        (
            lambda d: item(d, "a-2").update(
                text="When patient leaders have chosen, the board says what it funded."
            ),
            "item a-2",
            "text",
            "presumes what it asks: the text opens with 'When'",
        ),
        (
            lambda d: item(d, "a-2").update(text="Patient leaders still chair a group."),
            "item a-2",
            "text",
            "'still' takes an earlier state for granted",
        ),
        (
            lambda d: d["principles"].append(dict(d["principles"][0])),
            "principle p1",
            "key",
            "'p1' is declared twice",
        ),
        (
            lambda d: item(d, "a-2").update(text="The board acts on what they found."),
            "item a-2",
            "text",
            "'what they found' takes another item's answer or a service for granted",
        ),
        (
            lambda d: item(d, "a-2").update(text="Patient leaders decide their budget."),
            "item a-2",
            "text",
            "'their budget' takes another item's answer",
        ),
        (
            lambda d: item(d, "a-2").update(depends_on="a-1"),
            "item a-2",
            "depends_on",
            "a scored item stands alone",
        ),
        (
            lambda d: item(d, "a-2").update(type="fact", options=[{"key": "y", "label": "Y"}]),
            "item a-2",
            "options",
            "a fact item's answers are fixed: yes, partly, no, dont_know",
        ),
    ],
)
def test_each_rule_names_file_item_and_field(
    tmp_path: Path, change: Any, where: str, field: str, fragment: str
) -> None:
    data = v3()
    change(data)
    path = write_v3(tmp_path, data)
    assert_reported(errors_of(path), str(path), where, field, fragment)


def test_fact_items_load_with_their_fixed_answers(tmp_path: Path) -> None:
    data = v3(not_happening=True)
    item(data, "a-2").update(type="fact")
    item(data, "t-1")["depends_on"] = "a-2"  # documentation, allowed on unscored items
    q = load_file(write_v3(tmp_path, data))
    fact = q.item("a-2")
    assert fact.scored and fact.option_keys() == ("yes", "partly", "no", "dont_know")
    assert fact.answer_values() == (("yes", 4), ("partly", 2), ("no", 0), ("dont_know", None))
    assert not fact.options and "depends_on" not in q.to_dict()["items"][-1]
    # listing exactly the fixed answers is allowed, and not stored
    item(data, "a-2")["options"] = [{"key": k, "label": k} for k in ("yes", "partly", "no")]
    item(data, "a-2")["options"].append({"key": "dont_know", "label": "?"})
    assert load_file(write_v3(tmp_path, data)) == q


def test_fact_items_wait_for_version_3(tmp_path: Path) -> None:
    data = version(2, revises=1)
    item(data, "a-2")["type"] = "fact"
    path = write(tmp_path / "qs", data, name="v2.yaml")
    assert_reported(errors_of(path), str(path), "item a-2", "type", "from version 3 on")


def test_not_happening_waits_for_version_3(tmp_path: Path) -> None:
    data = version(2, revises=1, not_happening=True)
    path = write(tmp_path / "qs", data, name="v2.yaml")
    assert_reported(errors_of(path), str(path), "top level", "not_happening", "from version 3 on")


def test_skip_logic_may_follow_not_happening(tmp_path: Path) -> None:
    data = v3(not_happening=True)
    item(data, "t-1")["enable_when"] = {"link_id": "a-1", "answer": "not_happening"}
    assert load_file(write_v3(tmp_path, data)).item("t-1").enable_when.answer == "not_happening"  # type: ignore[union-attr]
    data["not_happening"] = False
    path = write_v3(tmp_path, data)
    assert_reported(
        errors_of(path),
        str(path),
        "item t-1",
        "enable_when.answer",
        "'not_happening' is not an answer of item a-1",
    )


def test_a_fixed_phrase_is_one_thing_but_only_where_listed() -> None:
    text = "Voluntary and community groups help decide."
    assert rules.one_statement_problems(text, ["voluntary and community groups"]) == []
    assert rules.one_statement_problems(text, []) != []
    # The phrase excuses only itself: another "and" is still two things.
    two = "Voluntary and community groups help decide and pay."
    assert rules.one_statement_problems(two, ["voluntary and community groups"]) != []
    # Words are matched whole: "brand", "order", "co-chairs" join nothing.
    assert rules.one_statement_problems("The brand order suits co-chairs.", []) == []


WORDS = st.sampled_from(
    ["staff", "patient", "leaders", "the", "board", "help", "decide", "plans", "money", "local"]
)
CLAUSE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)


@given(CLAUSE, CLAUSE, st.sampled_from(["and", "or", "but", "as well as", "including"]))
def test_any_joining_word_between_two_clauses_is_refused(a: str, b: str, joiner: str) -> None:
    assert rules.one_statement_problems(f"{a.capitalize()}.", []) == []
    problems = rules.one_statement_problems(f"{a.capitalize()} {joiner} {b}.", [])
    assert len(problems) == 1 and f"'{joiner}'" in problems[0]


def test_reading_ease_on_hand_computed_sentences() -> None:
    # Flesch: 206.835 - 1.015 * words / sentences - 84.6 * syllables / words.
    # "The cat sat on the mat.": 6 words, 6 syllables, 1 sentence.
    assert reading_ease("The cat sat on the mat.") == pytest.approx(
        206.835 - 1.015 * 6 - 84.6 * 1, abs=0.01
    )
    # "Patient leaders decide.": 3 words, 2 + 2 + 2 = 6 syllables.
    assert reading_ease("Patient leaders decide.") == pytest.approx(
        206.835 - 1.015 * 3 - 84.6 * 2, abs=0.01
    )


def test_item_eases_cover_every_wording(tmp_path: Path) -> None:
    q = load_file(write(tmp_path / "qs", base()))
    eases = item_eases(q)
    assert [e.label for e in eases] == ["a-1", "a-1 (patient_leader)", "a-2", "c-1", "t-1"]
    found = summary(eases)
    assert found is not None
    mean, hardest = found
    scored = [e.ease for e in eases if e.scored]
    assert mean == pytest.approx(sum(scored) / 3) and hardest.ease == min(scored)


def test_validate_prints_reading_ease_and_warns_without_failing(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = format3(base())
    item(data, "a-2")["text"] = (
        "Organisational accountability mechanisms institutionalise participatory governance."
    )
    path = write(tmp_path / "qs", data)
    result = runner.invoke(main, ["questionnaires", "validate", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["a-1", "reading", "ease"] for line in lines)
    hard = reading_ease(item(data, "a-2")["text"])
    assert hard < 60
    assert f"  warning: demo v1 a-2: reading ease {hard:.1f} is below 60" in result.output
    assert not any("warning: demo v1 a-1:" in line for line in lines)
    assert "scored items: mean reading ease" in lines[-1] and "(a-2)" in lines[-1]
