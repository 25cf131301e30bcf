"""Every validation failure of questionnaire-format.md, each reported with the file, the item
(or section) and the field, and all of them together rather than only the first."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessor.questionnaires.loader import (
    QuestionnaireError,
    load_directory,
    load_file,
)


def base() -> dict[str, Any]:
    """A small valid questionnaire: two rungs, one domain, two scored items, a single
    choice with a follow-up shown on one answer."""
    return {
        "key": "demo",
        "version": 1,
        "title": "Demo",
        "status": "published",
        "audiences": ["staff", "patient_leader"],
        "threshold": 0.75,
        "rungs": [
            {"key": "low", "label": "Low", "description": "The first rung."},
            {"key": "high", "label": "High"},
        ],
        "domains": [{"key": "gov", "title": "Governance"}],
        "items": [
            {
                "link_id": "a-1",
                "concept": "gov.one",
                "domain": "gov",
                "rung": "low",
                "type": "agreement",
                "text": "One.",
                "text_for": {"patient_leader": "One, for you."},
            },
            {
                "link_id": "a-2",
                "concept": "gov.two",
                "domain": "gov",
                "rung": "high",
                "type": "agreement",
                "text": "Two.",
            },
            {
                "link_id": "c-1",
                "concept": "gov.choice",
                "type": "single_choice",
                "text": "How often?",
                "options": [{"key": "often", "label": "Often"}, {"key": "never", "label": "Never"}],
            },
            {
                "link_id": "t-1",
                "concept": "gov.why",
                "type": "text",
                "text": "Why not?",
                "enable_when": {"link_id": "c-1", "answer": "never"},
            },
        ],
    }


def write(root: Path, data: Any, name: str = "v1.yaml", key: str = "demo") -> Path:
    path = root / key / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_file(path)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == "\n".join(info.value.messages)
    return info.value.messages


def directory_errors(root: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_directory(root)
    return info.value.messages


def assert_reported(messages: list[str], file: str, where: str, field: str, fragment: str) -> None:
    prefix = f"{file}: {where}: field '{field}': "
    matching = [m for m in messages if m.startswith(prefix) and fragment in m]
    assert matching, f"no message {prefix}...{fragment}... in:\n" + "\n".join(messages)


def item(data: dict[str, Any], link_id: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["link_id"] == link_id)


def test_base_fixture_is_valid(tmp_path: Path) -> None:
    q = load_file(write(tmp_path, base()))
    assert [i.link_id for i in q.items] == ["a-1", "a-2", "c-1", "t-1"]
    assert q.item("t-1").enable_when is not None


# -- one file: each case mutates the valid base and names (item or section, field, text) --


def _unknown_top(d: dict[str, Any]) -> None:
    d["colour"] = "blue"


def _unknown_item_key(d: dict[str, Any]) -> None:
    item(d, "a-2")["rungg"] = "high"


def _unknown_rung_key(d: dict[str, Any]) -> None:
    d["rungs"][1]["colour"] = "red"


def _unknown_enable_when_key(d: dict[str, Any]) -> None:
    item(d, "t-1")["enable_when"]["when"] = "always"


def _duplicate_link_id(d: dict[str, Any]) -> None:
    item(d, "a-2")["link_id"] = "a-1"


def _duplicate_concept(d: dict[str, Any]) -> None:
    item(d, "a-2")["concept"] = "gov.one"


def _no_domain(d: dict[str, Any]) -> None:
    del item(d, "a-1")["domain"]


def _no_rung(d: dict[str, Any]) -> None:
    del item(d, "a-2")["rung"]


def _undeclared_domain(d: dict[str, Any]) -> None:
    item(d, "a-1")["domain"] = "finance"


def _undeclared_rung(d: dict[str, Any]) -> None:
    item(d, "a-2")["rung"] = "co_thing"


def _rung_not_evidenced(d: dict[str, Any]) -> None:
    d["domains"].append({"key": "reach", "title": "Reach"})
    d["items"].insert(
        2,
        {
            "link_id": "r-1",
            "concept": "reach.one",
            "domain": "reach",
            "rung": "low",
            "type": "agreement",
            "text": "Reach one.",
        },
    )


def _text_for_audience(d: dict[str, Any]) -> None:
    d["audiences"] = ["staff"]


def _unknown_audience(d: dict[str, Any]) -> None:
    d["audiences"] = ["staff", "board"]


def _enable_when_missing(d: dict[str, Any]) -> None:
    item(d, "t-1")["enable_when"]["link_id"] = "c-9"


def _enable_when_later(d: dict[str, Any]) -> None:
    item(d, "a-1")["enable_when"] = {"link_id": "c-1", "answer": "often"}


def _enable_when_self(d: dict[str, Any]) -> None:
    item(d, "c-1")["enable_when"] = {"link_id": "c-1", "answer": "often"}


def _enable_when_answer(d: dict[str, Any]) -> None:
    item(d, "t-1")["enable_when"]["answer"] = "sometimes"


def _enable_when_on_text(d: dict[str, Any]) -> None:
    d["items"].append(
        {
            "link_id": "t-2",
            "concept": "gov.more",
            "type": "text",
            "text": "More?",
            "enable_when": {"link_id": "t-1", "answer": "yes"},
        }
    )


def _options_on_agreement(d: dict[str, Any]) -> None:
    item(d, "a-1")["options"] = [{"key": "yes", "label": "Yes"}, {"key": "no", "label": "No"}]


def _options_on_text(d: dict[str, Any]) -> None:
    item(d, "t-1")["options"] = [{"key": "yes", "label": "Yes"}, {"key": "no", "label": "No"}]


def _choice_without_options(d: dict[str, Any]) -> None:
    del item(d, "c-1")["options"]


def _choice_duplicate_options(d: dict[str, Any]) -> None:
    item(d, "c-1")["options"][1]["key"] = "often"


def _option_without_label(d: dict[str, Any]) -> None:
    del item(d, "c-1")["options"][0]["label"]


def _domain_on_text(d: dict[str, Any]) -> None:
    item(d, "t-1")["domain"] = "gov"


def _bad_type(d: dict[str, Any]) -> None:
    item(d, "a-1")["type"] = "likert"


def _missing_text(d: dict[str, Any]) -> None:
    del item(d, "a-2")["text"]


def _version_not_integer(d: dict[str, Any]) -> None:
    d["version"] = "one"


def _version_mismatch(d: dict[str, Any]) -> None:
    d["version"] = 2


def _status_retired(d: dict[str, Any]) -> None:
    d["status"] = "retired"


def _threshold_out_of_range(d: dict[str, Any]) -> None:
    d["threshold"] = 1.5


def _revises_later(d: dict[str, Any]) -> None:
    d["revises"] = 3


def _rung_declared_twice(d: dict[str, Any]) -> None:
    d["rungs"].append({"key": "low", "label": "Low again"})


def _rung_not_yet(d: dict[str, Any]) -> None:
    d["rungs"].insert(0, {"key": "not_yet", "label": "Informing"})


def _required_not_boolean(d: dict[str, Any]) -> None:
    item(d, "a-1")["required"] = "yes"


def _empty_text_for(d: dict[str, Any]) -> None:
    item(d, "a-1")["text_for"] = {"patient_leader": ""}


CASES = [
    (_unknown_top, "top level", "colour", "unknown key"),
    (_unknown_item_key, "item a-2", "rungg", "unknown key"),
    (_unknown_rung_key, "rung high", "colour", "unknown key"),
    (_unknown_enable_when_key, "item t-1", "enable_when.when", "unknown key"),
    (_duplicate_link_id, "item a-1", "link_id", "'a-1' is used by more than one item"),
    (_duplicate_concept, "item a-2", "concept", "'gov.one' is already the concept of item a-1"),
    (_no_domain, "item a-1", "domain", "an agreement item is scored and needs a domain"),
    (_no_rung, "item a-2", "rung", "an agreement item is scored and needs a rung"),
    (_undeclared_domain, "item a-1", "domain", "'finance' is not a declared domain (gov)"),
    (_undeclared_rung, "item a-2", "rung", "'co_thing' is not a declared rung (low, high)"),
    (_rung_not_evidenced, "domain reach", "items", "no scored item evidences rung 'high'"),
    (
        _text_for_audience,
        "item a-1",
        "text_for.patient_leader",
        "'patient_leader' is not one of the declared audiences (staff)",
    ),
    (_unknown_audience, "audiences", "audiences", "must be one of: staff, patient_leader"),
    (_enable_when_missing, "item t-1", "enable_when.link_id", "'c-9' is not an item"),
    (_enable_when_later, "item a-1", "enable_when.link_id", "can only depend on an earlier item"),
    (_enable_when_self, "item c-1", "enable_when.link_id", "'c-1' is this item or a later one"),
    (_enable_when_answer, "item t-1", "enable_when.answer", "'sometimes' is not an answer of"),
    (_enable_when_on_text, "item t-2", "enable_when.link_id", "'t-1' is a text item"),
    (_options_on_agreement, "item a-1", "options", "options are only for single_choice items"),
    (_options_on_text, "item t-1", "options", "options are only for single_choice items"),
    (_choice_without_options, "item c-1", "options", "needs at least two options"),
    (_choice_duplicate_options, "item c-1", "options", "option key 'often' is used twice"),
    (_option_without_label, "item c-1", "options[1].label", "is required"),
    (_domain_on_text, "item t-1", "domain", "only agreement and fact items are scored"),
    (_bad_type, "item a-1", "type", "must be one of: agreement, fact, text, single_choice"),
    (_missing_text, "item a-2", "text", "is required"),
    (_version_not_integer, "top level", "version", "not a valid integer"),
    (_version_mismatch, "top level", "version", "version 2 does not match the file name v1.yaml"),
    (_status_retired, "top level", "status", "must be one of: draft, published"),
    (_threshold_out_of_range, "top level", "threshold", "more than 0 and at most 1"),
    (_revises_later, "top level", "revises", "can only revise an earlier version"),
    (_rung_declared_twice, "rung low", "key", "'low' is declared twice"),
    (_rung_not_yet, "rung not_yet", "key", "implicit rank 0"),
    (_required_not_boolean, "item a-1", "required", "not a valid boolean"),
    (_empty_text_for, "item a-1", "text_for.patient_leader", "must not be empty"),
]


@pytest.mark.parametrize(
    ("mutate", "where", "field", "fragment"), CASES, ids=[c[0].__name__[1:] for c in CASES]
)
def test_each_failure_names_file_item_and_field(
    tmp_path: Path, mutate: Any, where: str, field: str, fragment: str
) -> None:
    data = copy.deepcopy(base())
    mutate(data)
    path = write(tmp_path, data)
    assert_reported(errors_of(path), str(path), where, field, fragment)


def test_all_failures_are_collected_not_only_the_first(tmp_path: Path) -> None:
    data = base()
    data["colour"] = "blue"
    item(data, "a-2")["rung"] = "co_thing"
    item(data, "t-1")["enable_when"]["link_id"] = "c-9"
    item(data, "c-1")["link_id"] = "a-1"
    path = write(tmp_path, data)
    messages = errors_of(path)
    assert_reported(messages, str(path), "top level", "colour", "unknown key")
    assert_reported(messages, str(path), "item a-2", "rung", "'co_thing'")
    assert_reported(messages, str(path), "item t-1", "enable_when.link_id", "'c-9'")
    assert_reported(messages, str(path), "item a-1", "link_id", "more than one item")
    # a-2's undeclared rung also leaves rung "high" unevidenced in gov.
    assert_reported(messages, str(path), "domain gov", "items", "rung 'high'")
    assert len(messages) == 5


def test_an_item_without_link_id_is_named_by_position(tmp_path: Path) -> None:
    data = base()
    del item(data, "a-2")["link_id"]
    path = write(tmp_path, data)
    assert_reported(errors_of(path), str(path), "item #2", "link_id", "is required")


def test_file_name_must_be_v_number(tmp_path: Path) -> None:
    path = write(tmp_path, base(), name="first.yaml")
    assert_reported(errors_of(path), str(path), "top level", "version", "must be v<version>.yaml")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = "key: demo\nversion: 1\nitems:\n  - link_id: a-1\n   text: [unclosed\n"
    path = write(tmp_path, text)
    (message,) = errors_of(path)
    assert message.startswith(f"{path}: line 5, column ")
    assert "not valid YAML" in message


def test_duplicate_yaml_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = yaml.safe_dump(base(), sort_keys=False).replace(
        "  rung: high\n", "  rung: high\n  rung: low\n"
    )
    path = write(tmp_path, text)
    (message,) = errors_of(path)
    line = text.splitlines().index("  rung: high") + 2
    assert message.startswith(f"{path}: line {line}, column 3: ")
    assert "duplicate key 'rung' (first given on line " in message


@pytest.mark.parametrize("text", ["", "- just\n- a list\n"])
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    (message,) = errors_of(path)
    assert message.startswith(f"{path}: top level: the file is ")


# -- a directory: checks across the versions of a key ------------------------------------


def format3(data: dict[str, Any]) -> dict[str, Any]:
    """base() made to follow the version 3 rules: a definition of a patient leader, declared
    principles, scored items mapped to them and worded once for every audience."""
    data = copy.deepcopy(data)
    data["definitions"] = {"patient_leader": "Someone who uses services, or a carer, and helps."}
    data["principles"] = [
        {"key": "p1", "framework": "nhse-2022", "label": "An active role in decisions."},
        {"key": "iaf-a", "framework": "iaf", "label": "Governance."},
    ]
    for entry in data["items"]:
        if entry["type"] == "agreement":
            entry.pop("text_for", None)
            entry["principles"] = ["p1", "iaf-a"]
    return data


def version(n: int, **changes: Any) -> dict[str, Any]:
    data = base() if n < 3 else format3(base())
    data["version"] = n
    data.update(changes)
    return data


def test_directory_of_valid_versions(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1))
    write(root, version(2, revises=1, status="draft"), name="v2.yaml")
    write(root, version(1, key="other"), key="other")
    loaded = load_directory(root)
    assert [(q.key, q.version, q.status) for q in loaded] == [
        ("demo", 1, "published"),
        ("demo", 2, "draft"),
        ("other", 1, "published"),
    ]


def test_versions_that_skip(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1))
    write(root, version(3), name="v3.yaml")
    messages = directory_errors(root)
    assert_reported(
        messages, "qs/demo/v3.yaml", "top level", "version", "version 3 of demo skips version 2"
    )


def test_versions_that_do_not_start_at_one(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(2), name="v2.yaml")
    assert_reported(
        directory_errors(root), "qs/demo/v2.yaml", "top level", "version", "skips version 1"
    )


def test_versions_that_repeat(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1))
    write(root, version(1, title="Demo again"), name="v1.yml")
    assert_reported(
        directory_errors(root),
        "qs/demo/v1.yml",
        "top level",
        "version",
        "version 1 of demo repeats qs/demo/v1.yaml",
    )


def test_revises_naming_a_missing_version(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1))
    write(root, version(3, revises=2), name="v3.yaml")
    messages = directory_errors(root)
    assert_reported(
        messages, "qs/demo/v3.yaml", "top level", "revises", "revises 2, but demo has no version 2"
    )


def test_key_must_match_its_directory(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1, key="elsewhere"))
    assert_reported(
        directory_errors(root),
        "qs/demo/v1.yaml",
        "top level",
        "key",
        "key 'elsewhere' does not match its directory 'demo'",
    )


def test_file_outside_a_key_directory(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    root.mkdir()
    (root / "v1.yaml").write_text(yaml.safe_dump(base()))
    assert_reported(
        directory_errors(root), "qs/v1.yaml", "top level", "key", "<key>/v<version>.yaml"
    )


def test_directory_reports_every_file(tmp_path: Path) -> None:
    root = tmp_path / "qs"
    write(root, version(1, colour="blue"))
    broken = version(2, revises=1)
    item(broken, "a-1")["rung"] = "co_thing"
    write(root, broken, name="v2.yaml")
    messages = directory_errors(root)
    assert_reported(messages, "qs/demo/v1.yaml", "top level", "colour", "unknown key")
    assert_reported(messages, "qs/demo/v2.yaml", "item a-1", "rung", "'co_thing'")
    # A broken v1 still counts as present: v2 neither skips a version nor revises a missing one.
    assert not [m for m in messages if "skips" in m or "has no version" in m]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="not a directory"):
        load_directory(tmp_path / "nowhere")


def test_text_is_stripped_so_block_scalars_do_not_change_checksums(tmp_path: Path) -> None:
    folded = yaml.safe_dump(base(), sort_keys=False).replace(
        "text: One.\n", "text: |\n      One.\n"
    )
    assert "text: |" in folded
    a = load_file(write(tmp_path / "a", base()))
    b = load_file(write(tmp_path / "b", folded))
    assert b.item("a-1").text == "One."
    assert a.checksum() == b.checksum()
