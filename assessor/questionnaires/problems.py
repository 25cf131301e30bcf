"""How a problem with a questionnaire file is told to its author: one sentence naming the
file, the item (its link_id, or the section of the file) and the field:

    questionnaires/engagement-maturity/v3.yaml: item gov-9: field 'rung': 'co_thing' is not
    a declared rung
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TOP_LEVEL = "top level"
_SINGULAR = {"items": "item", "rungs": "rung", "domains": "domain", "principles": "principle"}


class QuestionnaireError(ValueError):
    """One or more problems with questionnaire files, each a complete sentence for the
    author (file, item, field, what is wrong)."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages: list[str] = list(messages)
        super().__init__("\n".join(self.messages))


def message(source: str, where: str, field: str, text: str) -> str:
    return f"{source}: {where}: field '{field}': {text}"


def where_in_list(section: str, data: dict[str, Any], index: int) -> str:
    """How an entry of a list section is named: by its link_id or key when it has one."""
    entries = data.get(section)
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    name_field = "link_id" if section == "items" else "key"
    singular = _SINGULAR[section]
    if isinstance(entry, dict) and isinstance(entry.get(name_field), str) and entry[name_field]:
        return f"{singular} {entry[name_field]}"
    return f"{singular} #{index + 1}"
