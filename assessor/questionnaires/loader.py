"""Load and validate questionnaire files (`questionnaires/<key>/v<version>.yaml`).

Authors fix files in review, so every failure is collected (never only the first), each
message naming the file, the item and the field (`problems.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from assessor.questionnaires.checks import FILE_NAME, check_file_name, check_whole_file
from assessor.questionnaires.definition import Questionnaire
from assessor.questionnaires.parsing import parse_yaml, schema_messages
from assessor.questionnaires.problems import TOP_LEVEL, QuestionnaireError, message
from assessor.questionnaires.schema import QuestionnaireFileSchema


@dataclass(frozen=True)
class LoadedFile:
    """A validated questionnaire with the path it came from, as shown in messages."""

    questionnaire: Questionnaire
    source: str


# -- one file ----------------------------------------------------------------------------


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_file(path: str | Path) -> Questionnaire:
    """Load and validate one file on its own (checks that need the other versions of the
    key are made by `load_directory`)."""
    path = Path(path)
    return _load(path, display_path(path)).questionnaire


def _load(path: Path, source: str) -> LoadedFile:
    data, errors = parse_yaml(path, source)
    if errors:
        raise QuestionnaireError(errors)
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        raise QuestionnaireError(
            [
                f"{source}: {TOP_LEVEL}: the file is {what}; expected a mapping with key, "
                "version, title, status, audiences, threshold, rungs, domains and items"
            ]
        )
    errors = []
    loaded: dict[str, Any] | None = None
    try:
        loaded = QuestionnaireFileSchema().load(data)
    except ValidationError as exc:
        errors.extend(schema_messages(source, data, exc.normalized_messages()))
    errors.extend(check_file_name(source, path, data))
    errors.extend(check_whole_file(source, data))
    if errors or loaded is None:
        raise QuestionnaireError(_unique(errors))
    return LoadedFile(Questionnaire.from_dict(_stripped(loaded)), source)


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _stripped(data: dict[str, Any]) -> dict[str, Any]:
    """The validated file with its texts stripped, so that the trailing newline of a YAML
    block scalar never changes a checksum."""
    return {
        **data,
        "title": data["title"].strip(),
        "rungs": [_strip(r, "label", "description") for r in data["rungs"]],
        "domains": [_strip(d, "title", "description") for d in data["domains"]],
        "items": [_stripped_item(i) for i in data["items"]],
        "definitions": {k: v.strip() for k, v in (data.get("definitions") or {}).items()},
        "principles": [_strip(p, "label") for p in data.get("principles") or ()],
    }


def _stripped_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **_strip(item, "text"),
        # A fact item's answers are fixed (definition.FACT_OPTIONS): never stored with it.
        "options": [
            _strip(o, "label") for o in item.get("options") or () if item["type"] != "fact"
        ],
        "text_for": {k: v.strip() for k, v in (item.get("text_for") or {}).items()},
        "help": item["help"].strip() if item.get("help") else None,
    }


def _strip(entry: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {**entry, **{field: entry[field].strip() for field in fields}}


# -- a directory -------------------------------------------------------------------------


def load_directory(root: str | Path) -> list[Questionnaire]:
    """Every questionnaire under root, sorted by key and version, after the checks that
    need all versions of a key (no skipped or repeated versions, `revises` names one)."""
    return [loaded.questionnaire for loaded in load_directory_files(root)]


def load_directory_files(root: str | Path) -> list[LoadedFile]:
    """As `load_directory`, keeping each file's path (relative to root's parent, e.g.
    `questionnaires/engagement-maturity/v1.yaml`) for messages and `source_path`."""
    root = Path(root)
    if not root.is_dir():
        raise QuestionnaireError([f"{root}: {TOP_LEVEL}: not a directory"])
    errors: list[str] = []
    loaded: list[LoadedFile] = []
    #: key -> [(version, source)], including files that failed (versions from the file name),
    #: so that one broken file does not also read as a skipped version.
    present: dict[str, list[tuple[int, str]]] = defaultdict(list)
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    for path in paths:
        source = str(Path(root.name) / path.relative_to(root))
        relative = path.relative_to(root)
        if len(relative.parts) != 2:
            errors.append(
                message(
                    source,
                    TOP_LEVEL,
                    "key",
                    "questionnaire files live at <key>/v<version>.yaml under the "
                    "questionnaires directory",
                )
            )
            continue
        directory = relative.parts[0]
        try:
            file = _load(path, source)
        except QuestionnaireError as exc:
            errors.extend(exc.messages)
            match = FILE_NAME.match(path.name)
            if match:
                present[directory].append((int(match.group(1)), source))
            continue
        q = file.questionnaire
        if q.key != directory:
            errors.append(
                message(
                    source,
                    TOP_LEVEL,
                    "key",
                    f"key '{q.key}' does not match its directory '{directory}' "
                    f"(files live at <key>/v<version>.yaml)",
                )
            )
            continue
        loaded.append(file)
        present[directory].append((q.version, source))
    errors.extend(_check_versions(present, loaded))
    if errors:
        raise QuestionnaireError(_unique(errors))
    return sorted(loaded, key=lambda f: (f.questionnaire.key, f.questionnaire.version))


def _check_versions(
    present: dict[str, list[tuple[int, str]]], loaded: list[LoadedFile]
) -> list[str]:
    errors: list[str] = []
    for key, entries in sorted(present.items()):
        entries.sort()
        first_source: dict[int, str] = {}
        for version, source in entries:
            if version in first_source:
                errors.append(
                    message(
                        source,
                        TOP_LEVEL,
                        "version",
                        f"version {version} of {key} repeats {first_source[version]}; "
                        "each version is one file",
                    )
                )
            else:
                first_source[version] = source
        versions = sorted(first_source)
        expected = 1
        for version in versions:
            if version != expected:
                missing = ", ".join(str(v) for v in range(expected, version))
                errors.append(
                    message(
                        first_source[version],
                        TOP_LEVEL,
                        "version",
                        f"version {version} of {key} skips version {missing}; versions run "
                        "1, 2, 3, ... without gaps",
                    )
                )
            expected = version + 1
    for file in loaded:
        q = file.questionnaire
        known = {v for v, _ in present.get(q.key, [])}
        if q.revises is not None and q.revises < q.version and q.revises not in known:
            errors.append(
                message(
                    file.source,
                    TOP_LEVEL,
                    "revises",
                    f"revises {q.revises}, but {q.key} has no version {q.revises}",
                )
            )
    return errors
