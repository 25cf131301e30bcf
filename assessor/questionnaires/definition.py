"""The in-memory form of one questionnaire version.

Frozen dataclasses built from a validated file (or from the normalised JSON stored at
publication), so that scoring, the survey and the API all read one shape. `to_dict()` is the
normalised JSON whose sha256 is the version's checksum.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

AGREEMENT_OPTIONS: tuple[tuple[str, str, int | None], ...] = (
    ("strongly_disagree", "Strongly disagree", 0),
    ("disagree", "Disagree", 1),
    ("neutral", "Neither agree nor disagree", 2),
    ("agree", "Agree", 3),
    ("strongly_agree", "Strongly agree", 4),
    ("dont_know", "Don't know", None),
)
#: Offered from format version 3 on (`not_happening: true`), shown apart from the scale: a
#: respondent who knows a thing does not happen is not pushed to "disagree" or "don't know".
NOT_HAPPENING: tuple[str, str, int | None] = ("not_happening", "This does not happen here", 0)
#: option key -> value 0..4, or None for "don't know" (counted as unanswered everywhere);
#: `not_happening` is 0, like strongly disagree (scoring.md s.2).
AGREEMENT_VALUES: dict[str, int | None] = {
    key: value for key, _, value in (*AGREEMENT_OPTIONS, NOT_HAPPENING)
}
#: A `fact` item (format version 3 on) asks whether something happens: yes contributes 1,
#: partly 0.5, no 0 (values 4, 2 and 0 on the agreement scale's 0..4), "don't know" is
#: unanswered (scoring.md s.2).
FACT_OPTIONS: tuple[tuple[str, str, int | None], ...] = (
    ("yes", "Yes", 4),
    ("partly", "Partly", 2),
    ("no", "No", 0),
    ("dont_know", "Don't know", None),
)
#: The fact answer nearest to each agreement answer: for generated answers (the demo, tests)
#: that speak the agreement scale to every scored item.
FACT_EQUIVALENT: dict[str, str] = {
    "strongly_agree": "yes",
    "agree": "yes",
    "neutral": "partly",
    "disagree": "no",
    "strongly_disagree": "no",
    "not_happening": "no",
    "dont_know": "dont_know",
}
#: The first questionnaire version held to the version 3 rules of questionnaire-format.md.
RULES_FROM_VERSION = 3

ITEM_TYPES = ("agreement", "fact", "text", "single_choice")
#: Item types that are scored: each belongs to a domain and evidences a rung.
SCORED_TYPES = ("agreement", "fact")


def canonical_digest(body: Any) -> str:
    """sha256 of canonical JSON: key order and spacing do not matter. A definition's
    checksum and a request body's idempotency digest (never change it: both are stored)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rung:
    key: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Domain:
    key: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Principle:
    """A principle or criterion of a framework that items are mapped to, so that an
    organisation can report its results by principle (e.g. NHS England's ten principles)."""

    key: str
    framework: str
    label: str


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class EnableWhen:
    link_id: str
    answer: str


@dataclass(frozen=True)
class Item:
    link_id: str
    concept: str
    type: str
    text: str
    domain: str | None = None
    rung: str | None = None
    options: tuple[Option, ...] = ()
    text_for: dict[str, str] = field(default_factory=dict)
    help: str | None = None
    required: bool = False
    enable_when: EnableWhen | None = None
    #: keys of the version's `principles` this item evidences (scored items, version 3 on).
    principles: tuple[str, ...] = ()
    #: whether "This does not happen here" is offered: the version's `not_happening`, copied
    #: onto each agreement item so that an item alone knows its options (never stored twice).
    not_happening: bool = False

    @property
    def scored(self) -> bool:
        return self.type in SCORED_TYPES

    def agreement_options(self) -> tuple[tuple[str, str, int | None], ...]:
        """(key, label, value) of a scored item's answers: for an agreement item the scale,
        "don't know", and "This does not happen here" where the version offers it; for a
        fact item yes, partly, no and "don't know"."""
        if self.type == "fact":
            return FACT_OPTIONS
        if self.not_happening:
            return (*AGREEMENT_OPTIONS, NOT_HAPPENING)
        return AGREEMENT_OPTIONS

    def answer_values(self) -> tuple[tuple[str, int | None], ...]:
        """(key, value) of each answer of a scored item, in order: what a trend compares."""
        return tuple((key, value) for key, _, value in self.agreement_options())

    def option_keys(self) -> tuple[str, ...]:
        return self._option_keys

    @cached_property
    def _option_keys(self) -> tuple[str, ...]:
        if self.scored:
            return tuple(key for key, _, _ in self.agreement_options())
        return tuple(option.key for option in self.options)

    def nearest_answer(self, agreement_key: str) -> str:
        """An agreement answer as this item would take it: itself, or for a fact item the
        nearest fact answer (generated answers only: a respondent picks their own)."""
        if self.type == "fact":
            return FACT_EQUIVALENT.get(agreement_key, agreement_key)
        return agreement_key

    def text_for_audience(self, audience: str) -> str:
        return self.text_for.get(audience, self.text)


@dataclass(frozen=True)
class Questionnaire:
    key: str
    version: int
    title: str
    status: str
    audiences: tuple[str, ...]
    threshold: float
    rungs: tuple[Rung, ...]
    domains: tuple[Domain, ...]
    items: tuple[Item, ...]
    revises: int | None = None
    #: "This does not happen here" offered on agreement items (version 3 on).
    not_happening: bool = False
    #: plain-words definitions shown to respondents and readers, e.g. `patient_leader`.
    definitions: dict[str, str] = field(default_factory=dict)
    #: the principles and criteria items are mapped to, in the file's order.
    principles: tuple[Principle, ...] = ()

    # Derived once per definition (definitions are immutable): scoring a response reads these
    # several times, and rebuilding them per read cost a tenth of a submission's CPU.
    @cached_property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @cached_property
    def rung_keys(self) -> tuple[str, ...]:
        return tuple(rung.key for rung in self.rungs)

    @cached_property
    def domain_keys(self) -> tuple[str, ...]:
        return tuple(domain.key for domain in self.domains)

    def rung_rank(self, key: str) -> int:
        """Rank 1..R of a rung key (0 is the implicit "not yet")."""
        return self.rung_keys.index(key) + 1

    def level_key(self, level: int) -> str:
        return "not_yet" if level == 0 else self.rungs[level - 1].key

    def principle(self, key: str) -> Principle:
        for principle in self.principles:
            if principle.key == key:
                return principle
        raise KeyError(key)

    def items_by_principle(self) -> dict[str, tuple[str, ...]]:
        """Declared principle key -> link_ids of the scored items mapped to it, in file order:
        what a report by principle averages over."""
        return {
            p.key: tuple(i.link_id for i in self.scored_items if p.key in i.principles)
            for p in self.principles
        }

    def frameworks(self) -> tuple[str, ...]:
        """The frameworks of the declared principles, in order of first appearance."""
        return tuple(dict.fromkeys(p.framework for p in self.principles))

    def item(self, link_id: str) -> Item:
        return self.items_by_link_id[link_id]

    @cached_property
    def items_by_link_id(self) -> dict[str, Item]:
        return {item.link_id: item for item in self.items}

    def to_dict(self) -> dict[str, Any]:
        """The normalised definition, in a fixed shape. The fields of format version 3
        (`not_happening`, `definitions`, `principles`) appear only when set, so that the
        checksums of versions published before them never change."""
        body: dict[str, Any] = {
            "key": self.key,
            "version": self.version,
            "title": self.title,
            "status": self.status,
            "revises": self.revises,
            "audiences": list(self.audiences),
            "threshold": self.threshold,
            "rungs": [
                {"key": r.key, "label": r.label, "description": r.description} for r in self.rungs
            ],
            "domains": [
                {"key": d.key, "title": d.title, "description": d.description} for d in self.domains
            ],
            "items": [_item_dict(item) for item in self.items],
        }
        if self.not_happening:
            body["not_happening"] = True
        if self.definitions:
            body["definitions"] = dict(self.definitions)
        if self.principles:
            body["principles"] = [
                {"key": p.key, "framework": p.framework, "label": p.label} for p in self.principles
            ]
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Questionnaire:
        """Rebuild from the normalised dict (as stored in the database); no validation."""
        not_happening = bool(data.get("not_happening", False))
        return cls(
            key=data["key"],
            version=int(data["version"]),
            title=data["title"],
            status=data.get("status", "published"),
            revises=data.get("revises"),
            audiences=tuple(data["audiences"]),
            threshold=float(data["threshold"]),
            rungs=tuple(Rung(**r) for r in data["rungs"]),
            domains=tuple(Domain(**d) for d in data["domains"]),
            items=tuple(_item_from_dict(i, not_happening) for i in data["items"]),
            not_happening=not_happening,
            definitions=dict(data.get("definitions") or {}),
            principles=tuple(Principle(**p) for p in data.get("principles") or ()),
        )

    def checksum(self) -> str:
        """sha256 of the canonical JSON of the content. `status` is left out so that
        publishing a draft (changing only its status) does not change what it checks."""
        content = self.to_dict()
        content.pop("status")
        return canonical_digest(content)


def _item_dict(item: Item) -> dict[str, Any]:
    body: dict[str, Any] = {
        "link_id": item.link_id,
        "concept": item.concept,
        "type": item.type,
        "text": item.text,
        "domain": item.domain,
        "rung": item.rung,
        "options": [{"key": o.key, "label": o.label} for o in item.options],
        "text_for": dict(item.text_for),
        "help": item.help,
        "required": item.required,
        "enable_when": (
            {"link_id": item.enable_when.link_id, "answer": item.enable_when.answer}
            if item.enable_when
            else None
        ),
    }
    if item.principles:
        body["principles"] = list(item.principles)
    return body


def _item_from_dict(data: dict[str, Any], not_happening: bool = False) -> Item:
    enable_when = data.get("enable_when")
    return Item(
        link_id=data["link_id"],
        concept=data["concept"],
        type=data["type"],
        text=data["text"],
        domain=data.get("domain"),
        rung=data.get("rung"),
        options=tuple(Option(**o) for o in data.get("options") or ()),
        text_for=dict(data.get("text_for") or {}),
        help=data.get("help"),
        required=bool(data.get("required", False)),
        enable_when=EnableWhen(**enable_when) if enable_when else None,
        principles=tuple(data.get("principles") or ()),
        not_happening=not_happening and data["type"] == "agreement",
    )
