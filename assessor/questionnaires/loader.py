"""Load and validate questionnaire files (`questionnaires/<key>/v<version>.yaml`).

Authors fix files in review, so every failure is collected (never only the first) and each
message names the file, the item (its link_id, or the section of the file) and the field:

    questionnaires/engagement-maturity/v3.yaml: item gov-9: field 'rung': 'co_thing' is not
    a declared rung
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from assessor.questionnaires import rules
from assessor.questionnaires.definition import (
    AGREEMENT_OPTIONS,
    NOT_HAPPENING,
    Domain,
    EnableWhen,
    Item,
    Option,
    Principle,
    Questionnaire,
    Rung,
)
from assessor.questionnaires.schema import QuestionnaireFileSchema

FILE_NAME = re.compile(r"^v([1-9][0-9]*)\.ya?ml$")
TOP_LEVEL = "top level"


class QuestionnaireError(ValueError):
    """One or more problems with questionnaire files, each a complete sentence for the
    author (file, item, field, what is wrong)."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages: list[str] = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class LoadedFile:
    """A validated questionnaire with the path it came from, as shown in messages."""

    questionnaire: Questionnaire
    source: str


def message(source: str, where: str, field: str, text: str) -> str:
    return f"{source}: {where}: field '{field}': {text}"


# -- YAML --------------------------------------------------------------------------------


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; an author who writes `rung:` twice
    in one item deserves to hear about it."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if isinstance(key, str) and key in seen:
                first = seen[key].start_mark.line + 1
                raise _DuplicateKey(
                    problem=f"duplicate key '{key}' (first given on line {first})",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(path: Path, source: str) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{source}: {TOP_LEVEL}: cannot read the file: {exc}"]
    try:
        return yaml.load(text, Loader=_StrictLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [f"{source}: {where}: not valid YAML: {problem}"]
    except yaml.YAMLError as exc:
        return None, [f"{source}: {TOP_LEVEL}: not valid YAML: {exc}"]


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
    data, errors = _parse_yaml(path, source)
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
        errors.extend(_schema_messages(source, data, exc.normalized_messages()))
    errors.extend(_check_file_name(source, path, data))
    errors.extend(_check_whole_file(source, data))
    if errors or loaded is None:
        raise QuestionnaireError(_unique(errors))
    return LoadedFile(_build(loaded), source)


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _where_in_list(section: str, data: dict[str, Any], index: int) -> str:
    """How an entry of a list section is named: by its link_id or key when it has one."""
    entries = data.get(section)
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    name_field = "link_id" if section == "items" else "key"
    singular = {"items": "item", "rungs": "rung", "domains": "domain", "principles": "principle"}[
        section
    ]
    if isinstance(entry, dict) and isinstance(entry.get(name_field), str) and entry[name_field]:
        return f"{singular} {entry[name_field]}"
    return f"{singular} #{index + 1}"


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow nests errors by field (and list index); flatten to (field path, text)."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                out.extend(_flatten(value, prefix))
                continue
            part = f"[{key + 1}]" if isinstance(key, int) else str(key)
            if isinstance(key, int) or not prefix:
                path = f"{prefix}{part}" if isinstance(key, int) else part
            else:
                path = f"{prefix}.{part}"
            out.extend(_flatten(value, path))
    elif isinstance(messages, list):
        for value in messages:
            out.extend(_flatten(value, prefix))
    else:
        out.append((prefix, _lower_first(str(messages))))
    return out


def _lower_first(text: str) -> str:
    text = text.rstrip(".")
    if text == "Unknown field":
        return "unknown key (check its spelling and indentation)"
    if text == "Missing data for required field":
        return "is required"
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _schema_messages(source: str, data: dict[str, Any], errors: Any) -> list[str]:
    out: list[str] = []
    if not isinstance(errors, dict):
        return [f"{source}: {TOP_LEVEL}: {errors}"]
    for section, value in errors.items():
        if section in ("items", "rungs", "domains", "principles") and isinstance(value, dict):
            for index, entry_errors in value.items():
                if not isinstance(index, int):
                    continue
                where = _where_in_list(section, data, index)
                for field, text in _flatten(entry_errors):
                    if field.startswith("text_for."):
                        field = re.sub(r"\.(key|value)$", "", field)
                    out.append(message(source, where, field or section, text))
            continue
        where = section if section in ("items", "rungs", "domains", "audiences") else TOP_LEVEL
        for field, text in _flatten(value, section):
            out.append(message(source, where, field.split("[")[0] or section, text))
    return out


def _check_file_name(source: str, path: Path, data: dict[str, Any]) -> list[str]:
    match = FILE_NAME.match(path.name)
    if match is None:
        return [
            message(
                source,
                TOP_LEVEL,
                "version",
                f"the file name '{path.name}' must be v<version>.yaml, e.g. v1.yaml",
            )
        ]
    version = data.get("version")
    if (
        isinstance(version, int)
        and not isinstance(version, bool)
        and version != int(match.group(1))
    ):
        return [
            message(
                source,
                TOP_LEVEL,
                "version",
                f"version {version} does not match the file name {path.name} "
                f"(expected v{version}.yaml)",
            )
        ]
    return []


def _keys_of(section: Any) -> list[str]:
    if not isinstance(section, list):
        return []
    return [e["key"] for e in section if isinstance(e, dict) and isinstance(e.get("key"), str)]


def _check_whole_file(source: str, data: dict[str, Any]) -> list[str]:
    """Checks that need more than one field: declared domains and rungs, coverage of the
    ladder, duplicates, audiences and skip logic. Tolerant of entries the schema rejected,
    so that their own problems are still reported alongside."""
    errors: list[str] = []
    rung_keys = _keys_of(data.get("rungs"))
    domain_keys = _keys_of(data.get("domains"))
    audiences_raw = data.get("audiences")
    audiences = (
        [a for a in audiences_raw if isinstance(a, str)] if isinstance(audiences_raw, list) else []
    )

    errors.extend(_check_declarations(source, data, rung_keys, domain_keys, audiences))

    def where_of(index: int) -> str:
        return _where_in_list("items", data, index)

    checks = rules.check_references(data, where_of)
    if rules.applies_to(data.get("version")):
        checks += rules.check(data, where_of)
    errors.extend(message(source, where, field, text) for where, field, text in checks)

    version = data.get("version")
    revises = data.get("revises")
    if (
        isinstance(version, int)
        and isinstance(revises, int)
        and not isinstance(revises, bool)
        and not 1 <= revises < version
    ):
        errors.append(
            message(
                source,
                TOP_LEVEL,
                "revises",
                f"revises {revises}, but a version can only revise an earlier version "
                + (f"(1 to {version - 1})" if version > 1 else "(version 1 has none)"),
            )
        )

    items = data.get("items")
    if not isinstance(items, list):
        return errors
    covered: set[tuple[str, str]] = set()
    positions: dict[str, int] = {}
    concepts: dict[str, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        where = _where_in_list("items", data, index)
        link_id = item.get("link_id")
        if isinstance(link_id, str):
            if link_id in positions:
                errors.append(
                    message(
                        source,
                        where,
                        "link_id",
                        f"'{link_id}' is used by more than one item "
                        f"(items #{positions[link_id] + 1} and #{index + 1})",
                    )
                )
            else:
                positions[link_id] = index
        concept = item.get("concept")
        if isinstance(concept, str):
            if concept in concepts:
                errors.append(
                    message(
                        source,
                        where,
                        "concept",
                        f"'{concept}' is already the concept of item {concepts[concept]}; "
                        "each concept appears once in a version",
                    )
                )
            else:
                concepts[concept] = link_id if isinstance(link_id, str) else f"#{index + 1}"
        errors.extend(_check_scoring_fields(source, where, item, rung_keys, domain_keys))
        if (
            item.get("type") == "agreement"
            and item.get("domain") in domain_keys
            and item.get("rung") in rung_keys
        ):
            covered.add((item["domain"], item["rung"]))
        errors.extend(_check_options(source, where, item))
        text_for = item.get("text_for")
        if isinstance(text_for, dict) and audiences:
            for audience in text_for:
                if audience not in audiences:
                    errors.append(
                        message(
                            source,
                            where,
                            f"text_for.{audience}",
                            f"'{audience}' is not one of the declared audiences "
                            f"({', '.join(audiences)})",
                        )
                    )
        errors.extend(
            _check_enable_when(
                source, where, item, index, items, positions, data.get("not_happening") is True
            )
        )

    for domain in domain_keys:
        for rung in rung_keys:
            if (domain, rung) not in covered:
                errors.append(
                    message(
                        source,
                        f"domain {domain}",
                        "items",
                        f"no agreement item evidences rung '{rung}' in this domain "
                        f"(add an item with domain: {domain} and rung: {rung})",
                    )
                )
    return errors


def _check_declarations(
    source: str,
    data: dict[str, Any],
    rung_keys: list[str],
    domain_keys: list[str],
    audiences: list[str],
) -> list[str]:
    errors: list[str] = []
    for section, keys in (("rungs", rung_keys), ("domains", domain_keys)):
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                errors.append(
                    message(source, f"{section[:-1]} {key}", "key", f"'{key}' is declared twice")
                )
            seen.add(key)
    if "not_yet" in rung_keys:
        errors.append(
            message(
                source,
                "rung not_yet",
                "key",
                "'not_yet' is the implicit rank 0 (informing only) and cannot be declared",
            )
        )
    if len(set(audiences)) != len(audiences):
        errors.append(message(source, "audiences", "audiences", "an audience is listed twice"))
    return errors


def _check_scoring_fields(
    source: str, where: str, item: dict[str, Any], rung_keys: list[str], domain_keys: list[str]
) -> list[str]:
    errors: list[str] = []
    scored = item.get("type") == "agreement"
    for field, declared, kind in (
        ("domain", domain_keys, "domain"),
        ("rung", rung_keys, "rung"),
    ):
        value = item.get(field)
        if not scored:
            if value is not None and item.get("type") in ("text", "single_choice"):
                errors.append(
                    message(
                        source,
                        where,
                        field,
                        f"only agreement items are scored; a {item['type']} item has no {field}",
                    )
                )
            continue
        if value is None:
            errors.append(
                message(source, where, field, f"an agreement item is scored and needs a {field}")
            )
        elif isinstance(value, str) and value not in declared:
            errors.append(
                message(
                    source,
                    where,
                    field,
                    f"'{value}' is not a declared {kind} "
                    f"({', '.join(declared) or 'none declared'})",
                )
            )
    return errors


def _check_options(source: str, where: str, item: dict[str, Any]) -> list[str]:
    options = item.get("options")
    kind = item.get("type")
    if kind == "single_choice":
        if not isinstance(options, list) or len(options) < 2:
            if options is None or isinstance(options, list):
                return [
                    message(
                        source,
                        where,
                        "options",
                        "a single_choice item needs at least two options [{key, label}]",
                    )
                ]
            return []
        keys = [o.get("key") for o in options if isinstance(o, dict)]
        duplicates = sorted({k for k in keys if isinstance(k, str) and keys.count(k) > 1})
        if duplicates:
            return [
                message(
                    source,
                    where,
                    "options",
                    f"option key {', '.join(repr(d) for d in duplicates)} is used twice",
                )
            ]
        return []
    if options is not None and kind in ("agreement", "text"):
        extra = " (the agreement scale is fixed)" if kind == "agreement" else ""
        return [
            message(
                source,
                where,
                "options",
                f"options are only for single_choice items, not {kind}{extra}",
            )
        ]
    return []


def _answer_keys(item: dict[str, Any], not_happening: bool = False) -> list[str] | None:
    kind = item.get("type")
    if kind == "agreement":
        keys = [key for key, _, _ in AGREEMENT_OPTIONS]
        return [*keys, NOT_HAPPENING[0]] if not_happening else keys
    if kind == "single_choice" and isinstance(item.get("options"), list):
        return [
            o["key"]
            for o in item["options"]
            if isinstance(o, dict) and isinstance(o.get("key"), str)
        ]
    return None


def _check_enable_when(
    source: str,
    where: str,
    item: dict[str, Any],
    index: int,
    items: list[Any],
    positions: dict[str, int],
    not_happening: bool = False,
) -> list[str]:
    condition = item.get("enable_when")
    if not isinstance(condition, dict) or not isinstance(condition.get("link_id"), str):
        return []
    target_id = condition["link_id"]
    if target_id not in positions or positions[target_id] >= index:
        later = any(
            isinstance(other, dict) and other.get("link_id") == target_id for other in items[index:]
        )
        problem = (
            f"'{target_id}' is this item or a later one; skip logic can only depend on an "
            "earlier item"
            if later
            else f"'{target_id}' is not an item of this questionnaire"
        )
        return [message(source, where, "enable_when.link_id", problem)]
    target = items[positions[target_id]]
    answer = condition.get("answer")
    keys = _answer_keys(target, not_happening)
    if keys is None:
        return [
            message(
                source,
                where,
                "enable_when.link_id",
                f"'{target_id}' is a {target.get('type')} item; skip logic can only depend on "
                "an agreement or single_choice item",
            )
        ]
    if isinstance(answer, str) and answer not in keys:
        return [
            message(
                source,
                where,
                "enable_when.answer",
                f"'{answer}' is not an answer of item {target_id} ({', '.join(keys)})",
            )
        ]
    return []


def _build(data: dict[str, Any]) -> Questionnaire:
    """The validated file as frozen dataclasses; text is stripped so that the trailing
    newline of a YAML block scalar never changes a checksum."""
    not_happening = bool(data.get("not_happening", False))
    return Questionnaire(
        key=data["key"],
        version=data["version"],
        title=data["title"].strip(),
        status=data["status"],
        revises=data.get("revises"),
        audiences=tuple(data["audiences"]),
        threshold=float(data["threshold"]),
        rungs=tuple(
            Rung(key=r["key"], label=r["label"].strip(), description=r["description"].strip())
            for r in data["rungs"]
        ),
        domains=tuple(
            Domain(key=d["key"], title=d["title"].strip(), description=d["description"].strip())
            for d in data["domains"]
        ),
        items=tuple(_build_item(i, not_happening) for i in data["items"]),
        not_happening=not_happening,
        definitions={k: v.strip() for k, v in (data.get("definitions") or {}).items()},
        principles=tuple(
            Principle(key=p["key"], framework=p["framework"], label=p["label"].strip())
            for p in data.get("principles") or ()
        ),
    )


def _build_item(data: dict[str, Any], not_happening: bool = False) -> Item:
    enable_when = data.get("enable_when")
    return Item(
        link_id=data["link_id"],
        concept=data["concept"],
        type=data["type"],
        text=data["text"].strip(),
        domain=data.get("domain"),
        rung=data.get("rung"),
        options=tuple(
            Option(key=o["key"], label=o["label"].strip()) for o in data.get("options") or ()
        ),
        text_for={k: v.strip() for k, v in (data.get("text_for") or {}).items()},
        help=data["help"].strip() if data.get("help") else None,
        required=bool(data.get("required", False)),
        enable_when=(
            EnableWhen(link_id=enable_when["link_id"], answer=enable_when["answer"])
            if enable_when
            else None
        ),
        principles=tuple(data.get("principles") or ()),
        not_happening=not_happening and data["type"] == "agreement",
    )


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
