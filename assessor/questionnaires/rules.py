"""The content rules of questionnaire format version 3 (questionnaire-format.md).

From version 3 on, a scored item has one wording for every audience, makes one statement,
does not presume what it asks about, and is mapped to at least one declared principle; the
version defines who a patient leader is. Older versions stay valid as they were published.

Two of the rules are judged from the words, so they are heuristics, chosen to be strict and
predictable rather than clever (an author who trips one rewrites the item, or, for a phrase
that names one thing, lists it once in `fixed_phrases` where reviewers see it):
- one statement: a scored text is one sentence, with no ";", ":" or "?", and no joining word
  ("and", "or", "nor", "but", "plus", "including", "as well as", "and/or") outside a fixed
  phrase such as "patients and carers". "X and Y" in one item is the commonest
  double-barrelled question, and "including" the commonest rider.
- no presumption: a scored text may not open with a condition or a time clause ("When...",
  "If...", "Once...", "After...", "Where...", "Since...", "Whenever...", "Until..."), the
  form of v2's "When patient leaders have helped choose what to fund, ...", and may not
  use words that take a prior state for granted ("still", "again", "no longer", "any longer",
  "any more", "continue(s) to", "keep(s) on"), nor phrases that take another item's answer
  or a service for granted ("as a result", "what they found", "the changes they asked
  for", "their budget", ...: PRESUMING_PHRASES). Other presumptions hidden in a noun are
  left to review; the `not_happening` answer covers what review misses.
- independence: a scored item may not declare `depends_on` (an item it only makes sense
  after); two items of a (domain, rung) must each stand alone, or a "does not happen" on
  the first would zero both and the rung would rest on one fact.
- a `fact` item (yes / partly / no / don't know) is for something that happens or not, from
  version 3 on; its answers are fixed.
"""

from __future__ import annotations

import re
from typing import Any

from assessor.questionnaires.definition import RULES_FROM_VERSION, SCORED_TYPES

#: (where, field, text) of one problem; the loader adds the file name.
Problem = tuple[str, str, str]

REQUIRED_DEFINITIONS = ("patient_leader",)
JOINING_WORDS = ("as well as", "and/or", "and", "or", "nor", "but", "plus", "including")
_JOINING = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(w) for w in JOINING_WORDS) + r")(?![\w-])",
    re.IGNORECASE,
)
_OPENING_CONDITION = re.compile(
    r"^\s*(when|whenever|if|once|after|where|wherever|since|until)\b", re.IGNORECASE
)
_PRESUPPOSING = re.compile(
    r"\b(still|again|no longer|any longer|any more|anymore|continues? to|continued to"
    r"|keeps? on)\b",
    re.IGNORECASE,
)
#: Phrases that take another item's answer, or a service, for granted: an item holding one
#: only makes sense once something else has happened.
PRESUMING_PHRASES = (
    "as a result",
    "because of this",
    "because of that",
    "following this",
    "after this",
    "what they found",
    "what they said",
    "what they asked for",
    "what patient leaders found",
    "what patient leaders said",
    "what patient leaders asked for",
    "the changes they",
    "the ideas they",
    "their budget",
    "their training",
    "their findings",
    "their suggestions",
    "this work",
    "these changes",
)
_PRESUMING_PHRASE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p) for p in PRESUMING_PHRASES) + r")(?![\w-])",
    re.IGNORECASE,
)
#: A full stop, "!" or "?" followed by more words: a second sentence.
_SECOND_SENTENCE = re.compile(r"[.!?](?=\s+\S)")


def applies_to(version: Any) -> bool:
    """Whether a file's version is held to these rules (version 3 and later)."""
    return (
        isinstance(version, int) and not isinstance(version, bool) and version >= RULES_FROM_VERSION
    )


def _phrases(data: dict[str, Any]) -> list[str]:
    raw = data.get("fixed_phrases")
    if not isinstance(raw, list):
        return []
    return sorted((p for p in raw if isinstance(p, str) and p.strip()), key=len, reverse=True)


def one_statement_problems(text: str, fixed_phrases: list[str]) -> list[str]:
    """Why a scored text is not one statement (empty when it is)."""
    flat = " ".join(text.split())
    problems: list[str] = []
    if _SECOND_SENTENCE.search(flat):
        problems.append("has more than one sentence")
    for mark in (";", ":"):
        if mark in flat:
            problems.append(f"joins clauses with '{mark}'")
    if "?" in flat:
        problems.append("is a question; a scored item is a statement to agree or disagree with")
    rest = flat
    for phrase in fixed_phrases:
        rest = re.sub(re.escape(" ".join(phrase.split())), " ", rest, flags=re.IGNORECASE)
    joined = sorted({m.group(1).lower() for m in _JOINING.finditer(rest)})
    if joined:
        problems.append(
            "joins two things with "
            + ", ".join(f"'{w}'" for w in joined)
            + " (ask one thing per item, or list a phrase that names one thing, such as "
            "'patients and carers', under fixed_phrases)"
        )
    return problems


def presumption_problems(text: str) -> list[str]:
    """Why a scored text presumes what it asks about (empty when nothing is detected)."""
    flat = " ".join(text.split())
    problems: list[str] = []
    opening = _OPENING_CONDITION.match(flat)
    if opening:
        problems.append(
            f"opens with '{opening.group(1)}', taking for granted that something happens; "
            "ask whether it happens instead"
        )
    for word in sorted({m.group(1).lower() for m in _PRESUPPOSING.finditer(flat)}):
        problems.append(f"'{word}' takes an earlier state for granted")
    for phrase in sorted({m.group(1).lower() for m in _PRESUMING_PHRASE.finditer(flat)}):
        problems.append(
            f"'{phrase}' takes another item's answer or a service for granted; ask about "
            "it on its own"
        )
    return problems


def check(data: dict[str, Any], where_of: Any) -> list[Problem]:
    """Every version 3 problem of a file's raw data. `where_of(index)` names item #index as
    the loader does. Tolerant of entries the schema rejected."""
    problems: list[Problem] = []
    definitions = data.get("definitions")
    definitions = definitions if isinstance(definitions, dict) else {}
    for key in REQUIRED_DEFINITIONS:
        if not isinstance(definitions.get(key), str) or not definitions[key].strip():
            problems.append(
                (
                    "top level",
                    f"definitions.{key}",
                    f"from version 3 on, definitions.{key} is required: say in plain words "
                    "who counts as a patient leader (carers included)",
                )
            )
    principles = data.get("principles")
    if not isinstance(principles, list) or not principles:
        problems.append(
            (
                "top level",
                "principles",
                "from version 3 on, declare the principles items are mapped to "
                "(e.g. NHS England's ten principles and the IAF criteria)",
            )
        )
    phrases = _phrases(data)
    items = data.get("items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or item.get("type") not in SCORED_TYPES:
            continue
        where = where_of(index)
        if item.get("depends_on") is not None:
            problems.append(
                (
                    where,
                    "depends_on",
                    "a scored item stands alone: it may not depend on another item (a 'does "
                    "not happen' there would zero both, and the rung would rest on one fact); "
                    "reword it to ask about one thing that can be judged by itself",
                )
            )
        if item.get("text_for"):
            problems.append(
                (
                    where,
                    "text_for",
                    "from version 3 on, a scored item has one wording for every audience, so "
                    "that a staff/patient-leader gap never comes from wording (text_for is "
                    "for unscored items only)",
                )
            )
        if not item.get("principles"):
            problems.append(
                (where, "principles", "from version 3 on, map each scored item to a principle")
            )
        text = item.get("text")
        if isinstance(text, str):
            for problem in one_statement_problems(text, phrases):
                problems.append((where, "text", f"not one statement: the text {problem}"))
            for problem in presumption_problems(text):
                problems.append((where, "text", f"presumes what it asks: the text {problem}"))
    return problems


def check_references(data: dict[str, Any], where_of: Any) -> list[Problem]:
    """Checks for every version: declared principles are unique, items name only declared
    ones, only scored items are mapped, and `not_happening` waits for version 3."""
    problems: list[Problem] = []
    declared: list[str] = []
    principles = data.get("principles")
    for entry in principles if isinstance(principles, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            if entry["key"] in declared:
                problems.append(
                    (f"principle {entry['key']}", "key", f"'{entry['key']}' is declared twice")
                )
            declared.append(entry["key"])
    if not applies_to(data.get("version")):
        items = data.get("items")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("type") == "fact":
                problems.append(
                    (
                        where_of(index),
                        "type",
                        "fact items (yes / partly / no / don't know) are offered from version 3 on",
                    )
                )
    if data.get("not_happening") is True and not applies_to(data.get("version")):
        problems.append(
            (
                "top level",
                "not_happening",
                "'This does not happen here' is offered from version 3 on; earlier versions "
                "keep the answers they were published with",
            )
        )
    items = data.get("items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        keys = item.get("principles")
        if not isinstance(keys, list) or not keys:
            continue
        where = where_of(index)
        if item.get("type") not in SCORED_TYPES:
            problems.append(
                (
                    where,
                    "principles",
                    "only scored (agreement, fact) items are mapped to principles",
                )
            )
            continue
        for key in keys:
            if isinstance(key, str) and key not in declared:
                problems.append(
                    (
                        where,
                        "principles",
                        f"'{key}' is not a declared principle "
                        f"({', '.join(declared) or 'none declared'})",
                    )
                )
        if len(set(map(str, keys))) != len(keys):
            problems.append((where, "principles", "a principle is listed twice"))
    return problems
