"""FHIR export of questionnaire versions and responses, validated with fhir.resources.

fhir.resources v8 ships R5 by default and R4B as its R4-family release (there is no pure
R4 package), so the resources are validated against R4B's Questionnaire and
QuestionnaireResponse, which do not differ from R4's in anything used here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from assessor.questionnaires.definition import AGREEMENT_OPTIONS, Questionnaire
from assessor.questionnaires.fhir import questionnaire_to_fhir, response_to_fhir
from assessor.questionnaires.loader import load_directory

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
URL = "https://assessor.nhs.example/fhir/Questionnaire/engagement-maturity"
AGREEMENT = "https://assessor.nhs.example/fhir/CodeSystem/agreement"


@pytest.fixture(scope="module")
def versions() -> dict[int, Questionnaire]:
    return {q.version: q for q in load_directory(ROOT)}


def by_link_id(items: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {item["linkId"]: item for item in items}


@pytest.mark.parametrize("version", [1, 2, 3])
def test_questionnaire_is_valid_fhir(versions: dict[int, Questionnaire], version: int) -> None:
    q = versions[version]
    resource = questionnaire_to_fhir(q, published_at=datetime(2025, 4, 1, 9, 30, tzinfo=UTC))
    parsed = FhirQuestionnaire.model_validate(resource)
    assert parsed.url == URL
    assert parsed.version == str(version)
    assert parsed.status == "active"
    assert resource["name"] == "EngagementMaturity"
    assert resource["title"] == q.title
    assert resource["date"] == "2025-04-01T09:30:00+00:00"
    assert [i["linkId"] for i in resource["item"]] == [i.link_id for i in q.items]
    if version > 1:
        assert resource["derivedFrom"] == [f"{URL}|{version - 1}"]
    else:
        assert "derivedFrom" not in resource


def test_agreement_items_use_the_agreement_scale(versions: dict[int, Questionnaire]) -> None:
    resource = questionnaire_to_fhir(versions[1])
    gov1 = by_link_id(resource["item"])["gov-1"]
    assert gov1["type"] == "choice"
    assert gov1["required"] is False
    assert gov1["text"] == versions[1].item("gov-1").text
    codings = [option["valueCoding"] for option in gov1["answerOption"]]
    assert codings == [
        {"system": AGREEMENT, "code": key, "display": label} for key, label, _ in AGREEMENT_OPTIONS
    ]
    ordinals = [
        option.get("extension", [{}])[0].get("valueDecimal") for option in gov1["answerOption"]
    ]
    assert ordinals == [0, 1, 2, 3, 4, None]
    concept, domain, rung = gov1["code"]
    assert concept["code"] == "governance.views-sought-before-decisions"
    assert (domain["code"], domain["display"]) == ("governance", "Decision-making and governance")
    assert (rung["code"], rung["display"]) == ("consultation", "Consultation")


def test_v3_offers_does_not_happen_here_with_ordinal_0(versions: dict[int, Questionnaire]) -> None:
    q = versions[3]
    gov1 = by_link_id(questionnaire_to_fhir(q)["item"])["gov-1"]
    last = gov1["answerOption"][-1]
    assert last["valueCoding"] == {
        "system": AGREEMENT,
        "code": "not_happening",
        "display": "This does not happen here",
    }
    assert last["extension"][0]["valueDecimal"] == 0
    assert len(gov1["answerOption"]) == len(AGREEMENT_OPTIONS) + 1
    comments = by_link_id(questionnaire_to_fhir(q)["item"])["comments"]
    assert "answerOption" not in comments
    response = response_to_fhir(
        q,
        response_id="r-3",
        answers={"gov-1": "not_happening", "gov-2": "agree"},
        authored=date(2026, 5, 1),
        questionnaire_url=URL,
    )
    FhirQuestionnaireResponse.model_validate(response)
    assert response["item"][0]["answer"][0]["valueCoding"]["code"] == "not_happening"
    with pytest.raises(ValueError, match="not an answer of item gov-1"):
        response_to_fhir(
            versions[2],
            response_id="r-2",
            answers={"gov-1": "not_happening"},
            authored=date(2026, 5, 1),
            questionnaire_url=URL,
        )


def test_single_choice_text_skip_logic_and_help(versions: dict[int, Questionnaire]) -> None:
    q = versions[1]
    items = by_link_id(questionnaire_to_fhir(q)["item"])
    choice = items["gov-attend"]
    assert choice["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in choice["answerOption"]] == list(
        q.item("gov-attend").option_keys()
    )
    system = choice["answerOption"][0]["valueCoding"]["system"]
    assert system == "https://assessor.nhs.example/fhir/CodeSystem/engagement-maturity-gov-attend"
    follow_up = items["gov-attend-barriers"]
    assert follow_up["type"] == "text"
    assert "answerOption" not in follow_up
    assert follow_up["enableWhen"] == [
        {
            "question": "gov-attend",
            "operator": "=",
            "answerCoding": {"system": system, "code": "never"},
        }
    ]
    assert "enableWhen" not in items["gov-1"]
    (help_item,) = items["gov-3"]["item"]
    assert help_item["type"] == "display"
    assert help_item["linkId"] == "gov-3.help"
    assert help_item["text"] == q.item("gov-3").help


def test_url_base_and_status_are_parameters(versions: dict[int, Questionnaire]) -> None:
    resource = questionnaire_to_fhir(
        versions[1], url_base="https://fhir.example.org/Questionnaire", status="retired"
    )
    FhirQuestionnaire.model_validate(resource)
    assert resource["url"] == "https://fhir.example.org/Questionnaire/engagement-maturity"
    assert resource["status"] == "retired"
    gov1 = by_link_id(resource["item"])["gov-1"]
    assert gov1["answerOption"][0]["valueCoding"]["system"] == (
        "https://fhir.example.org/CodeSystem/agreement"
    )
    with pytest.raises(ValueError, match="status must be one of"):
        questionnaire_to_fhir(versions[1], status="published")


ANSWERS = {
    "gov-1": "agree",
    "gov-2": "dont_know",
    "ins-3": "strongly_disagree",
    "gov-attend": "never",
    "gov-attend-barriers": "Meetings are held in working hours.",
    "comments": "",
}


def test_response_is_valid_fhir_and_points_at_its_version(
    versions: dict[int, Questionnaire],
) -> None:
    q = versions[1]
    resource = response_to_fhir(
        q,
        response_id="4f2a9c0d1e8b7a6f5e4d3c2b1a098765",
        answers=ANSWERS,
        authored=datetime(2025, 5, 2, 14, 5, 9, 123456, tzinfo=UTC),
        questionnaire_url=URL,
    )
    parsed = FhirQuestionnaireResponse.model_validate(resource)
    assert parsed.status == "completed"
    assert resource["questionnaire"] == f"{URL}|1"
    assert resource["id"] == "4f2a9c0d1e8b7a6f5e4d3c2b1a098765"
    assert resource["authored"] == "2025-05-02T14:05:09+00:00"
    items = by_link_id(resource["item"])
    # In questionnaire order; free text left out; empty answers left out.
    assert list(items) == ["gov-1", "gov-2", "ins-3", "gov-attend"]
    assert items["gov-1"]["answer"] == [
        {"valueCoding": {"system": AGREEMENT, "code": "agree", "display": "Agree"}}
    ]
    assert items["gov-2"]["answer"][0]["valueCoding"]["code"] == "dont_know"
    assert items["gov-attend"]["answer"][0]["valueCoding"] == {
        "system": "https://assessor.nhs.example/fhir/CodeSystem/engagement-maturity-gov-attend",
        "code": "never",
        "display": "Never",
    }
    # The response's codings are the questionnaire's own answer options.
    options = by_link_id(questionnaire_to_fhir(q)["item"])["gov-1"]["answerOption"]
    assert items["gov-1"]["answer"][0]["valueCoding"] in [o["valueCoding"] for o in options]


def test_free_text_only_when_asked(versions: dict[int, Questionnaire]) -> None:
    resource = response_to_fhir(
        versions[1],
        response_id="abc123",
        answers=ANSWERS,
        authored=date(2025, 5, 2),
        questionnaire_url=URL,
        include_text=True,
    )
    FhirQuestionnaireResponse.model_validate(resource)
    assert resource["authored"] == "2025-05-02"
    items = by_link_id(resource["item"])
    assert items["gov-attend-barriers"]["answer"] == [
        {"valueString": "Meetings are held in working hours."}
    ]
    assert "comments" not in items


def test_response_with_no_answers_is_still_valid(versions: dict[int, Questionnaire]) -> None:
    resource = response_to_fhir(
        versions[2],
        response_id="empty",
        answers={},
        authored=date(2025, 5, 2),
        questionnaire_url=URL,
    )
    FhirQuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == f"{URL}|2"
    assert "item" not in resource


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"answers": {"gov-99": "agree"}}, "not in engagement-maturity v1: gov-99"),
        ({"answers": {"gov-1": "yes"}}, "'yes' is not an answer of item gov-1"),
        ({"answers": {"gov-attend": "agree"}}, "'agree' is not an answer of item gov-attend"),
        ({"response_id": "not_a_fhir_id"}, "not a valid FHIR id"),
        ({"authored": datetime(2025, 5, 2, 14, 5)}, "needs a time zone"),
    ],
)
def test_response_refuses_what_it_cannot_export(
    versions: dict[int, Questionnaire], kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "response_id": "abc",
        "answers": {},
        "authored": date(2025, 5, 2),
        "questionnaire_url": URL,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        response_to_fhir(versions[1], **arguments)  # type: ignore[arg-type]
