"""HL7 FHIR R4 export of questionnaire versions and responses, so that NHS systems can read
what was asked and answered without learning this service's own format.

The resources are plain dicts in R4 shape. They use nothing that differs between R4 and R4B
for these two resources; the tests validate them with `fhir.resources.R4B` models because
the installed `fhir.resources` (v8) ships R5 by default and R4B as its R4-family release,
with no pure R4 package.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from assessor.questionnaires.definition import Item, Questionnaire

DEFAULT_URL_BASE = "https://assessor.nhs.example/fhir/Questionnaire"
STATUSES = ("draft", "active", "retired", "unknown")
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _fhir_base(url_base: str) -> str:
    """Code systems sit beside the Questionnaire endpoint: .../fhir/CodeSystem/..."""
    return url_base.removesuffix("/").removesuffix("/Questionnaire")


def agreement_system(url_base: str = DEFAULT_URL_BASE) -> str:
    return f"{_fhir_base(url_base)}/CodeSystem/agreement"


def fact_system(url_base: str = DEFAULT_URL_BASE) -> str:
    """yes / partly / no / don't know of every fact item (questionnaire format 3 on)."""
    return f"{_fhir_base(url_base)}/CodeSystem/fact"


def options_system(q: Questionnaire, item: Item, url_base: str = DEFAULT_URL_BASE) -> str:
    """The code system of one single_choice item's options (keys are only unique per item)."""
    return f"{_fhir_base(url_base)}/CodeSystem/{q.key}-{item.link_id}"


def _system_of(q: Questionnaire, item: Item, url_base: str) -> str:
    if item.type == "agreement":
        return agreement_system(url_base)
    if item.type == "fact":
        return fact_system(url_base)
    return options_system(q, item, url_base)


def _display_of(item: Item, code: str) -> str:
    if item.scored:
        return next(label for key, label, _ in item.agreement_options() if key == code)
    return next(option.label for option in item.options if option.key == code)


def _computable_name(key: str) -> str:
    """FHIR's name must look like an identifier (constraint que-0): engagement-maturity ->
    EngagementMaturity."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", key))
    return name if name[:1].isalpha() else f"Q{name}"


def _datetime(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a FHIR dateTime with a time needs a time zone; use an aware datetime")
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _answer_options(q: Questionnaire, item: Item, url_base: str) -> list[dict[str, Any]]:
    system = _system_of(q, item, url_base)
    if item.scored:
        options = []
        # "This does not happen here" (version 3 on) carries ordinal 0, as it scores; a
        # fact item's yes, partly and no carry 4, 2 and 0, on the same scale.
        for key, label, value in item.agreement_options():
            option: dict[str, Any] = {
                "valueCoding": {"system": system, "code": key, "display": label}
            }
            if value is not None:
                option["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": value}]
            options.append(option)
        return options
    return [
        {"valueCoding": {"system": system, "code": option.key, "display": option.label}}
        for option in item.options
    ]


def _item_codes(q: Questionnaire, item: Item, url_base: str) -> list[dict[str, str]]:
    """The concept (stable across versions) and, for scored items, the domain and rung, so
    that a FHIR reader can compare versions and score as this service does."""
    base = f"{_fhir_base(url_base)}/CodeSystem/{q.key}"
    codes = [{"system": f"{base}-concept", "code": item.concept}]
    if item.scored and item.domain and item.rung:
        domain = next(d for d in q.domains if d.key == item.domain)
        rung = next(r for r in q.rungs if r.key == item.rung)
        codes.append({"system": f"{base}-domain", "code": domain.key, "display": domain.title})
        codes.append({"system": f"{base}-rung", "code": rung.key, "display": rung.label})
    return codes


def _questionnaire_item(q: Questionnaire, item: Item, url_base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "linkId": item.link_id,
        "code": _item_codes(q, item, url_base),
        "text": item.text,
        "type": "text" if item.type == "text" else "choice",
        "required": item.required,
    }
    if item.type != "text":
        out["answerOption"] = _answer_options(q, item, url_base)
    if item.enable_when is not None:
        target = q.item(item.enable_when.link_id)
        out["enableWhen"] = [
            {
                "question": target.link_id,
                "operator": "=",
                "answerCoding": {
                    "system": _system_of(q, target, url_base),
                    "code": item.enable_when.answer,
                },
            }
        ]
    if item.help:
        out["item"] = [
            {
                "linkId": f"{item.link_id}.help",
                "text": item.help,
                "type": "display",
                "extension": [
                    {
                        "url": ITEM_CONTROL,
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": "http://hl7.org/fhir/questionnaire-item-control",
                                    "code": "help",
                                    "display": "Help-Button",
                                }
                            ]
                        },
                    }
                ],
            }
        ]
    return out


def questionnaire_to_fhir(
    q: Questionnaire,
    *,
    url_base: str = DEFAULT_URL_BASE,
    status: str = "active",
    published_at: date | datetime | None = None,
) -> dict[str, Any]:
    """One version as a FHIR R4 Questionnaire: url `<url_base>/<key>` and version "<N>", so
    that a response's canonical `url|N` names exactly the version answered. Wording for one
    audience (`text_for`) is not exported: FHIR has one text per item."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    url = f"{url_base.removesuffix('/')}/{q.key}"
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{q.key}-v{q.version}",
        "url": url,
        "version": str(q.version),
        "name": _computable_name(q.key),
        "title": q.title,
        "status": status,
        "subjectType": ["Organization"],
    }
    if q.revises is not None:
        resource["derivedFrom"] = [f"{url}|{q.revises}"]
    if published_at is not None:
        resource["date"] = _datetime(published_at)
    resource["item"] = [_questionnaire_item(q, item, url_base) for item in q.items]
    return resource


def response_to_fhir(
    q: Questionnaire,
    *,
    response_id: str,
    answers: dict[str, str],
    authored: date | datetime,
    questionnaire_url: str,
    include_text: bool = False,
    url_base: str = DEFAULT_URL_BASE,
) -> dict[str, Any]:
    """One submitted response as a FHIR R4 QuestionnaireResponse pointing at
    `questionnaire_url|version`. Free-text answers are left out unless include_text is set:
    they may identify a person, and record-level exports never ship them."""
    if not _FHIR_ID.match(response_id):
        raise ValueError(f"response id {response_id!r} is not a valid FHIR id")
    known = {item.link_id for item in q.items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"answers to items not in {q.key} v{q.version}: {', '.join(unknown)}")
    items: list[dict[str, Any]] = []
    for item in q.items:
        answer = answers.get(item.link_id)
        if answer is None or answer == "":
            continue
        if item.type == "text":
            if not include_text:
                continue
            value: dict[str, Any] = {"valueString": answer}
        else:
            if answer not in item.option_keys():
                raise ValueError(f"{answer!r} is not an answer of item {item.link_id}")
            value = {
                "valueCoding": {
                    "system": _system_of(q, item, url_base),
                    "code": answer,
                    "display": _display_of(item, answer),
                }
            }
        items.append({"linkId": item.link_id, "text": item.text, "answer": [value]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{questionnaire_url}|{q.version}",
        "status": "completed",
        "authored": _datetime(authored),
    }
    if items:
        resource["item"] = items
    return resource
