"""Reading a questionnaire file: strict YAML (no repeated keys), and the schema's errors
turned into the loader's sentences."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assessor.questionnaires.problems import TOP_LEVEL, message, where_in_list


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


#: libyaml's parser where PyYAML was built with it (ten times faster; marks keep lines).
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
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


def parse_yaml(path: Path, source: str) -> tuple[Any, list[str]]:
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


def schema_messages(source: str, data: dict[str, Any], errors: Any) -> list[str]:
    out: list[str] = []
    if not isinstance(errors, dict):
        return [f"{source}: {TOP_LEVEL}: {errors}"]
    for section, value in errors.items():
        if section in ("items", "rungs", "domains", "principles") and isinstance(value, dict):
            for index, entry_errors in value.items():
                if not isinstance(index, int):
                    continue
                where = where_in_list(section, data, index)
                for field, text in _flatten(entry_errors):
                    if field.startswith("text_for."):
                        field = re.sub(r"\.(key|value)$", "", field)
                    out.append(message(source, where, field or section, text))
            continue
        where = section if section in ("items", "rungs", "domains", "audiences") else TOP_LEVEL
        for field, text in _flatten(value, section):
            out.append(message(source, where, field.split("[")[0] or section, text))
    return out
