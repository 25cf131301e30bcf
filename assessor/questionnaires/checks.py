"""The checks of one questionnaire file that need more than one field: its name and
version, declared domains and rungs, coverage of the ladder, duplicates, audiences and skip
logic. Tolerant of entries the schema rejected, so that their own problems are still
reported alongside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from assessor.questionnaires import rules
from assessor.questionnaires.definition import (
    AGREEMENT_OPTIONS,
    FACT_OPTIONS,
    NOT_HAPPENING,
    SCORED_TYPES,
)
from assessor.questionnaires.problems import TOP_LEVEL, message, where_in_list

FILE_NAME = re.compile(r"^v([1-9][0-9]*)\.ya?ml$")


def check_file_name(source: str, path: Path, data: dict[str, Any]) -> list[str]:
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


def check_whole_file(source: str, data: dict[str, Any]) -> list[str]:
    """Every check of the file that needs more than one field."""
    rung_keys = _keys_of(data.get("rungs"))
    domain_keys = _keys_of(data.get("domains"))
    audiences_raw = data.get("audiences")
    audiences = (
        [a for a in audiences_raw if isinstance(a, str)] if isinstance(audiences_raw, list) else []
    )
    errors = _check_declarations(source, data, rung_keys, domain_keys, audiences)

    def where_of(index: int) -> str:
        return where_in_list("items", data, index)

    checks = rules.check_references(data, where_of)
    if rules.applies_to(data.get("version")):
        checks += rules.check(data, where_of)
    errors.extend(message(source, where, field, text) for where, field, text in checks)
    errors.extend(_check_revises(source, data))
    items = data.get("items")
    if not isinstance(items, list):
        return errors
    errors.extend(_check_items(source, data, items, rung_keys, domain_keys, audiences))
    errors.extend(_check_coverage(source, items, rung_keys, domain_keys))
    return errors


def _check_revises(source: str, data: dict[str, Any]) -> list[str]:
    version = data.get("version")
    revises = data.get("revises")
    if (
        isinstance(version, int)
        and isinstance(revises, int)
        and not isinstance(revises, bool)
        and not 1 <= revises < version
    ):
        return [
            message(
                source,
                TOP_LEVEL,
                "revises",
                f"revises {revises}, but a version can only revise an earlier version "
                + (f"(1 to {version - 1})" if version > 1 else "(version 1 has none)"),
            )
        ]
    return []


_Seen = TypeVar("_Seen")


def _seen_before(seen: dict[str, _Seen], value: Any, first: _Seen) -> _Seen | None:
    """What a string value was first recorded with, or None (recording it now) when new."""
    if not isinstance(value, str):
        return None
    if value in seen:
        return seen[value]
    seen[value] = first
    return None


def _repeats(
    item: dict[str, Any], index: int, positions: dict[str, int], concepts: dict[str, str]
) -> list[tuple[str, str]]:
    """(field, text) where an item reuses an earlier item's link_id or concept."""
    link_id, concept = item.get("link_id"), item.get("concept")
    repeats = []
    earlier = _seen_before(positions, link_id, index)
    if earlier is not None:
        repeats.append(
            (
                "link_id",
                f"'{link_id}' is used by more than one item "
                f"(items #{earlier + 1} and #{index + 1})",
            )
        )
    named = link_id if isinstance(link_id, str) else f"#{index + 1}"
    holder = _seen_before(concepts, concept, named)
    if holder is not None:
        repeats.append(
            (
                "concept",
                f"'{concept}' is already the concept of item {holder}; "
                "each concept appears once in a version",
            )
        )
    return repeats


def _check_items(
    source: str,
    data: dict[str, Any],
    items: list[Any],
    rung_keys: list[str],
    domain_keys: list[str],
    audiences: list[str],
) -> list[str]:
    errors: list[str] = []
    positions: dict[str, int] = {}
    concepts: dict[str, str] = {}
    not_happening = data.get("not_happening") is True
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        where = where_in_list("items", data, index)
        repeats = _repeats(item, index, positions, concepts)
        errors.extend(message(source, where, field, text) for field, text in repeats)
        errors.extend(_check_scoring_fields(source, where, item, rung_keys, domain_keys))
        errors.extend(_check_options(source, where, item))
        errors.extend(_check_text_for(source, where, item, audiences))
        errors.extend(
            _check_enable_when(source, where, item, index, items, positions, not_happening)
        )
    return errors


def _check_text_for(
    source: str, where: str, item: dict[str, Any], audiences: list[str]
) -> list[str]:
    text_for = item.get("text_for")
    if not isinstance(text_for, dict) or not audiences:
        return []
    return [
        message(
            source,
            where,
            f"text_for.{audience}",
            f"'{audience}' is not one of the declared audiences ({', '.join(audiences)})",
        )
        for audience in text_for
        if audience not in audiences
    ]


def _check_coverage(
    source: str, items: list[Any], rung_keys: list[str], domain_keys: list[str]
) -> list[str]:
    """Every declared rung of every domain is evidenced by at least one scored item."""
    covered = {
        (item["domain"], item["rung"])
        for item in items
        if isinstance(item, dict)
        and item.get("type") in SCORED_TYPES
        and item.get("domain") in domain_keys
        and item.get("rung") in rung_keys
    }
    return [
        message(
            source,
            f"domain {domain}",
            "items",
            f"no scored item evidences rung '{rung}' in this domain "
            f"(add an item with domain: {domain} and rung: {rung})",
        )
        for domain in domain_keys
        for rung in rung_keys
        if (domain, rung) not in covered
    ]


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
    scored = item.get("type") in SCORED_TYPES
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
                        f"only agreement and fact items are scored; a {item['type']} item "
                        f"has no {field}",
                    )
                )
            continue
        if value is None:
            errors.append(
                message(
                    source,
                    where,
                    field,
                    f"{'an' if item['type'] == 'agreement' else 'a'} {item['type']} item is "
                    f"scored and needs a {field}",
                )
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
    if kind == "fact" and options is not None:
        keys = [o.get("key") if isinstance(o, dict) else None for o in options or []]
        fixed = [key for key, _, _ in FACT_OPTIONS]
        if keys != fixed:
            return [
                message(
                    source,
                    where,
                    "options",
                    "a fact item's answers are fixed: " + ", ".join(fixed) + " (leave options "
                    "out, or list exactly these keys in this order)",
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
    if kind == "fact":
        return [key for key, _, _ in FACT_OPTIONS]
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
                "an agreement, fact or single_choice item",
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
